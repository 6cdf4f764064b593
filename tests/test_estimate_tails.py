"""Monte Carlo estimators: infinite targets, infinite variances, unbounded densities, bad arguments (issue 10)."""

import math
import warnings

import numpy as np
import pytest

from anadiv import Beta, Gamma, Gumbel, Laplace, Mixture, Normal, StudentT, entropy, kl
from anadiv.estimators.monte_carlo import UnreliableIntervalError, cross_entropy_estimate, entropy_estimate, kl_estimate
from anadiv.estimators.quadrature import kl_quad

METHODS = ("mc", "qmc", "control")


@pytest.mark.parametrize("method", METHODS)
def test_infinite_kl_is_not_a_confident_number(method):
    # Issue 10: kl_estimate(Laplace(0, 1), Gumbel(0, 1), n=100_000, seed=0) was 5.94 +- 1.59.
    # p ~ e^-|x| against -log q ~ e^|x| far left: the KL is infinite.
    est = kl_estimate(Laplace(0.0, 1.0), Gumbel(0.0, 1.0), n=100_000, seed=0, method=method)
    assert est.value == math.inf and est.method == "divergent tail"
    assert kl_quad(Laplace(0.0, 1.0), Gumbel(0.0, 1.0)).value == math.inf


def test_unbounded_density_at_the_support_ends():
    # Issue 10: both raised FloatingPointError (draws rounded onto the support end,
    # where the log-densities are infinite). Tolerances: 5 of the estimate's own
    # standard errors.
    est = kl_estimate(Beta(0.01, 0.01), Beta(0.02, 0.02), n=10_000, seed=0)
    true = kl(Beta(0.01, 0.01), Beta(0.02, 0.02))
    assert est.stderr_reliable and abs(est.value - true) < 5 * est.stderr
    est = entropy_estimate(Gamma(0.001, 1.0), n=10_000, seed=0)
    true = entropy(Gamma(0.001, 1.0))  # -992.67: half of the draws are 0.0 in float64
    assert est.stderr_reliable and abs(est.value - true) < 5 * est.stderr
    for method in ("qmc", "control"):
        est = entropy_estimate(Gamma(0.001, 1.0), n=16_384, seed=1, method=method)
        assert abs(est.value - true) < 5 * est.stderr, method
        est = kl_estimate(Beta(0.01, 0.01), Beta(0.02, 0.02), n=16_384, seed=1, method=method)
        assert abs(est.value - kl(Beta(0.01, 0.01), Beta(0.02, 0.02))) < 5 * est.stderr, method


def test_edge_model_is_unbiased_over_seeds():
    # The rounded draws get independent values from the power-law edge model, so the
    # mean over 40 seeds is within 4 of its standard errors of the truth.
    true = entropy(Gamma(0.001, 1.0))
    vals = [entropy_estimate(Gamma(0.001, 1.0), n=4096, seed=s) for s in range(40)]
    mean = np.mean([v.value for v in vals])
    se = math.sqrt(sum(v.stderr**2 for v in vals)) / len(vals)
    assert abs(mean - true) < 4 * se


HEAVY = {
    "t3": (StudentT(3.0, 0.0, 1.0), Normal(0.0, 2.0)),
    "t3_mixture": (Mixture([0.5, 0.5], [StudentT(3.0, 0.0, 1.0), Normal(2.0, 0.5)]), Normal(0.0, 2.0)),
}


@pytest.mark.parametrize("name", sorted(HEAVY))
@pytest.mark.parametrize("method", METHODS)
def test_infinite_variance_is_flagged(name, method):
    # Issue 10: over 200 seeds the 95% intervals covered 74 / 67 / 86 % (mc / qmc /
    # control), the misses low. E_P[h^2] = inf here (h ~ x^2 / 8, E x^4 = inf under
    # t3): the estimate is returned, flagged, with a warning, and ci() refuses.
    p, q = HEAVY[name]
    with pytest.warns(RuntimeWarning, match="variance of the integrand under P is infinite"):
        est = kl_estimate(p, q, n=10_000, seed=0, method=method)
    assert not est.stderr_reliable and "infinite" in est.warning
    assert math.isfinite(est.value)
    with pytest.raises(UnreliableIntervalError, match="no confidence interval"):
        est.ci()


