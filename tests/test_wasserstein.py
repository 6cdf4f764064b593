"""The Wasserstein-2 distance: closed forms against mpmath, batching, metric properties, errors, quadrature."""

from __future__ import annotations

import doctest
import math

import mpmath as mp
import numpy as np
import pytest

from anadiv import (
    Bernoulli,
    Beta,
    Cauchy,
    DiagonalNormal,
    Exponential,
    Gamma,
    Independent,
    Kumaraswamy,
    Laplace,
    LowRankMultivariateNormal,
    Mixture,
    MultivariateNormal,
    Normal,
    Poisson,
    StudentT,
    Uniform,
    VonMises,
)
from anadiv import wasserstein
from anadiv.errors import NoClosedFormError, QuadratureError
from anadiv.estimators.result import QuadResult
from anadiv.wasserstein import wasserstein2, wasserstein2_quad

RTOL = 1e-13


# ------------------------------------------------------------------ truth
def _mp_w2(m1, s1, m2, s2, dps: int = 50):
    """W2 at ``dps`` digits from exact float inputs: means and covariances as mpmath matrices or numpy arrays."""
    with mp.workdps(dps):
        a = s1 if isinstance(s1, mp.matrix) else mp.matrix(np.asarray(s1).tolist())
        b = s2 if isinstance(s2, mp.matrix) else mp.matrix(np.asarray(s2).tolist())
        root = mp.sqrtm(a)
        mid = mp.sqrtm(root * b * root)
        bures = sum(a[i, i] + b[i, i] - 2 * mp.re(mid[i, i]) for i in range(a.rows))
        dm = sum((mp.mpf(float(x)) - mp.mpf(float(y))) ** 2 for x, y in zip(m1, m2))
        return mp.sqrt(dm + bures)


def _mp_diag(scale) -> mp.matrix:
    with mp.workdps(50):
        return mp.diag([mp.mpf(float(s)) ** 2 for s in scale])


def _rel(value: float, truth) -> float:
    return float(abs(mp.mpf(value) - truth) / truth)


def _spd(rng: np.random.Generator, d: int) -> np.ndarray:
    a = rng.standard_normal((d, d))
    return a @ a.T + 0.5 * np.eye(d)


def _perturbed(rng: np.random.Generator, cov: np.ndarray, delta: float) -> np.ndarray:
    g = rng.standard_normal(cov.shape)
    g = 0.5 * (g + g.T)
    return cov + delta * np.linalg.norm(cov) / np.linalg.norm(g) * g


# ------------------------------------------------------------ closed forms
@pytest.mark.parametrize(
    "m1, s1, m2, s2",
    [(0.0, 1.0, 3.0, 5.0), (1e-300, 1e-300, 0.0, 2e-300), (1e300, 1e300, -1e300, 1e-300),
     (0.0, 1.0, 1e-15, 1.0 + 2.0**-50), (2.5, 0.25, 2.5, 0.25)],
)
def test_normal_pair_matches_mpmath(m1, s1, m2, s2):
    w = wasserstein2(Normal(m1, s1), Normal(m2, s2))
    truth = mp.sqrt((mp.mpf(m1) - m2) ** 2 + (mp.mpf(s1) - s2) ** 2)
    if truth == 0:
        assert w == 0.0
    else:
        assert _rel(w, truth) < RTOL
        # W2^2 rounded to float64: 0 below the subnormals, inf beyond the largest float
        assert wasserstein2(Normal(m1, s1), Normal(m2, s2), squared=True) == pytest.approx(float(truth**2), rel=RTOL)


@pytest.mark.parametrize("d", [2, 3, 10])
def test_dense_near_equal_covariances_keep_their_digits(d):
    rng = np.random.default_rng(d)
    mean = rng.standard_normal(d)
    for delta in (1e-3, 1e-6, 1e-9, 1e-12):
        if d == 10 and delta != 1e-12:
            continue  # the 50-digit square roots at d = 10 cost 0.3 s each: the hardest case suffices there
        s2 = _spd(rng, d)
        s1 = _perturbed(rng, s2, delta)
        w = wasserstein2(MultivariateNormal(mean, s1), MultivariateNormal(mean, s2))
        assert _rel(w, _mp_w2(mean, s1, mean, s2)) < RTOL, delta


