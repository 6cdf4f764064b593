"""scipy.stats objects (frozen ones and scipy >= 1.15's distribution objects) wherever anadiv takes a distribution.

The truths are scipy's: its ``entropy()``, and KL divergences integrated here with
``scipy.integrate.quad`` (continuous) or summed term by term (discrete) from scipy's
own log-densities.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.stats as st

import anadiv
from anadiv import NoClosedFormError
from anadiv.families._scipy_objects import ScipyDistribution, ScipyMassFunction, as_distribution
from anadiv.interop import scipy_names

# (scipy name, P's shapes, P's loc/scale, Q's shapes, Q's loc/scale): one row per way a scipy name maps
# to a family (chi with df 1 and 2 are a HalfNormal and a Rayleigh, chi2 with a scale a Gamma, ...).
CONTINUOUS = [
    ("arcsine", (), {}, (), {}),
    ("beta", (2.3, 0.6), {}, (1.5, 1.2), {}),
    ("cauchy", (), {}, (), {"loc": 0.3, "scale": 1.5}),
    ("chi", (1.0,), {"scale": 0.7}, (1.0,), {"scale": 1.3}),
    ("chi", (2.0,), {"scale": 0.7}, (2.0,), {"scale": 1.3}),
    ("chi", (3.5,), {}, (5.0,), {}),
    ("chi2", (5.0,), {}, (7.0,), {}),
    ("chi2", (5.0,), {"scale": 0.5}, (7.0,), {"scale": 0.5}),
    ("erlang", (3,), {}, (5,), {"scale": 0.5}),
    ("expon", (), {}, (), {"scale": 0.5}),
    ("gamma", (2.0,), {}, (3.0,), {"scale": 0.5}),
    ("gibrat", (), {}, (), {"scale": 2.0}),
    ("gumbel_r", (), {}, (), {"loc": 0.5, "scale": 2.0}),
    ("halfcauchy", (), {}, (), {"scale": 2.0}),
    ("halfnorm", (), {}, (), {"scale": 2.0}),
    ("invgamma", (4.0,), {}, (3.0,), {"scale": 2.0}),
    ("laplace", (), {}, (), {"loc": 0.5, "scale": 2.0}),
    ("levy", (), {}, (), {"scale": 2.0}),
    ("logistic", (), {}, (), {"loc": 0.5, "scale": 2.0}),
    ("lognorm", (0.9,), {}, (0.5,), {"scale": 2.0}),
    ("maxwell", (), {}, (), {}),
    ("moyal", (), {}, (), {"loc": 0.5, "scale": 2.0}),
    ("norm", (), {}, (), {"loc": 1.0, "scale": 2.0}),
    ("pareto", (2.6,), {}, (1.5,), {}),
    ("powerlaw", (0.66,), {}, (2.0,), {}),
    ("rayleigh", (), {}, (), {"scale": 2.0}),
    ("t", (2.7,), {}, (5.0,), {"loc": 0.5, "scale": 2.0}),
    ("uniform", (), {}, (), {"loc": -0.5, "scale": 2.0}),
    ("vonmises_line", (4.0,), {}, (1.0,), {}),
    ("weibull_min", (1.8,), {}, (1.2,), {"scale": 2.0}),
]
DISCRETE = [
    ("bernoulli", (0.3,), {}, (0.6,), {}),
    ("binom", (5, 0.4), {}, (5, 0.6), {}),
    ("geom", (0.5,), {"loc": -1}, (0.3,), {"loc": -1}),
    ("nbinom", (5, 0.5), {}, (5, 0.3), {}),
    ("poisson", (0.6,), {}, (1.5,), {}),
    ("planck", (0.51,), {}, (1.2,), {}),
]
#: Same-family pairs without a KL closed form: divergence() integrates them.
NO_SAME_FAMILY_KL = {"logistic", "t"}
#: The affine map applied to P and Q both in the shifted variant: x -> A x + B.
A, B = 2.0, 0.5


def _frozen(name, shapes, where, shift=0.0, scale=1.0):
    loc, s = where.get("loc", 0.0), where.get("scale", 1.0)
    kwargs = {"loc": scale * loc + shift}
    if name not in {n for n, *_ in DISCRETE}:
        kwargs["scale"] = scale * s
    return getattr(st, name)(*shapes, **kwargs)


def _quad_kl(p, q) -> float:
    """KL(P || Q) from scipy's densities, integrated on P's support split at its median."""
    lo, hi = p.support()

    def f(x: float) -> float:
        lp = p.logpdf(x)
        # below exp(-300) P adds nothing (scipy's levy.logpdf is log(pdf): -inf where pdf underflows)
        return math.exp(lp) * (lp - q.logpdf(x)) if lp > -300.0 else 0.0

    mid = float(p.median())
    pieces = ((lo, mid), (mid, hi))
    return sum(scipy.integrate.quad(f, a, b, limit=200, epsabs=1e-13, epsrel=1e-12)[0] for a, b in pieces)


def _sum_kl(p, q) -> float:
    # scipy's isf is inf or NaN for some tails that small: the first finite one of these
    end = next(float(v) for v in (p.isf(1e-17), p.isf(1e-15), p.isf(1e-13)) if np.isfinite(v))
    k = np.arange(p.support()[0], end + 60)
    lp, lq = p.logpmf(k), q.logpmf(k)
    alive = lp > -np.inf
    return float(np.sum(np.exp(lp[alive]) * (lp[alive] - lq[alive])))


def test_every_mapped_scipy_name_is_in_the_tables():
    univariate = set(scipy_names()) - {"multivariate_normal", "wishart", "dirichlet", "multinomial"}
    assert univariate == {n for n, *_ in CONTINUOUS + DISCRETE}


@pytest.mark.parametrize("variant", ["plain", "shifted"])
@pytest.mark.parametrize("name, ps, pw, qs, qw", CONTINUOUS, ids=[f"{c[0]}{c[1]}" for c in CONTINUOUS])
def test_continuous_mapped_entropy_and_kl_against_scipy(name, ps, pw, qs, qw, variant):
    shift, scale = (B, A) if variant == "shifted" else (0.0, 1.0)
    p, q = _frozen(name, ps, pw, shift, scale), _frozen(name, qs, qw, shift, scale)
    if variant == "plain":
        assert not isinstance(as_distribution(p, "p"), ScipyDistribution), "a mapped name must give its family"
    np.testing.assert_allclose(anadiv.entropy(p), p.entropy(), rtol=1e-9, atol=1e-12)
    r = anadiv.divergence("kl", p, q)
    assert r.method == ("scipy.integrate.quad" if name in NO_SAME_FAMILY_KL else "closed form")
    np.testing.assert_allclose(r.value, _quad_kl(p, q), rtol=1e-8, atol=1e-12)
    if variant == "shifted":
        # the same map applied to both: KL unchanged, entropy and cross-entropy up by log A
        p0, q0 = _frozen(name, ps, pw), _frozen(name, qs, qw)
        np.testing.assert_allclose(anadiv.entropy(p), anadiv.entropy(p0) + math.log(A), rtol=1e-13)
        if name not in NO_SAME_FAMILY_KL:
            np.testing.assert_allclose(anadiv.kl(p, q), anadiv.kl(p0, q0), rtol=1e-13, atol=1e-15)
            np.testing.assert_allclose(anadiv.cross_entropy(p, q), anadiv.cross_entropy(p0, q0) + math.log(A),
                                       rtol=1e-13)


@pytest.mark.parametrize("variant", ["plain", "shifted"])
@pytest.mark.parametrize("name, ps, pw, qs, qw", DISCRETE, ids=[c[0] for c in DISCRETE])
def test_discrete_mapped_entropy_and_kl_against_scipy(name, ps, pw, qs, qw, variant):
    shift = 1 if variant == "shifted" else 0
    p, q = _frozen(name, ps, pw, shift), _frozen(name, qs, qw, shift)
    expected = ScipyMassFunction if variant == "shifted" else anadiv.Family
    assert isinstance(as_distribution(p, "p"), expected)
    np.testing.assert_allclose(anadiv.divergence("entropy", p).value, p.entropy(), rtol=1e-9)
    np.testing.assert_allclose(anadiv.kl(p, q), _sum_kl(p, q), rtol=1e-9, atol=1e-13)
    assert anadiv.kl(p, st.norm()) == math.inf  # a mass function against a density


# ------------------------------------------------------------------ no family: the adapter
UNMAPPED = [
    (st.skewnorm(4.0), st.norm(0.0, 2.0)),
    (st.genextreme(0.2), st.norm(0.5, 1.5)),
    (st.burr(3.0, 2.0), st.burr(2.0, 3.0, scale=1.5)),
]


@pytest.mark.parametrize("p, q", UNMAPPED, ids=["skewnorm", "genextreme", "burr"])
def test_unmapped_through_the_adapter(p, q):
    truth = _quad_kl(p, q)
    np.testing.assert_allclose(anadiv.kl_quad(p, q).value, truth, rtol=1e-8)
    np.testing.assert_allclose(anadiv.entropy_quad(p).value, p.entropy(), rtol=1e-8)
    est = anadiv.kl_estimate(p, q, n=4000, seed=1)
    assert abs(est.value - truth) < 5 * est.stderr
    with pytest.raises(NoClosedFormError, match=r"ScipyDistribution\(scipy.stats.*kl_estimate\(p, q\).*kl_quad"):
        anadiv.kl(p, q)


def test_supports_decide_infinity_and_the_integration_range():
    # P's support [0.5, inf) is not inside Q's [1, inf): infinite; the other way round: rate * shift
    p, q = st.expon(loc=0.5), st.expon(loc=1.0)
    assert anadiv.kl_quad(p, q).value == math.inf
    assert anadiv.kl_estimate(p, q, n=100, seed=0).value == math.inf
    r = anadiv.divergence("kl", q, p)
    assert r.method == "scipy.integrate.quad"
    np.testing.assert_allclose(r.value, 0.5, rtol=1e-10)
    with pytest.raises(NoClosedFormError):
        anadiv.kl(q, p)  # different shifts: no family holds the pair


# ------------------------------------------------------------------ scipy >= 1.15's objects
def test_new_distribution_objects_map_to_families():
    gamma = st.make_distribution(st.gamma)
    cases = [
        (st.Normal(mu=0.5, sigma=2.0), anadiv.Normal(0.5, 2.0)),
        (2.0 * st.Normal(mu=1.0, sigma=0.5) + 1.0, anadiv.Normal(3.0, 1.0)),
        (st.Uniform(a=1.0, b=3.0), anadiv.Uniform(1.0, 3.0)),
        (gamma(a=2.0), anadiv.Gamma(2.0, 1.0)),
        (4.0 * gamma(a=2.0), anadiv.Gamma(2.0, 0.25)),
        (st.Binomial(n=5, p=0.4), anadiv.Binomial(5, 0.4)),
        (st.make_distribution(st.poisson)(mu=3.0), anadiv.Poisson(3.0)),
    ]
    for obj, family in cases:
        got = anadiv.from_scipy(obj)
        assert type(got) is type(family) and got.param_values == family.param_values, (obj, got)
    np.testing.assert_allclose(anadiv.kl(st.Normal(mu=0.0, sigma=1.0), st.norm(1.0, 2.0)),
                               anadiv.kl(anadiv.Normal(0.0, 1.0), anadiv.Normal(1.0, 2.0)), rtol=1e-15)


def test_new_objects_without_a_family_use_the_adapter():
    shifted_gamma = 3.0 * st.make_distribution(st.gamma)(a=2.0) + 1.0
    assert isinstance(as_distribution(shifted_gamma, "p"), ScipyDistribution)
    np.testing.assert_allclose(anadiv.entropy(shifted_gamma), shifted_gamma.entropy(), rtol=1e-12)
    skew = st.make_distribution(st.skewnorm)(a=4.0)
    np.testing.assert_allclose(anadiv.kl_quad(skew, st.norm(0.0, 2.0)).value,
                               anadiv.kl_quad(st.skewnorm(4.0), st.norm(0.0, 2.0)).value, rtol=1e-10)
    # a reflection has no classic form: quadrature, and the closed form of the reflected pair
    mirrored = -st.Normal(mu=1.0, sigma=2.0)
    with pytest.raises(NoClosedFormError):
        anadiv.entropy(mirrored)
    np.testing.assert_allclose(anadiv.kl_quad(mirrored, st.norm(0.0, 1.0)).value,
                               anadiv.kl(anadiv.Normal(-1.0, 2.0), anadiv.Normal(0.0, 1.0)), rtol=1e-9)


def test_batches_of_mapped_objects_broadcast():
    got = anadiv.kl(st.norm([0.0, 1.0], 1.0), st.norm(0.0, 2.0))
    want = [anadiv.kl(anadiv.Normal(m, 1.0), anadiv.Normal(0.0, 2.0)) for m in (0.0, 1.0)]
    np.testing.assert_allclose(got, want, rtol=1e-15)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: anadiv.kl(st.norm, st.norm()), r"^p: got the unfrozen scipy.stats.norm"),
        (lambda: anadiv.kl_quad(st.norm(), st.skewnorm([1.0, 2.0])), r"^q: .*one distribution \(scalar parameters\)"),
        (lambda: anadiv.entropy_quad(st.skewnorm(np.nan)), r"^p: .*invalid"),
        (lambda: anadiv.kl_quad(st.vonmises(2.0), st.norm()), r"^p: scipy.stats.vonmises is not a density"),
        (lambda: anadiv.kl_estimate(st.multivariate_t([0.0, 0.0]), st.norm()), r"^p: .*univariate"),
        (lambda: anadiv.kl(st.norm(0.0, -1.0), st.norm()), r"^p: scipy.stats.norm.*sigma"),
    ],
    ids=["unfrozen", "batch", "invalid", "periodic", "multivariate", "bad-value"],
)
def test_bad_scipy_objects_name_the_argument(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_special_cases_and_multivariate_objects_convert():
    assert anadiv.from_scipy(st.erlang(3, scale=0.5)).param_values == (3.0, 2.0)
    assert type(anadiv.from_scipy(st.chi2(4.0, scale=3.0))) is anadiv.Gamma
    d = anadiv.from_scipy(st.dirichlet([1.0, 2.0, 3.0]))
    assert isinstance(d, anadiv.Dirichlet) and d.concentration.tolist() == [1.0, 2.0, 3.0]
    m = anadiv.from_scipy(st.multinomial(4, [0.2, 0.8]))
    assert isinstance(m, anadiv.Multinomial) and float(m.total_count) == 4.0
    with pytest.raises(ValueError, match=r"^loc: scipy.stats.expon"):
        anadiv.from_scipy(st.expon(loc=1.0))


def test_wasserstein_takes_scipy_objects():
    # the quantile integral through scipy's own ppf/isf (classic) or icdf/iccdf (new objects)
    p, q = st.skewnorm(2.0), st.norm(3.0, 5.0)
    truth = math.sqrt(scipy.integrate.quad(lambda u: (p.ppf(u) - q.ppf(u)) ** 2, 0.0, 1.0, limit=200)[0])
    np.testing.assert_allclose(anadiv.wasserstein2_quad(p, q).value, truth, rtol=1e-9)
    np.testing.assert_allclose(anadiv.wasserstein2_quad(st.make_distribution(st.skewnorm)(a=2.0), q).value, truth,
                               rtol=1e-9)
    assert anadiv.wasserstein2(st.norm(0.0, 1.0), st.Normal(mu=3.0, sigma=5.0)) == 5.0


def test_other_new_objects_go_through_the_adapter():
    # a mixture, a truncation, a monotone transform: scipy's own log-density, integrated over its support
    for obj in (st.Mixture([st.Normal(mu=-1.0), st.Normal(mu=1.0)], weights=[0.5, 0.5]),
                st.truncate(st.Normal(), -1.0, 1.0), st.exp(st.Normal())):
        assert isinstance(as_distribution(obj, "p"), ScipyDistribution)
        np.testing.assert_allclose(anadiv.entropy_quad(obj).value, obj.entropy(), rtol=1e-9)