def test_polynomial_tail_flags_qmc_and_control_only():
    # Student-t(7) against N(0, 2): the variance is finite (plain MC covers 95.5%),
    # but h(F^-1(u)) has a power singularity: qmc covered 71%, control 92%.
    p, q = StudentT(7.0, 0.0, 1.0), Normal(0.0, 2.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert kl_estimate(p, q, n=4096, seed=0).stderr_reliable
    for method in ("qmc", "control"):
        with pytest.warns(RuntimeWarning, match="polynomial tail"):
            est = kl_estimate(p, q, n=4096, seed=0, method=method)
        assert not est.stderr_reliable
    # Log growth is not power growth: Student-t against a Cauchy keeps every interval.
    from anadiv import Cauchy

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for method in METHODS:
            assert kl_estimate(p, Cauchy(0.0, 2.0), n=4096, seed=0, method=method).stderr_reliable


# ----------------------------------------------------------------- coverage
# Light-tailed pairs: the interval must cover. Measured with 100 seeds here (and
# with 400 and at larger n in docs/estimation.md). qmc's replicates are skewed by
# the few points near u = 0 or 1 (z^2 = ndtri(u)^2 is unbounded), so its coverage
# runs a little under nominal against a Normal Q; the bounds below are what was
# measured (200-400 seeds) minus about two binomial standard deviations (100 seeds: 0.022).
LIGHT = {
    "normal": (Normal(0.3, 1.2), Normal(0.0, 2.0)),
    "gmm": (Mixture.gaussian([0.3, 0.7], [-1.0, 2.0], [0.5, 1.0]), Normal(0.0, 2.0)),
}
COVERAGE_N = {"mc": 2000, "qmc": 8192, "control": 4096}
MIN_COVERAGE = {"mc": 0.90, "qmc": 0.86, "control": 0.90}
SEEDS = 100


@pytest.mark.slow
@pytest.mark.parametrize("method", METHODS)
def test_coverage_light_and_heavy(method):
    n = COVERAGE_N[method]
    for name, (p, q) in LIGHT.items():
        true = kl_quad(p, q).value
        hits = 0
        for seed in range(SEEDS):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                est = kl_estimate(p, q, n=n, seed=seed, method=method)
            lo, hi = est.ci()
            hits += lo <= true <= hi
        assert hits / SEEDS >= MIN_COVERAGE[method], f"{name}/{method}: coverage {hits / SEEDS:.3f}"
    # Heavy-tailed pair: every seed is flagged, so no interval is ever claimed.
    p, q = HEAVY["t3"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        flagged = [not kl_estimate(p, q, n=n, seed=s, method=method).stderr_reliable for s in range(20)]
    assert all(flagged)


# ----------------------------------------------------------------- arguments
P, Q = Normal(0.0, 1.0), Normal(1.0, 2.0)
ESTIMATORS = [
    lambda **kw: kl_estimate(P, Q, **kw),
    lambda **kw: cross_entropy_estimate(P, Q, **kw),
    lambda **kw: entropy_estimate(P, **kw),
]


@pytest.mark.parametrize("fn", ESTIMATORS)
@pytest.mark.parametrize(("arg", "bad"), [
    ("seed", "abc"), ("seed", -1), ("seed", 1.5), ("seed", True), ("seed", [1, -2]),
    ("n", float("inf")), ("n", float("nan")), ("n", "100"), ("n", 1), ("n", 2.5), ("n", 10**26), ("n", None),
    ("rtol", "abc"), ("rtol", -1), ("rtol", float("nan")), ("rtol", float("inf")), ("rtol", 1j),
    ("atol", "abc"), ("atol", -1e-3), ("atol", float("nan")),
    ("max_n", float("inf")), ("max_n", 0), ("chunk_size", "big"), ("chunk_size", 1),
    ("batches", 1), ("batches", "16"), ("method", "MC"), ("method", ["mc"]), ("progress", "yes"),
])
def test_bad_arguments_name_themselves(fn, arg, bad):
    # Issue 10: seed='abc', seed=-1, n=inf, rtol='abc' gave errors of the wrong type or
    # without the argument's name; rtol=nan was accepted.
    with pytest.raises(ValueError, match=f"^{arg}"):
        fn(**{"n": 1000, "seed": 0, arg: bad})


def test_good_seeds_still_work():
    a = kl_estimate(P, Q, n=1000, seed=np.random.default_rng(3))
    b = kl_estimate(P, Q, n=1000, seed=np.int64(3))
    c = kl_estimate(P, Q, n=1000, seed=3)
    assert b.value == c.value and math.isfinite(a.value)
    assert math.isfinite(kl_estimate(P, Q, n=1000, seed=[1, 2]).value)


@pytest.mark.parametrize("bad", [0, 1, -0.5, float("nan"), "0.9", None])
def test_ci_level_is_checked(bad):
    est = kl_estimate(P, Q, n=1000, seed=0)
    with pytest.raises(ValueError, match="^level"):
        est.ci(bad)


@pytest.mark.parametrize(("arg", "bad"), [("max_iter", -1), ("max_iter", "10"), ("max_iter", 2.5),
                                          ("tol", -1.0), ("tol", float("nan")), ("tol", "abc")])
def test_gmm_iteration_arguments(arg, bad):
    from anadiv import gmm

    p = Mixture.gaussian([0.5, 0.5], [0.0, 2.0], [1.0, 0.5])
    with pytest.raises(ValueError, match=f"^{arg}"):
        gmm.kl_variational_upper_bound(p, Normal(1.0, 2.0), **{arg: bad})
