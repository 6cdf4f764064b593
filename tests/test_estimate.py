"""Monte Carlo estimators: truth from quadrature, tolerances from the estimators' own errors."""

import math
import warnings

import numpy as np
import pytest

from anadiv import FAMILIES, Exponential, Gamma, MultivariateNormal, Normal, Uniform
from anadiv.estimators.monte_carlo import Estimate, _MC, cross_entropy_estimate, entropy_estimate, kl_estimate
from anadiv.mixture import Mixture
from anadiv.estimators.quadrature import entropy_quad, kl_quad

# Pairs for the coverage test: 1-D and 2-D, overlapping and well separated.
PAIRS = {
    "1d_overlapping": (
        Mixture.gaussian([0.3, 0.7], [-1.0, 2.0], [0.5, 1.0]),
        Mixture.gaussian([0.5, 0.5], [0.0, 1.5], [1.0, 2.0]),
    ),
    "1d_separated": (
        Mixture.gaussian([0.5, 0.5], [-8.0, 8.0], [0.3, 0.3]),
        Mixture.gaussian([0.2, 0.8], [-7.0, 9.0], [1.0, 0.5]),
    ),
    "2d_overlapping": (
        Mixture.gaussian([0.4, 0.6], [[0.0, 0.0], [1.0, 0.5]], [[[1.0, 0.3], [0.3, 0.8]], [[0.5, 0.0], [0.0, 1.5]]]),
        Mixture.gaussian([0.5, 0.5], [[0.5, 0.0], [-0.5, 1.0]], [[[1.5, 0.0], [0.0, 1.0]], [[1.0, -0.4], [-0.4, 1.0]]]),
    ),
    "2d_separated": (
        Mixture.gaussian([0.5, 0.5], [[-5.0, 0.0], [5.0, 0.0]], [[[0.5, 0.1], [0.1, 0.5]], [[0.4, 0.0], [0.0, 0.4]]]),
        Mixture.gaussian([0.3, 0.7], [[-4.0, 1.0], [6.0, -1.0]], [[[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.5], [0.5, 1.0]]]),
    ),
}
_TRUTH: dict = {}


def truth(name):
    if name not in _TRUTH:
        _TRUTH[name] = kl_quad(*PAIRS[name]).value
    return _TRUTH[name]


# ------------------------------------------------------------------ basics
def test_estimate_ci():
    est = Estimate(1.0, 0.1, 1000, "mc")
    lo, hi = est.ci(0.95)
    assert abs(hi - 1.0 - 1.959963984540054 * 0.1) < 1e-12 and abs(1.0 - lo - (hi - 1.0)) < 1e-12
    t_lo, t_hi = Estimate(1.0, 0.1, 1000, "qmc", df=15).ci(0.95)
    assert t_hi - 1.0 > hi - 1.0  # Student-t is wider
    assert abs((t_hi - 1.0) / 0.1 - 2.131449545559323) < 1e-9
    assert float(est) == 1.0
    with pytest.raises(ValueError, match="^level"):
        est.ci(1.5)
    assert Estimate(math.inf, 0.0, 10, "support").ci() == (math.inf, math.inf)


def test_bad_input():
    p, q = Normal(0.0, 1.0), Normal(1.0, 1.0)
    with pytest.raises(ValueError, match="^n"):
        kl_estimate(p, q, n=1)
    with pytest.raises(ValueError, match="^n"):
        entropy_estimate(p, n=0)
    with pytest.raises(ValueError, match="^n"):
        cross_entropy_estimate(p, q, n=2.5)
    with pytest.raises(ValueError, match="^method"):
        kl_estimate(p, q, method="magic")
    with pytest.raises(ValueError, match="^q"):
        kl_estimate(p, MultivariateNormal([0.0, 0.0], np.eye(2)))
    with pytest.raises(ValueError, match="^p"):
        kl_estimate(Normal(np.zeros(3), 1.0), q)
    with pytest.raises(ValueError, match="^rtol"):
        kl_estimate(p, q, rtol=-1.0)
    with pytest.raises(ValueError, match="^method"):
        kl_estimate(FAMILIES["cauchy"](0.0, 1.0), FAMILIES["cauchy"](1.0, 2.0), method="control")


def test_reproducible_from_seed():
    p, q = PAIRS["1d_overlapping"]
    for method in ("mc", "qmc", "control"):
        a = kl_estimate(p, q, n=4096, seed=11, method=method)
        b = kl_estimate(p, q, n=4096, seed=11, method=method)
        assert a == b
        assert kl_estimate(p, q, n=4096, seed=12, method=method).value != a.value


