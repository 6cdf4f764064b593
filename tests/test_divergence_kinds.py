"""The divergence kinds beyond KL (Renyi, Hellinger, Bhattacharyya, chi-square, total variation, Jeffreys,
Jensen-Shannon): closed forms against quadrature, properties on random pairs, Monte Carlo against
quadrature, and the front door ``anadiv.divergence``.

Generated from the registry: every Renyi closed form (and the Hellinger, Bhattacharyya and chi-square
forms taken from it, and every Jeffreys pair of two KL closed forms) is checked against numerical
integration of the kind's own integrand, so a family that gains a log-normalizer is tested at once.
The whole valid range of the generated Renyi code is tests/test_full_range.py's; the total variation
closed forms are tests/test_total_variation.py's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import anadiv
from anadiv import (Beta, Cauchy, Exponential, Gamma, Laplace, Mixture, Normal, Poisson, StudentT, Uniform,
                    divergence)
from anadiv._generated import _index
from anadiv.errors import NoClosedFormError
from anadiv.estimators.monte_carlo import divergence_estimate
from anadiv.estimators.quadrature import divergence_quad
from anadiv.families import FAMILIES
from anadiv.kinds import KINDS

RENYI_PAIRS = sorted(_index.REGISTRY["renyi"])
ORDERS = (0.3, 0.5, 1.7)
LOG2 = math.log(2.0)


def _pair(names: tuple[str, str], seed: int) -> tuple[object, object]:
    rng = np.random.default_rng(seed)
    p_cls, q_cls = (FAMILIES[n] for n in names)
    return p_cls(*p_cls.random_params(rng)), q_cls(*q_cls.random_params(rng))


def _close(a: float, b: float, rtol: float) -> bool:
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= rtol * max(abs(b), 1e-300)


# ------------------------------------------------------------- closed forms vs quadrature
@pytest.mark.parametrize("names", RENYI_PAIRS, ids=["-".join(n) for n in RENYI_PAIRS])
def test_renyi_family_closed_forms_against_quadrature(names: tuple[str, str]) -> None:
    for seed in (1, 2):
        p, q = _pair(names, seed)
        for alpha in ORDERS:
            closed = anadiv.renyi(p, q, alpha)
            quad = divergence_quad("renyi", p, q, params={"alpha": alpha}).value
            assert _close(closed, quad, 1e-8), (names, seed, alpha, closed, quad)
        for kind in ("hellinger", "bhattacharyya", "chi_square", "jeffreys"):
            closed = anadiv.divergences.closed_form(kind, p, q)
            quad = divergence_quad(kind, p, q).value
            assert _close(closed, quad, 1e-8), (kind, names, seed, closed, quad)


#: 30-digit quadrature of the Renyi integrand: a few pairs pin the derivation down (about 1 s each)
HIGH_PRECISION_PAIRS = RENYI_PAIRS[::4]


@pytest.mark.parametrize("names", HIGH_PRECISION_PAIRS, ids=["-".join(n) for n in HIGH_PRECISION_PAIRS])
def test_renyi_closed_forms_against_high_precision_quadrature(names: tuple[str, str]) -> None:
    p, q = _pair(names, 3)
    truth = divergence_quad("renyi", p, q, params={"alpha": 0.5}, precision="high").value
    assert _close(anadiv.renyi(p, q, 0.5), truth, 1e-12)


def test_renyi_is_infinite_where_the_integral_diverges() -> None:
    # int p^2 / q diverges for a Normal P wider than sqrt(2) sigma_Q / ... : sigma_Q^2 < (alpha - 1) / alpha sigma_P^2
    p, q = Normal(0.0, 2.0), Normal(0.0, 1.0)
    assert anadiv.renyi(p, q, 2.0) == math.inf and anadiv.chi_square(p, q) == math.inf
    assert divergence_quad("chi_square", p, q).value == math.inf
    assert math.isfinite(anadiv.renyi(p, q, 1.2)) and math.isfinite(anadiv.renyi(q, p, 4.0))
    # a mixed natural parameter that leaves the space: Exponential rates 1 and 2.5 at alpha = 1.7
    assert anadiv.renyi(Exponential(1.0), Exponential(2.5), 1.7) == math.inf
    assert divergence_quad("renyi", Exponential(1.0), Exponential(2.5), params={"alpha": 1.7}).value == math.inf


def test_jeffreys_is_the_sum_of_the_two_kl() -> None:
    p, q = Gamma(2.0, 1.5), Gamma(0.7, 0.3)
    assert anadiv.jeffreys(p, q) == pytest.approx(anadiv.kl(p, q) + anadiv.kl(q, p), rel=1e-15)
    # infinite when either support is not inside the other
    assert anadiv.jeffreys(Uniform(0.0, 1.0), Uniform(0.0, 2.0)) == math.inf
    assert divergence_quad("jeffreys", Uniform(0.0, 1.0), Uniform(0.0, 2.0)).value == math.inf


# ------------------------------------------------------------------- nearly equal P and Q
@pytest.mark.parametrize("eps", [1e-4, 1e-7, 1e-10])
def test_nearly_equal_pairs_lose_no_digits(eps: float) -> None:
    """Hellinger ~ eps, Bhattacharyya and chi-square ~ eps^2: computed without cancellation."""
    p, q = Normal(0.0, 1.0), Normal(eps, 1.0)
    # equal scales: D_alpha = alpha d^2 / 2, BC = exp(-d^2 / 8), chi^2 = exp(d^2) - 1
    assert anadiv.renyi(p, q, 0.5) == pytest.approx(eps**2 / 4, rel=1e-13)
    assert anadiv.bhattacharyya(p, q) == pytest.approx(eps**2 / 8, rel=1e-13)
    assert anadiv.hellinger(p, q) == pytest.approx(math.sqrt(-math.expm1(-eps**2 / 8)), rel=1e-13)
    assert anadiv.chi_square(p, q) == pytest.approx(math.expm1(eps**2), rel=1e-13)
    # nearly equal scales too (Gamma shapes): against the exact mpmath form of the generated function
    import mpmath

    from anadiv._generated.gamma import _renyi_gamma_gamma_exact

    a, b = 50.0, 50.0 * (1 + eps)
    with mpmath.workdps(60):
        truth = _renyi_gamma_gamma_exact(mpmath, mpmath.mpf(a), mpmath.mpf(2.0), mpmath.mpf(b), mpmath.mpf(2.0),
                                         mpmath.mpf(0.5))
    assert anadiv.renyi(Gamma(a, 2.0), Gamma(b, 2.0), 0.5) == pytest.approx(float(truth), rel=1e-12)
    # quadrature and Monte Carlo read second-order integrands: no cancellation either
    h = divergence_quad("hellinger", p, q).value
    assert h == pytest.approx(anadiv.hellinger(p, q), rel=1e-6)


# ------------------------------------------------------------------------- properties
def _random_pairs() -> list[tuple[object, object]]:
    rng = np.random.default_rng(20261129)
    out = []
    for names in RENYI_PAIRS:
        p_cls, q_cls = (FAMILIES[n] for n in names)
        for _ in range(3):
            out.append((p_cls(*p_cls.random_params(rng)), q_cls(*q_cls.random_params(rng))))
    return out


def test_properties_on_random_pairs() -> None:
    alphas = np.array([0.05, 0.2, 0.5, 0.8, 1.0 - 1e-6, 1.0, 1.0 + 1e-6, 1.5, 3.0])
    for p, q in _random_pairs():
        h, tv_q = anadiv.hellinger(p, q), divergence_quad("total_variation", p, q).value
        kl, bhat = anadiv.kl(p, q), anadiv.bhattacharyya(p, q)
        assert 0.0 <= h <= 1.0 and 0.0 <= tv_q <= 1.0, (p, q)
        # Bhattacharyya and Hellinger: BC = 1 - H^2
        assert math.exp(-bhat) == pytest.approx(1.0 - h * h, rel=1e-12, abs=1e-15)
        # H^2 <= TV <= H sqrt(2 - H^2) (Le Cam), Pinsker TV <= sqrt(KL / 2)
        assert h * h <= tv_q * (1 + 1e-9) and tv_q <= h * math.sqrt(2.0 - h * h) * (1 + 1e-9), (p, q)
        assert tv_q <= math.sqrt(kl / 2.0) * (1 + 1e-9), (p, q)
        # Renyi: nondecreasing in the order, KL at 1 and continuous there, D_1/2 = 2 D_B
        values = [anadiv.renyi(p, q, float(a)) for a in alphas]
        finite = [v for v in values if math.isfinite(v)]
        assert all(b >= a * (1 - 1e-9) - 1e-300 for a, b in zip(finite, finite[1:])), (p, q, values)
        assert values[5] == kl
        assert values[4] == pytest.approx(kl, rel=1e-5) and values[6] == pytest.approx(kl, rel=1e-5)
        assert anadiv.renyi(p, q, 0.5) == pytest.approx(2 * bhat, rel=1e-14)
        # chi-square = e^{D_2} - 1 >= KL-type lower bounds: chi^2 >= e^{KL} - 1
        chi2 = anadiv.chi_square(p, q)
        assert chi2 >= math.expm1(kl) * (1 - 1e-9), (p, q, chi2, kl)


@pytest.mark.parametrize("p, q", [
    (Normal(0.0, 1.0), Cauchy(0.5, 2.0)),
    (StudentT(3.0, 0.0, 1.0), Normal(0.0, 1.5)),
    (Mixture([0.3, 0.7], [Normal(-2.0, 0.5), Normal(1.0, 1.0)]), Laplace(0.0, 1.5)),
    (Uniform(0.0, 1.0), Beta(2.0, 2.0)),
], ids=["normal-cauchy", "studentt-normal", "mixture-laplace", "uniform-beta"])
def test_properties_without_closed_forms(p: object, q: object) -> None:
    js = divergence_quad("jensen_shannon", p, q).value
    js_back = divergence_quad("jensen_shannon", q, p).value
    assert 0.0 <= js <= LOG2 and js == pytest.approx(js_back, rel=1e-8)
    tv, tv_back = divergence_quad("total_variation", p, q).value, divergence_quad("total_variation", q, p).value
    h = divergence_quad("hellinger", p, q).value
    assert tv == pytest.approx(tv_back, rel=1e-8) and h == pytest.approx(divergence_quad("hellinger", q, p).value,
                                                                         rel=1e-8)
    assert h * h <= tv * (1 + 1e-8) <= h * math.sqrt(2 - h * h) * (1 + 1e-7)
    # JS <= TV log 2 (each point's contribution is at most |p - q| log 2 / 2)
    assert js <= tv * LOG2 * (1 + 1e-8)
    kl = divergence_quad("kl", p, q).value
    if math.isfinite(kl):
        assert tv <= math.sqrt(kl / 2)


def test_the_ends_of_the_ranges() -> None:
    # mutually singular: TV = H = 1, JS = log 2, Bhattacharyya and Renyi infinite
    p, q = Uniform(0.0, 1.0), Uniform(2.0, 3.0)
    assert divergence_quad("total_variation", p, q).value == 1.0
    assert divergence_quad("hellinger", p, q).value == 1.0
    assert divergence_quad("jensen_shannon", p, q).value == pytest.approx(LOG2, rel=1e-15)
    assert divergence_quad("bhattacharyya", p, q).value == math.inf
    assert divergence_quad("renyi", p, q, params={"alpha": 0.5}).value == math.inf
    # a mass function against a density: singular by the measures
    for kind, value in (("total_variation", 1.0), ("hellinger", 1.0), ("jensen_shannon", LOG2),
                        ("chi_square", math.inf)):
        assert divergence_quad(kind, Poisson(2.0), Normal(0.0, 1.0)).value == pytest.approx(value)
        assert divergence_estimate(kind, Normal(0.0, 1.0), Poisson(2.0), n=100).value == pytest.approx(value)
    # Q's mass where p = 0 (a mixture with a gap): counted by quadrature and by draws from Q
    gap = Mixture([0.5, 0.5], [Uniform(0.0, 1.0), Uniform(2.0, 3.0)])
    wide = Uniform(0.0, 3.0)
    h_true = math.sqrt(1.0 - 2.0 * math.sqrt(0.5 / 3.0))
    assert divergence_quad("hellinger", gap, wide).value == pytest.approx(h_true, rel=1e-12)
    assert divergence_quad("total_variation", gap, wide).value == pytest.approx(1 / 3, rel=1e-12)
    assert divergence_quad("jeffreys", gap, wide).value == math.inf


# --------------------------------------------------------------------- Monte Carlo
MC_CASES = [
    (kind, params) for kind, params in (("renyi", {"alpha": 0.5}), ("renyi", {"alpha": 1.5}), ("hellinger", None),
                                        ("bhattacharyya", None), ("total_variation", None), ("jeffreys", None),
                                        ("jensen_shannon", None))
]


@pytest.mark.parametrize("kind, params", MC_CASES, ids=[f"{k}-{p}" if p else k for k, p in MC_CASES])
def test_monte_carlo_against_quadrature(kind: str, params: dict | None) -> None:
    p = Mixture([0.4, 0.6], [Normal(-1.0, 0.7), Normal(1.5, 1.0)])
    # Q neither much wider nor much narrower than P: the integrands of Jeffreys and of Renyi
    # above order 1 (drawn from P) have a finite variance
    q = Normal(0.3, 1.2)
    truth = divergence_quad(kind, p, q, params=params).value
    for method in ("mc", "control"):
        est = divergence_estimate(kind, p, q, params=params, n=40_000, seed=11, method=method)
        assert est.stderr_reliable and est.stderr > 0
        # 5 standard errors: a false failure has probability below 1e-6
        assert abs(est.value - truth) < 5 * est.stderr, (kind, method, est, truth)
        lo, hi = est.ci(0.999999)
        assert lo <= truth <= hi


@pytest.mark.parametrize("kind", ["hellinger", "total_variation", "jensen_shannon", "renyi"])
def test_bounded_kinds_draw_from_the_mixture(kind: str) -> None:
    """A light-tailed P against a heavy-tailed Q: under P the integrand grows like q/p (infinite
    variance, and Q's far mass never drawn); under M = (P + Q)/2 it is bounded."""
    params = {"alpha": 0.5} if kind == "renyi" else None
    p, q = Normal(0.0, 1.0), Cauchy(0.5, 2.0)
    truth = divergence_quad(kind, p, q, params=params).value
    est = divergence_estimate(kind, p, q, params=params, n=40_000, seed=5)
    assert est.stderr_reliable and abs(est.value - truth) < 5 * est.stderr, (est, truth)
    # Q's mass where p = 0 is drawn from Q (a mixture with a gap)
    gap, wide = Mixture([0.5, 0.5], [Uniform(0.0, 1.0), Uniform(2.0, 3.0)]), Uniform(0.0, 3.0)
    truth = divergence_quad(kind, gap, wide, params=params).value
    est = divergence_estimate(kind, gap, wide, params=params, n=40_000, seed=6)
    assert abs(est.value - truth) <= 5 * est.stderr + 1e-12, (est, truth)


def test_monte_carlo_interval_stays_in_the_range() -> None:
    # nearly equal: the Hellinger interval is mapped from the interval of H^2 (>= 0), never below 0
    est = divergence_estimate("hellinger", Normal(0.0, 1.0), Normal(1e-3, 1.0), n=2000, seed=1)
    lo, hi = est.ci(0.99)
    assert 0.0 <= lo <= est.value <= hi <= 1.0
    assert not math.isnan(est.moment) and est.moment_stderr > 0
    # chi-square with an infinite variance (P wider than sqrt(2) sigma_Q): no interval is promised
    with pytest.warns(RuntimeWarning, match="variance"):
        bad = divergence_estimate("chi_square", Normal(0.0, 1.3), Normal(0.0, 1.0), n=2000, seed=1)
    assert not bad.stderr_reliable


# -------------------------------------------------------------------------- front door
def test_front_door_chooses_and_says_how() -> None:
    p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    r = divergence("hellinger", p, q)
    assert r.method == "closed form" and r.error == pytest.approx(1e-12 * r.value)
    r = divergence("jensen_shannon", p, q)
    assert r.method == "scipy.integrate.quad" and 0 < r.error < 1e-9
    r = divergence("total_variation", p, q, method="mc", n=5000, seed=0)
    assert r.method == "mc" and r.ci()[0] < anadiv.total_variation(p, q) < r.ci()[1]
    # 2-D Gaussians: quadrature (cubature); higher dimension: Monte Carlo
    from anadiv import MultivariateNormal

    p2 = MultivariateNormal(np.zeros(2), np.eye(2))
    q2 = MultivariateNormal(np.array([0.5, 0.0]), np.diag([1.0, 2.0]))
    assert divergence("hellinger", p2, q2).method == "closed form"
    assert divergence("jensen_shannon", p2, q2).method.startswith("scipy.integrate.cubature")
    # 2-D quadrature against the closed forms, Q much wider than P (p h -> c q where P has no mass)
    wide = MultivariateNormal(np.array([0.5, 0.0]), 25 * np.eye(2))
    for kind, params in (("hellinger", {}), ("renyi", {"alpha": 0.5}), ("bhattacharyya", {})):
        quad = divergence(kind, p2, wide, method="quad", **params)
        closed = divergence(kind, p2, wide, **params).value
        assert quad.value == pytest.approx(closed, rel=1e-9) and quad.error < 1e-8, (kind, quad, closed)
    p3 = MultivariateNormal(np.zeros(3), np.eye(3))
    q3 = MultivariateNormal(np.full(3, 0.2), np.eye(3))
    r3 = divergence("total_variation", p3, q3, n=20_000, seed=1)
    assert r3.method == "mc" and r3.error > 0
    # batched parameters: the closed form broadcasts
    batch = divergence("renyi", Normal(np.zeros(3), 1.0), Normal(np.array([0.0, 1.0, 2.0]), 1.0), alpha=2.0)
    np.testing.assert_allclose(batch.value, [0.0, 1.0, 4.0], rtol=1e-14)
    # the Renyi order 1 is the KL divergence
    assert divergence("renyi", p, q, alpha=1.0).value == anadiv.kl(p, q)


def test_front_door_errors_name_the_argument() -> None:
    p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    with pytest.raises(ValueError, match="^alpha: missing"):
        divergence("renyi", p, q)
    with pytest.raises(ValueError, match="^alpha: must be a real number > 0"):
        divergence("renyi", p, q, alpha=-1.0)
    with pytest.raises(ValueError, match="^alpha: must be finite"):
        anadiv.renyi(p, q, math.inf)
    with pytest.raises(ValueError, match="^alpha: must be a real number > 0"):
        anadiv.renyi(p, q, "2")  # strings are never evaluated
    with pytest.raises(ValueError, match="^beta: not a parameter"):
        divergence("hellinger", p, q, beta=1.0)
    with pytest.raises(ValueError, match="^kind: must be one of"):
        divergence("kullback", p, q)
    with pytest.raises(ValueError, match="^method: must be one of"):
        divergence("hellinger", p, q, method="fast")
    with pytest.raises(ValueError, match="^q: Hellinger distance needs a second distribution"):
        divergence("hellinger", p)
    with pytest.raises(ValueError, match="^q: expected an anadiv distribution"):
        divergence("hellinger", p, 1.0)
    with pytest.raises(NoClosedFormError, match=r"anadiv\.divergence\('renyi', p, q, alpha=\.\.\.\)"):
        anadiv.renyi(Normal(0.0, 1.0), Cauchy(0.0, 1.0), 0.5)
    with pytest.raises(NoClosedFormError):
        divergence("jensen_shannon", p, q, method="closed")
    with pytest.raises(ValueError, match="^p: quadrature needs a single distribution"):
        divergence("hellinger", Normal(np.zeros(2), 1.0), Cauchy(0.0, 1.0), method="quad")


def test_symbolic_parameters_give_the_derivation() -> None:
    import sympy

    mu = sympy.Symbol("mu", real=True)
    expr = anadiv.renyi(Normal(mu, 1), Normal(0, 1), 2)
    assert sympy.simplify(expr - mu**2) == 0
    d = anadiv.symbolic.derive_hellinger(Normal, Normal)
    assert d.kind == "hellinger" and "sqrt" in sympy.latex(d.expr)


def test_every_kind_is_reachable_by_name() -> None:
    for name, kind in KINDS.items():
        args = (Normal(0.0, 1.0),) if kind.arity == 1 else (Normal(0.0, 1.0), Normal(0.5, 1.5))
        params = {spec.name: 0.5 for spec in kind.parameters}
        r = divergence(name, *args, **params)
        assert math.isfinite(r.value) and r.error >= 0, name


# ------------------------------------------------------------- Gaussians of any structure
def _mvn_renyi_truth(m1, s1, m2, s2, a):
    """D_alpha(N(m1, S1) || N(m2, S2)) from the textbook formula, at 50 digits (mpmath matrices)."""
    import mpmath

    with mpmath.workdps(50):
        m1, m2 = mpmath.matrix([float(v) for v in m1]), mpmath.matrix([float(v) for v in m2])
        s1 = mpmath.matrix([[float(v) for v in row] for row in s1])
        s2 = mpmath.matrix([[float(v) for v in row] for row in s2])
        a = mpmath.mpf(a)
        sa = a * s2 + (1 - a) * s1
        if min(mpmath.eigsy(sa)[0]) <= 0:
            return math.inf
        dm = m1 - m2
        quad = (dm.T * mpmath.inverse(sa) * dm)[0]
        logs = mpmath.log(mpmath.det(sa)) - (1 - a) * mpmath.log(mpmath.det(s1)) - a * mpmath.log(mpmath.det(s2))
        return float(a / 2 * quad - logs / (2 * (a - 1)))


@pytest.mark.parametrize("d", [2, 5])
def test_gaussian_renyi_against_the_formula(d: int) -> None:
    from anadiv import MultivariateNormal

    rng = np.random.default_rng(d)
    for eps in (1.0, 1e-3, 1e-7, 1e-11):
        for alpha in (0.3, 0.999, 2.0):
            b = rng.standard_normal((d, d))
            s2 = b @ b.T + d * np.eye(d)
            # a nearby positive definite covariance: the factor moved by eps
            c = b + eps * rng.standard_normal((d, d))
            s1 = c @ c.T + d * np.eye(d)
            m2 = rng.standard_normal(d)
            m1 = m2 + eps * rng.standard_normal(d)
            got = anadiv.renyi(MultivariateNormal(m1, s1), MultivariateNormal(m2, s2), alpha)
            truth = _mvn_renyi_truth(m1, s1, m2, s2, alpha)
            assert _close(got, truth, 1e-12), (d, eps, alpha, got, truth)


def test_gaussian_renyi_structures_agree() -> None:
    from anadiv import DiagonalNormal, Independent, LowRankMultivariateNormal, MultivariateNormal

    loc1, scale1 = np.array([0.0, 1.0, -0.5]), np.array([1.0, 2.0, 0.7])
    loc2, scale2 = np.array([0.5, 1.0, 0.0]), np.array([1.5, 1.8, 0.6])
    diag = DiagonalNormal(loc1, scale1), DiagonalNormal(loc2, scale2)
    dense = MultivariateNormal(loc1, np.diag(scale1**2)), MultivariateNormal(loc2, np.diag(scale2**2))
    indep = Independent(Normal(loc1, scale1), 1), Independent(Normal(loc2, scale2), 1)
    low = LowRankMultivariateNormal(loc1, np.zeros((3, 1)), scale1**2), dense[1]
    for alpha in (0.5, 1.5):
        ref = sum(anadiv.renyi(Normal(a, s), Normal(b, t), alpha) for a, s, b, t in zip(loc1, scale1, loc2, scale2))
        for p, q in (diag, dense, indep, low, (diag[0], dense[1]), (indep[0], dense[1]), (dense[0], indep[1])):
            assert anadiv.renyi(p, q, alpha) == pytest.approx(ref, rel=1e-13), (type(p), type(q), alpha)
    assert anadiv.renyi(*dense, 1.0) == anadiv.kl(*dense)
    # Hellinger, Bhattacharyya and chi-square follow for every Gaussian pair
    assert anadiv.hellinger(*dense) == pytest.approx(anadiv.hellinger(*diag), rel=1e-13)
    # a batch broadcasts, and the dimensions must agree
    batch = anadiv.renyi(DiagonalNormal(np.zeros((4, 3)), np.ones(3)), MultivariateNormal(np.ones(3), np.eye(3)), 2.0)
    np.testing.assert_allclose(batch, np.full(4, 3.0), rtol=1e-14)
    with pytest.raises(ValueError, match="^q: dimension 2 differs"):
        anadiv.renyi(dense[0], MultivariateNormal(np.zeros(2), np.eye(2)), 0.5)
    # Sigma_alpha not positive definite: infinite (P much wider than Q, alpha > 1)
    assert anadiv.renyi(MultivariateNormal(np.zeros(2), 9 * np.eye(2)), MultivariateNormal(np.zeros(2), np.eye(2)),
                        2.0) == math.inf


def test_uniform_renyi_closed_form() -> None:
    """Two Uniforms: log(w2/w1) + log(L/w1)/(alpha - 1), against quadrature and, nearly equal, mpmath."""
    import mpmath

    cases = [((0.0, 1.0), (0.0, 2.0)), ((0.0, 2.0), (0.0, 1.0)), ((0.0, 1.0), (0.5, 2.0)), ((0.0, 1.0), (2.0, 3.0)),
             ((-1.0, 1.0), (-0.5, 3.0))]
    for (l1, h1), (l2, h2) in cases:
        for alpha in (0.3, 2.0):
            p, q = Uniform(l1, h1), Uniform(l2, h2)
            assert _close(anadiv.renyi(p, q, alpha), divergence_quad("renyi", p, q, params={"alpha": alpha}).value,
                          1e-9), (l1, h1, l2, h2, alpha)
    # nearly equal intervals: every digit (the widths' difference from the ends' differences)
    l1, h1, l2, h2 = 0.3, 1.3, 0.3 - 1e-9, 1.3 + 2e-9
    with mpmath.workdps(50):
        w1 = mpmath.mpf(h1) - mpmath.mpf(l1)
        w2 = mpmath.mpf(h2) - mpmath.mpf(l2)
        truth = float(mpmath.log(w2 / w1))
    assert anadiv.renyi(Uniform(l1, h1), Uniform(l2, h2), 0.5) == pytest.approx(truth, rel=1e-12)
    assert anadiv.renyi(Uniform(l1, h1), Uniform(l2, h2), 1.0) == anadiv.kl(Uniform(l1, h1), Uniform(l2, h2))