@pytest.mark.parametrize("diag_kind", ["diagonal", "independent"])
def test_diagonal_against_dense_near_equal(diag_kind):
    rng = np.random.default_rng(7)
    d = 3
    scale = rng.uniform(0.5, 2.0, d)
    diag = DiagonalNormal(np.zeros(d), scale) if diag_kind == "diagonal" else Independent(Normal(np.zeros(d), scale), 1)
    for delta in (1e-4, 1e-10):
        cov = _perturbed(rng, np.diag(scale**2), delta)
        dense = MultivariateNormal(np.zeros(d), cov)
        truth = _mp_w2(np.zeros(d), _mp_diag(scale), np.zeros(d), cov)
        assert _rel(wasserstein2(diag, dense), truth) < RTOL
        assert _rel(wasserstein2(dense, diag), truth) < RTOL


def test_lowrank_near_equal_and_against_its_dense_form():
    rng = np.random.default_rng(3)
    d = 4
    w = rng.standard_normal((d, 2))
    diag = rng.uniform(0.5, 1.5, d)
    p = LowRankMultivariateNormal(np.zeros(d), w, diag)
    q = LowRankMultivariateNormal(np.zeros(d), w * (1 + 1e-9), diag)
    with mp.workdps(50):
        wp, wq = mp.matrix(w.tolist()), mp.matrix((w * (1 + 1e-9)).tolist())
        dm = mp.diag([mp.mpf(float(x)) for x in diag])
        truth = _mp_w2(np.zeros(d), wp * wp.T + dm, np.zeros(d), wq * wq.T + dm)
    assert _rel(wasserstein2(p, q), truth) < RTOL
    far = LowRankMultivariateNormal(np.ones(d), rng.standard_normal((d, 1)), diag)
    assert wasserstein2(p, far) == pytest.approx(wasserstein2(p.to_multivariate(), far.to_multivariate()), rel=RTOL)


def test_diagonal_pair_is_exact_difference_of_scales():
    scale1 = np.array([1.0, 2.0, 3.0])
    scale2 = scale1 * (1 + 2.0**-40)
    w = wasserstein2(DiagonalNormal(np.zeros(3), scale1), Independent(Normal(np.zeros(3), scale2), 1), squared=True)
    with mp.workdps(50):
        truth = sum((mp.mpf(a) - mp.mpf(b)) ** 2 for a, b in zip(scale1, scale2))
    assert _rel(w, truth) < RTOL


@pytest.mark.parametrize("j", [-490, -60, 60, 490])
def test_extreme_scales(j):
    # scaled by a power of 2: the truth is the unit-scale one times 2^j, exactly
    rng = np.random.default_rng(11)
    d = 3
    s2 = _spd(rng, d)
    scale = rng.uniform(0.5, 2.0, d)
    mean = rng.standard_normal(d)
    for s1, delta_mean in ((_perturbed(rng, s2, 1e-8), 0.0), (_spd(rng, d), 1.0)):
        m2 = mean + delta_mean
        truth = _mp_w2(mean, s1, m2, s2) * mp.ldexp(1, j)
        p = MultivariateNormal(np.ldexp(mean, j), np.ldexp(s1, 2 * j))
        q = MultivariateNormal(np.ldexp(m2, j), np.ldexp(s2, 2 * j))
        assert _rel(wasserstein2(p, q), truth) < RTOL
    truth = _mp_w2(mean, _mp_diag(scale), mean, s2) * mp.ldexp(1, j)
    p = DiagonalNormal(np.ldexp(mean, j), np.ldexp(scale, j))
    assert _rel(wasserstein2(p, MultivariateNormal(np.ldexp(mean, j), np.ldexp(s2, 2 * j))), truth) < RTOL