def test_streaming_moments_are_exact():
    # The chunk-combining update equals the two-pass mean/variance, even with a large offset.
    values = 1e9 + np.random.default_rng(0).standard_normal(10_007)
    chunks = iter(np.array_split(values, 37))

    class Feed:
        def sample(self, m, rng=None):
            return next(chunks)

    acc = _MC(Feed(), lambda x: x, None, None)
    for c in np.array_split(values, 37):
        acc.step(len(c))
    mean, se = acc.result()
    assert abs(mean - values.mean()) < 1e-6
    # float64 holds 1e9 + noise to ~1e-7 absolute, so agreement to 1e-6 relative is exact here.
    assert abs(se / (values.std(ddof=1) / math.sqrt(values.size)) - 1) < 1e-6


def test_chunked_path_many_chunks():
    p, q = PAIRS["1d_overlapping"]
    est = kl_estimate(p, q, n=200_000, chunk_size=1000, seed=3)
    assert est.n == 200_000
    assert abs(est.value - truth("1d_overlapping")) < 4 * est.stderr
    # The standard error is the true one: compare with the quadrature variance of h.
    x = p.sample(400_000, rng=5)
    sd = np.std(p.logpdf(x) - q.logpdf(x))
    assert abs(est.stderr * math.sqrt(est.n) / sd - 1) < 0.05


def test_entropy_and_cross_entropy():
    est = entropy_estimate(Exponential(2.0), n=50_000, seed=1)
    assert abs(est.value - (1 - math.log(2))) < 4 * est.stderr
    est = cross_entropy_estimate(Normal(0.0, 1.0), Normal(1.0, 2.0), n=50_000, seed=2, method="control")
    exact = math.log(2.0) + 0.5 * math.log(2 * math.pi) + (1 + 1) / 8
    assert abs(est.value - exact) < 4 * est.stderr
    mvn = MultivariateNormal([0.0, 1.0], [[1.0, 0.5], [0.5, 2.0]])
    est = entropy_estimate(mvn, n=8192, seed=3, method="qmc")
    exact = 0.5 * math.log((2 * math.pi * math.e) ** 2 * 1.75)
    assert abs(est.value - exact) < 4 * est.stderr


def test_infinite_divergence():
    assert kl_estimate(Normal(0.0, 1.0), Exponential(1.0), n=100).value == math.inf
    gap = Mixture([0.5, 0.5], [Uniform(0.0, 1.0), Uniform(2.0, 3.0)])
    est = kl_estimate(Uniform(0.0, 3.0), gap, n=1000, seed=0)
    assert est.value == math.inf
    assert cross_entropy_estimate(Uniform(0.0, 3.0), gap, n=1000, seed=0).value == math.inf


@pytest.mark.parametrize("method", ["mc", "qmc", "control"])
def test_adaptive_reaches_tolerance(method, capsys):
    p, q = PAIRS["1d_overlapping"]
    est = kl_estimate(p, q, n=1000, seed=4, method=method, rtol=3e-3, progress=True)
    assert est.stderr <= 3e-3 * abs(est.value)
    assert abs(est.value - truth("1d_overlapping")) < 5 * est.stderr
    assert method in capsys.readouterr().err


def test_adaptive_cap_warns():
    p, q = PAIRS["1d_overlapping"]
    with pytest.warns(RuntimeWarning, match="max_n"):
        est = kl_estimate(p, q, n=1000, seed=4, atol=1e-9, max_n=20_000)
    assert est.n <= 20_000 + 1000


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_qmc_inverse_cdfs(name):
    # Each family's inverse CDF is right if the QMC entropy matches quadrature.
    cls = FAMILIES[name]
    if cls._np_quantile is None and not cls.is_gaussian:
        # no inverse cdf in closed form (VonMises), nor a Gaussian's Cholesky map (a Wishart's
        # matrices): qmc says so, naming the method
        with pytest.raises(ValueError, match="method: 'qmc' needs an inverse CDF"):
            entropy_estimate(cls(*cls.random_params(np.random.default_rng(0))), n=1024, seed=2, method="qmc")
        return
    if getattr(cls, "event_ndim", 0):
        dist = cls(*cls.random_params(np.random.default_rng(0)))
        exact = entropy_estimate(dist, n=200_000, seed=1)
    else:
        dist = cls(*cls.random_params(np.random.default_rng(0)))
        exact = entropy_quad(dist)
    est = entropy_estimate(dist, n=16_384, seed=2, method="qmc")
    tol = 5 * math.hypot(est.stderr, getattr(exact, "stderr", 0.0)) + 1e-12
    assert abs(est.value - float(exact)) < tol


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_variance_reduction_beats_plain_mc(name):
    p, q = PAIRS[name]
    n = 32_768
    mc = kl_estimate(p, q, n=n, seed=0)
    for method in ("qmc", "control"):
        vr = kl_estimate(p, q, n=n, seed=0, method=method)
        assert vr.n <= 1.1 * n
        assert vr.stderr < mc.stderr, (method, vr.stderr, mc.stderr)
    assert kl_estimate(p, q, n=n, seed=0, method="qmc").stderr < mc.stderr / 4


