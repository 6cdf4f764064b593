"""One-dimensional estimators: spacing entropy (ties), empirical Wasserstein distances, bad input."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest
from scipy.stats import differential_entropy, wasserstein_distance

from anadiv import Normal, wasserstein2
from anadiv.estimators import one_dim
from anadiv.estimators.one_dim import entropy_spacing, wasserstein_samples

GAUSS_H = 0.5 * math.log(2 * math.pi * math.e)


def test_doctests() -> None:
    result = doctest.testmod(one_dim, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 10 and result.failed == 0


@pytest.mark.parametrize("method", ["vasicek", "van es", "ebrahimi", "correa"])
def test_spacing_value_is_scipys(method: str) -> None:
    x = np.random.default_rng(0).gamma(3.0, size=400)
    est = entropy_spacing(x, method=method, window=9)
    assert est.value == pytest.approx(float(differential_entropy(x, window_length=9, method=method)), rel=1e-14)
    assert est.method == method and est.warning == "" and est.n == 400


def test_auto_method_and_default_window_are_scipys() -> None:
    for n, name in ((10, "van es"), (500, "ebrahimi"), (2000, "vasicek")):
        x = np.random.default_rng(n).normal(size=n)
        est = entropy_spacing(x)
        assert est.method == name
        assert est.value == pytest.approx(float(differential_entropy(x)), rel=1e-14)


def test_spacing_estimate_within_its_error() -> None:
    # bias bound from benchmarks/bench_histogram.py (docs/data.md, "One dimension"): Vasicek at n = 1e4,
    # |bias| 0.0027 on N(0,1) and 0.0009 on Exp(1), each known to +-0.003 (3 sd over 50 replications)
    rng = np.random.default_rng(12)
    for x, exact in ((rng.normal(size=10_000), GAUSS_H), (rng.exponential(size=10_000), 1.0)):
        est = entropy_spacing(x, method="vasicek")
        assert abs(est.value - exact) < 4 * est.stderr + 0.006
    # the standard error is the asymptotic one, sd(log f(X)) / sqrt(n): sqrt(1/2) / sqrt(n) for N(0,1)
    est = entropy_spacing(rng.normal(size=4000), method="vasicek")
    assert est.stderr == pytest.approx(math.sqrt(0.5 / 4000), rel=0.1)


def test_rounded_data_give_a_finite_reproducible_value() -> None:
    x = np.round(np.random.default_rng(1).normal(size=3000), 1)
    with np.errstate(divide="ignore"):
        assert differential_entropy(x, method="vasicek") == -np.inf  # what the tie rule prevents
    first = entropy_spacing(x, method="vasicek")
    again = entropy_spacing(x[::-1].copy(), method="vasicek")  # order does not matter
    assert math.isfinite(first.value) and math.isfinite(first.stderr)
    assert first.value == again.value and first.warning == again.warning
    most = int(np.unique(x, return_counts=True)[1].max())
    assert first.warning == f"ties: window widened from 55 to {most} (a value repeats {most} times)"
    assert first.value == pytest.approx(float(differential_entropy(x, window_length=most, method="vasicek")))
    # measured bias of the widened window on rounded N(0,1) data: below 0.02 up to n = 1e4
    assert abs(first.value - GAUSS_H) < 4 * first.stderr + 0.02


def test_ties_beyond_any_window_are_refused() -> None:
    x = np.array([0.0] * 10 + [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"^x: a value repeats 10 times of 13"):
        entropy_spacing(x)


def test_wasserstein_one_is_scipys_and_quantiles_agree() -> None:
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=37), rng.standard_t(3, size=23)
    est = wasserstein_samples(x, y)
    assert est.value == pytest.approx(wasserstein_distance(x, y), rel=1e-14)
    assert one_dim._quantile_distance_p(np.sort(x), np.sort(y), None, None, 1) == pytest.approx(est.value, rel=1e-13)
    assert est.method == "empirical (exact)" and est.n == 60 and est.df == 19


@pytest.mark.parametrize("p", [2, 3, 1.5])
def test_quantile_distance_against_the_common_refinement(p: float) -> None:
    # n*m points each: every point of x repeated m times and of y n times, sorted, paired in order
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=7), rng.exponential(size=5)
    xx, yy = np.repeat(np.sort(x), 5), np.repeat(np.sort(y), 7)
    exact = np.mean(np.abs(xx - yy) ** p) ** (1 / p)
    assert wasserstein_samples(x, y, p=p).value == pytest.approx(exact, rel=1e-13)


def test_integer_weights_equal_repeated_points() -> None:
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=30), rng.normal(1.0, 2.0, size=25)
    wx, wy = rng.integers(1, 4, size=30), rng.integers(1, 4, size=25)
    for p in (1, 2):
        weighted = wasserstein_samples(x, y, p=p, x_weights=wx, y_weights=wy).value
        repeated = wasserstein_samples(np.repeat(x, wx), np.repeat(y, wy), p=p).value
        assert weighted == pytest.approx(repeated, rel=1e-12)


def test_w2_against_the_closed_form_of_two_normals() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(0.0, 1.0, 10_000), rng.normal(1.0, 2.0, 15_000)
    est = wasserstein_samples(x, y, p=2)
    exact = float(wasserstein2(Normal(0.0, 1.0), Normal(1.0, 2.0)))
    # bias measured at n = 1e4 (benchmarks/bench_histogram.py): +0.0007, known to +-0.004 (3 sd, 200 runs)
    assert abs(est.value - exact) < 4 * est.stderr + 0.005
    lo, hi = est.ci()
    assert lo < est.value < hi


def test_small_samples_have_no_jackknife() -> None:
    est = wasserstein_samples([0.0, 1.0], [3.0, 4.0, 5.0], p=2)
    # quantile steps at 1/3, 1/2, 2/3, 1: pairs (0, 3), (0, 4), (1, 4), (1, 5)
    assert est.value == pytest.approx(math.sqrt((9 / 3 + 16 / 6 + 9 / 6 + 16 / 3)), rel=1e-14)
    assert math.isnan(est.stderr) and "jackknife" in est.warning


def _bad_calls():
    x = np.random.default_rng(6).normal(size=50)
    nan = x.copy()
    nan[7] = np.nan
    return [
        ("x", lambda: entropy_spacing(nan)),
        ("x", lambda: entropy_spacing(x.reshape(25, 2))),
        ("x", lambda: entropy_spacing([1.0, 2.0, 3.0])),
        ("method", lambda: entropy_spacing(x, method="kozachenko")),
        ("method", lambda: entropy_spacing(x, method=None)),
        ("window", lambda: entropy_spacing(x, window=25)),
        ("window", lambda: entropy_spacing(x, window=0)),
        ("window", lambda: entropy_spacing(x, window="5")),
        ("x", lambda: wasserstein_samples(x.reshape(25, 2), x)),
        ("y", lambda: wasserstein_samples(x, x.reshape(10, 5))),
        ("y", lambda: wasserstein_samples(x, nan)),
        ("y", lambda: wasserstein_samples(x, [])),
        ("p", lambda: wasserstein_samples(x, x, p=0.5)),
        ("p", lambda: wasserstein_samples(x, x, p="2")),
        ("p", lambda: wasserstein_samples(x, x, p=math.inf)),
        ("x_weights", lambda: wasserstein_samples(x, x, x_weights=-np.ones(50))),
        ("x_weights", lambda: wasserstein_samples(x, x, x_weights=np.ones(49))),
        ("y_weights", lambda: wasserstein_samples(x, x, y_weights=np.zeros(50))),
        ("y_weights", lambda: wasserstein_samples(x, x, y_weights=[np.nan] * 50)),
    ]


@pytest.mark.parametrize("name, call", _bad_calls(), ids=[f"{n}-{i}" for i, (n, _) in enumerate(_bad_calls())])
def test_bad_input_names_the_argument(name: str, call) -> None:
    with pytest.raises(ValueError, match=rf"^{name}:"):
        call()


def test_more_dimensions_name_the_tool_to_use() -> None:
    with pytest.raises(ValueError, match="ot.emd2"):
        wasserstein_samples(np.zeros((5, 2)), np.zeros((5, 2)))