def _four(rng: np.random.Generator, d: int) -> list:
    mean = rng.standard_normal(d)
    scale = rng.uniform(0.5, 2.0, d)
    return [
        DiagonalNormal(mean, scale),
        Independent(Normal(mean, scale), 1),
        MultivariateNormal(mean, np.diag(scale**2)),
        LowRankMultivariateNormal(mean, np.zeros((d, 1)), scale**2),
    ]


def test_every_combination_agrees_with_the_dense_form():
    rng = np.random.default_rng(5)
    d = 3
    ps, qs = _four(rng, d), _four(rng, d)
    ref = wasserstein2(ps[2], qs[2])
    for p in ps:
        for q in qs:
            assert wasserstein2(p, q) == pytest.approx(ref, rel=RTOL), (type(p).__name__, type(q).__name__)
    for p in ps:
        for p2 in ps:
            assert wasserstein2(p, p2) < 1e-15  # the same Gaussian held in other structures
        assert wasserstein2(p, p) == 0.0  # identical inputs: exactly


def test_batches_broadcast_like_kl():
    rng = np.random.default_rng(2)
    d = 3
    means = rng.standard_normal((4, 1, d))
    covs = np.stack([_spd(rng, d) for _ in range(3)])
    scales = rng.uniform(0.5, 2.0, (3, d))
    p = MultivariateNormal(means, covs)
    q = DiagonalNormal(np.zeros(d), scales)
    out = wasserstein2(p, q)
    assert out.shape == (4, 3)
    for i in range(4):
        for k in range(3):
            one = wasserstein2(MultivariateNormal(means[i, 0], covs[k]), DiagonalNormal(np.zeros(d), scales[k]))
            assert out[i, k] == pytest.approx(one, rel=RTOL)
    normals = wasserstein2(Normal(np.zeros((2, 1)), 1.0), Normal(np.arange(3.0), 2.0), squared=True)
    assert normals.shape == (2, 3) and normals.tolist() == [[1.0, 2.0, 5.0]] * 2


def test_symmetry_and_triangle_inequality():
    rng = np.random.default_rng(9)
    d = 4
    for _ in range(5):
        a, b, c = (MultivariateNormal(rng.standard_normal(d), _spd(rng, d)) for _ in range(3))
        ab, bc, ac = wasserstein2(a, b), wasserstein2(b, c), wasserstein2(a, c)
        assert wasserstein2(b, a) == pytest.approx(ab, rel=RTOL)
        assert ac <= ab + bc
        assert wasserstein2(a, b, squared=True) == pytest.approx(ab**2, rel=RTOL)


def test_closed_form_errors_name_the_argument():
    mvn2 = MultivariateNormal(np.zeros(2), np.eye(2))
    with pytest.raises(ValueError, match=r"^q: dimension 3 differs from p's dimension 2"):
        wasserstein2(mvn2, DiagonalNormal(np.zeros(3), 1.0))
    with pytest.raises(ValueError, match=r"^q: batch shape \(3,\) does not broadcast"):
        wasserstein2(DiagonalNormal(np.zeros((2, 2)), 1.0), DiagonalNormal(np.zeros((3, 2)), 1.0))
    bad = MultivariateNormal(np.zeros(2), np.array([[1.0, 2.0], [2.0, 1.0]]), validate=False)
    with pytest.raises(ValueError, match=r"^q\.cov: must be positive definite"):
        wasserstein2(mvn2, bad)
    with pytest.raises(NoClosedFormError, match=r"^q: .*wasserstein2_quad"):
        wasserstein2(Normal(0.0, 1.0), Gamma(2.0, 1.0))
    with pytest.raises(NoClosedFormError, match=r"^p: .*wasserstein2_quad"):
        wasserstein2(Laplace(0.0, 1.0), Normal(0.0, 1.0))
    with pytest.raises(NoClosedFormError, match=r"^q: a Normal pairs only with a Normal"):
        wasserstein2(Normal(0.0, 1.0), DiagonalNormal(np.zeros(1), 1.0))
    with pytest.raises(NoClosedFormError, match=r"^p: "):
        wasserstein2(Independent(Laplace(np.zeros(2), 1.0), 1), mvn2)
    with pytest.raises(TypeError, match=r"^p: must be an anadiv distribution"):
        wasserstein2("N(0, 1)", mvn2)