def test_non_gaussian_pairs():
    p = Mixture([0.4, 0.6], [Gamma(3.0, 2.0), Exponential(0.5)])
    q = Gamma(2.0, 1.0)
    t = kl_quad(p, q).value
    for method in ("mc", "qmc", "control"):
        est = kl_estimate(p, q, n=20_000, seed=5, method=method)
        assert abs(est.value - t) < 5 * est.stderr, method


# ----------------------------------------------------------------- coverage
# (method, n): control switches from degree-4 to degree-6 polynomials at n = 16384.
COVERAGE_CASES = [("mc", 2000), ("qmc", 8192), ("control", 2048), ("control", 16384)]
# The issue asks for >= 90% coverage over 50 seeds. With a true coverage of
# 0.945 a 50-seed run still drops below 45/50 about one time in eight (seeds
# 0-49 give 43/50 for 2d_overlapping/qmc while seeds 0-299 give 0.94), so
# with 16 pair/method cases a 50-seed test would fail on luck alone. We run
# 200 seeds per case (a stricter check of the same >= 90% requirement) and
# keep the first 50 as the count in the failure message.
COVERAGE_SEEDS = 200


@pytest.mark.slow
@pytest.mark.parametrize(("method", "n"), COVERAGE_CASES)
@pytest.mark.parametrize("name", sorted(PAIRS))
def test_ci_coverage(name, method, n):
    """The 95% interval covers the quadrature truth in >= 90% of the seeds."""
    p, q = PAIRS[name]
    true = truth(name)
    covered = []
    for seed in range(COVERAGE_SEEDS):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            est = kl_estimate(p, q, n=n, seed=seed, method=method)
        lo, hi = est.ci(0.95)
        covered.append(lo <= true <= hi)
    rate = np.mean(covered)
    assert rate >= 0.90, f"{name}/{method}/n={n}: coverage {rate:.3f} (first 50 seeds: {sum(covered[:50])}/50)"


def test_estimation_page_examples():
    import doctest
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parent.parent / "docs" / "estimation.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    text = "\n\n".join(b for b in blocks if ">>>" in b)
    test = doctest.DocTestParser().get_doctest(text, {}, "estimation.md", str(page), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    out: list[str] = []
    runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.attempted >= 10 and result.failed == 0, "".join(out)


def test_divergent_tail_is_infinite_not_a_noisy_number():
    est = kl_estimate(FAMILIES["cauchy"](0.0, 1.0), Normal(0.0, 1.0), n=1000, seed=0)
    assert est.value == math.inf and est.method == "divergent tail"


def test_qmc_result_does_not_depend_on_chunk_size():
    p, q = PAIRS["1d_overlapping"]
    a = kl_estimate(p, q, n=1 << 15, method="qmc", seed=1, chunk_size=1 << 8)
    b = kl_estimate(p, q, n=1 << 15, method="qmc", seed=1)
    assert a.n == b.n and abs(a.value - b.value) < 1e-13


def test_high_dimensional_diagonal_normal():
    from anadiv import DiagonalNormal

    rng = np.random.default_rng(0)
    m0, s0, m1, s1 = rng.normal(size=16), np.exp(rng.normal(size=16) * 0.3), rng.normal(size=16), np.exp(rng.normal(size=16) * 0.3)
    exact = float(np.sum(np.log(s1 / s0) + (s0**2 + (m0 - m1) ** 2) / (2 * s1**2) - 0.5))
    for method in ("mc", "qmc", "control"):
        est = kl_estimate(DiagonalNormal(m0, s0), DiagonalNormal(m1, s1), n=16_384, seed=3, method=method)
        assert abs(est.value - exact) < 5 * est.stderr, method


def test_mapped_estimate_below_its_range_keeps_an_error_and_an_interval():
    """A moment estimated below 0 with its whole interval (a small Hellinger by a one-step estimator):
    the value sits at 0, and the error and the interval reach one (z) error of the moment inward."""
    import math

    from anadiv.estimators.result import Estimate

    est = Estimate.of_moment(math.sqrt, (0.0, 1.0), -0.05, 0.01, 100, "test")
    assert est.value == 0.0
    assert est.stderr == pytest.approx(0.1)
    lo, hi = est.ci(0.95)
    assert lo == 0.0 and hi == pytest.approx(math.sqrt(1.959963984540054 * 0.01))