# ------------------------------------------------------------- quadrature
def test_quad_normal_equals_the_closed_form():
    for p, q in ((Normal(0.0, 1.0), Normal(3.0, 5.0)), (Normal(-2.0, 0.1), Normal(1.0, 30.0))):
        r = wasserstein2_quad(p, q)
        assert isinstance(r, QuadResult) and r.method.startswith("scipy.integrate.quad")
        assert r.value == pytest.approx(wasserstein2(p, q), rel=1e-12)
        assert 0.0 <= r.error < 1e-11 * r.value
    same = wasserstein2_quad(Normal(0.5, 2.0), Normal(0.5, 2.0))
    assert same.value == 0.0 and same.error == 0.0


def _mp_quantile_polish(frozen, cdf, sf, pdf):
    """Quantiles at mpmath precision: scipy's float value polished by a Newton step on the mp cdf (16 -> 30 digits)."""

    def lower(t):
        x = mp.mpf(float(frozen.ppf(float(t))))
        return x - (cdf(x) - t) / pdf(x)

    def upper(t):
        x = mp.mpf(float(frozen.isf(float(t))))
        return x + (sf(x) - t) / pdf(x)

    return lower, upper


def _mp_sides(dist):
    """(lower, upper) quantiles ``F^-1(t)``, ``F^-1(1 - t)`` in mpmath, for the families of the cross-checks."""
    if isinstance(dist, Exponential):
        r = mp.mpf(float(dist.rate))
        return (lambda t: -mp.log1p(-t) / r), (lambda t: -mp.log(t) / r)
    if isinstance(dist, Uniform):
        lo, hi = mp.mpf(float(dist.low)), mp.mpf(float(dist.high))
        return (lambda t: lo + t * (hi - lo)), (lambda t: hi - t * (hi - lo))
    if isinstance(dist, Laplace):
        m, s = mp.mpf(float(dist.loc)), mp.mpf(float(dist.scale))
        return (lambda t: m + s * mp.log(2 * t)), (lambda t: m - s * mp.log(2 * t))
    if isinstance(dist, Gamma):
        k, r = mp.mpf(float(dist.shape)), mp.mpf(float(dist.rate))
        return _mp_quantile_polish(
            dist.to_scipy(),
            lambda x: mp.gammainc(k, 0, r * x, regularized=True),
            lambda x: mp.gammainc(k, r * x, mp.inf, regularized=True),
            lambda x: r**k * x ** (k - 1) * mp.exp(-r * x) / mp.gamma(k),
        )
    if isinstance(dist, Beta):
        a, b = mp.mpf(float(dist.a)), mp.mpf(float(dist.b))
        return _mp_quantile_polish(
            dist.to_scipy(),
            lambda x: mp.betainc(a, b, 0, x, regularized=True),
            lambda x: mp.betainc(a, b, x, 1, regularized=True),
            lambda x: x ** (a - 1) * (1 - x) ** (b - 1) / mp.beta(a, b),
        )
    raise AssertionError(dist)


def _mp_quantile_integral(p, q) -> mp.mpf:
    """W2^2 as the quantile integral by mpmath (tanh-sinh) at 30 digits, each half of (0, 1) on its own."""
    with mp.workdps(30):
        (pl, pu), (ql, qu) = _mp_sides(p), _mp_sides(q)
        total = mp.mpf(0)
        for fp, fq in ((pl, ql), (pu, qu)):
            total += mp.quad(lambda t: (fp(t) - fq(t)) ** 2, [0, mp.mpf("1e-3"), mp.mpf("0.5")])
        return total


@pytest.mark.parametrize(
    "p, q",
    [(Exponential(1.5), Gamma(2.5, 1.0)), (Uniform(-0.5, 1.5), Beta(2.0, 3.0)), (Laplace(0.3, 1.2), Exponential(0.7))],
    ids=["exponential-gamma", "uniform-beta", "laplace-exponential"],
)
def test_quad_against_mpmath_quantile_integral(p, q):
    truth = _mp_quantile_integral(p, q)
    r = wasserstein2_quad(p, q, squared=True)
    assert _rel(r.value, truth) < 1e-12
    assert r.error < 1e-11 * r.value
    assert _rel(wasserstein2_quad(p, q).value, mp.sqrt(truth)) < 1e-12


def test_quad_discrete_and_mixture():
    # Poisson: the quantile is a step function; the exact sum over the merged jumps of both cdfs
    p, q = Poisson(3.0), Poisson(5.0)
    with mp.workdps(30):
        cuts = sorted({mp.mpf(0), mp.mpf(1)} | {mp.mpf(float(f.to_scipy().cdf(k))) for f in (p, q) for k in range(60)})
        fp, fq = p.to_scipy(), q.to_scipy()
        truth = mp.mpf(0)
        for a, b in zip(cuts[:-1], cuts[1:]):
            mid = float((a + b) / 2)
            if b > a and 0 < mid < 1:
                truth += (b - a) * (mp.mpf(fp.ppf(mid)) - mp.mpf(fq.ppf(mid))) ** 2
    assert _rel(wasserstein2_quad(p, q, squared=True).value, truth) < 1e-10
    # Bernoulli(0.3) against Bernoulli(0.6): the quantiles differ on (0.4, 0.7) only
    assert wasserstein2_quad(Bernoulli(0.3), Bernoulli(0.6), squared=True).value == pytest.approx(0.3, rel=1e-12)
    # a mixture of two equal Normals is that Normal: its quantile comes from inverting its cdf
    mix = Mixture([0.25, 0.75], [Normal(0.0, 1.0), Normal(0.0, 1.0)])
    assert wasserstein2_quad(mix, Normal(1.0, 1.0)).value == pytest.approx(1.0, rel=1e-12)


def test_quad_family_without_scipy_counterpart():
    # Kumaraswamy(1, b) is Beta(1, b): its quantile hook (upper half from quantile(1 - t)) against scipy's
    r = wasserstein2_quad(Kumaraswamy(1.0, 3.0), Beta(1.0, 2.0))
    assert r.value == pytest.approx(wasserstein2_quad(Beta(1.0, 3.0), Beta(1.0, 2.0)).value, rel=1e-12)


def test_quad_heavy_tails_and_errors():
    assert wasserstein2_quad(Cauchy(0.0, 1.0), Normal(0.0, 1.0)).value == math.inf
    assert wasserstein2_quad(Normal(0.0, 1.0), StudentT(2.0, 0.0, 1.0)).value == math.inf
    finite = wasserstein2_quad(StudentT(3.0, 0.0, 1.0), Normal(0.0, 1.0))
    assert math.isfinite(finite.value) and finite.error < 1e-10
    assert wasserstein2_quad(Cauchy(0.0, 1.0), Cauchy(0.0, 1.0)).value == 0.0
    with pytest.raises(QuadratureError, match=r"^p, q: both second moments are infinite"):
        wasserstein2_quad(Cauchy(0.0, 1.0), Cauchy(1.0, 1.0))
    with pytest.raises(ValueError, match=r"^q: wasserstein2_quad needs scalar parameters"):
        wasserstein2_quad(Normal(0.0, 1.0), Normal(np.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"^p: wasserstein2_quad needs a univariate"):
        wasserstein2_quad(MultivariateNormal(np.zeros(2), np.eye(2)), Normal(0.0, 1.0))
    with pytest.raises(ValueError, match=r"^p: VonMises has neither a quantile function"):
        wasserstein2_quad(VonMises(0.0, 1.0), Normal(0.0, 1.0))
    with pytest.raises(TypeError, match=r"^q: wasserstein2_quad needs a univariate anadiv Family"):
        wasserstein2_quad(Normal(0.0, 1.0), 3.0)


def test_doctests():
    result = doctest.testmod(wasserstein, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 6 and result.failed == 0
