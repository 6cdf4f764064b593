"""Chi and Moyal, two families TensorFlow Probability has KLs for: what the generated tests do not check.

The generated tests compare each family with scipy and every closed form with quadrature over the
whole range; here each same-family KL is checked against an independent truth (30-digit mpmath
quadrature of the two densities, written out again from their textbook form) and against the formula
TFP documents for ``KL(Chi || Chi)``, the special cases where a Chi is a half-normal or a Rayleigh,
nearly equal P and Q, input errors and the scipy interop.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.stats as st
from scipy.special import digamma, gammaln

import anadiv
from anadiv import Chi, Moyal, entropy, kl


def _chi_logpdf(x, k):
    return (k - 1) * mpmath.log(x) - x**2 / 2 - (k / 2 - 1) * mpmath.log(2) - mpmath.loggamma(k / 2)


def _moyal_logpdf(x, m, s):
    z = (x - m) / s
    return -(z + mpmath.exp(-z)) / 2 - mpmath.log(s * mpmath.sqrt(2 * mpmath.pi))


def _moyal_cells(m, s):
    # P's mass below m - 8s is under exp(-e^8/2) ~ 1e-647 and above m + 250s under e^-125 ~ 1e-54:
    # finite cells, where mpmath's tanh-sinh on an infinite end crawls through the double exponential
    return [m + s * t for t in (-8, -2, 0, 3, 20, 60, 250)]


def _kl_quad(logp, logq, pieces) -> float:
    with mpmath.workdps(30):
        f = lambda x: mpmath.exp(logp(x)) * (logp(x) - logq(x))  # noqa: E731
        return float(mpmath.quad(f, pieces))


@pytest.mark.parametrize("a, b", [(1.0, 3.0), (3.0, 5.0), (7.5, 2.2), (2.0, 2.0)])
def test_chi_kl_equals_quadrature_and_tfps_formula(a, b):
    got = kl(Chi(a), Chi(b))
    # TFP's documented closed form (the one the engine derives: see the family's docstring)
    tfp = gammaln(b / 2) - gammaln(a / 2) + (a - b) / 2 * digamma(a / 2)
    assert math.isclose(got, tfp, rel_tol=1e-13, abs_tol=1e-300)
    truth = _kl_quad(lambda x: _chi_logpdf(x, a), lambda x: _chi_logpdf(x, b), [0, math.sqrt(max(a - 1, 0.5)), mpmath.inf])
    assert math.isclose(got, truth, rel_tol=1e-12, abs_tol=1e-300)


@pytest.mark.parametrize("p, q", [((0.0, 1.0), (1.0, 2.0)), ((-2.0, 0.7), (0.5, 0.4)), ((3.0, 2.5), (3.0, 2.5))])
def test_moyal_kl_equals_quadrature(p, q):
    got = kl(Moyal(*p), Moyal(*q))
    truth = _kl_quad(lambda x: _moyal_logpdf(x, *p), lambda x: _moyal_logpdf(x, *q), _moyal_cells(*p))
    assert math.isclose(got, truth, rel_tol=1e-12, abs_tol=1e-300)


def _moyal_kl_mp(m1, s1, m2, s2):
    # the KL written out by hand: E[exp(-(X - m2)/s2)] = exp((m2 - m1)/s2) 2^r Gamma(r + 1/2)/sqrt(pi), r = s1/s2
    m1, s1, m2, s2 = map(mpmath.mpf, (m1, s1, m2, s2))
    r = s1 / s2
    e = mpmath.exp((m2 - m1) / s2) * mpmath.power(2, r) * mpmath.gamma(r + 0.5) / mpmath.sqrt(mpmath.pi)
    mean = m1 + s1 * (mpmath.euler + mpmath.log(2))
    return mpmath.log(s2 / s1) + (mean - m2) / (2 * s2) + e / 2 - (1 + mpmath.euler + mpmath.log(2)) / 2


@pytest.mark.parametrize("eps", [1e-3, 1e-7, 1e-11])
def test_nearly_equal_p_and_q_keep_their_digits(eps):
    with mpmath.workdps(60):
        for m1, s1, m2, s2 in [(0.3, 1.7, 0.3, 1.7 * (1 + eps)), (0.3, 1.7, 0.3 + eps, 1.7), (1e3, 2.0, 1e3 - eps, 2.0 * (1 - eps))]:
            want = float(_moyal_kl_mp(m1, s1, m2, s2))
            assert math.isclose(kl(Moyal(m1, s1), Moyal(m2, s2)), want, rel_tol=1e-12), (m1, s1, m2, s2)
        a = 4.2
        b = a * (1 + eps)
        want = float(mpmath.loggamma(mpmath.mpf(b) / 2) - mpmath.loggamma(mpmath.mpf(a) / 2)
                     + (mpmath.mpf(a) - b) / 2 * mpmath.digamma(mpmath.mpf(a) / 2))
        assert math.isclose(kl(Chi(a), Chi(b)), want, rel_tol=1e-12)


def test_chi_of_one_and_two_degrees_is_a_half_normal_and_a_rayleigh():
    assert kl(Chi(1.0), anadiv.HalfNormal(1.0)) == pytest.approx(0.0, abs=1e-15)
    assert kl(Chi(2.0), anadiv.Rayleigh(1.0)) == pytest.approx(0.0, abs=1e-15)
    # E_P[X^2] = df and E_P[log X] from the Mellin transform: against a Rayleigh of another scale
    want = _kl_quad(lambda x: _chi_logpdf(x, 3.0), lambda x: mpmath.log(x / 4) - x**2 / 8, [0, math.sqrt(2), mpmath.inf])
    assert math.isclose(kl(Chi(3.0), anadiv.Rayleigh(2.0)), want, rel_tol=1e-12)


@pytest.mark.parametrize("q", [anadiv.Gumbel(0.5, 1.5), anadiv.Normal(1.0, 3.0)])
def test_moyal_against_gumbel_and_normal_equals_quadrature(q):
    p = Moyal(0.2, 0.8)
    logq = lambda x: float(q.logpdf(float(x)))  # noqa: E731
    with mpmath.workdps(30):
        f = lambda x: mpmath.exp(_moyal_logpdf(x, 0.2, 0.8)) * (_moyal_logpdf(x, 0.2, 0.8) - logq(x))  # noqa: E731
        truth = float(mpmath.quad(f, _moyal_cells(0.2, 0.8)))
    assert math.isclose(kl(p, q), truth, rel_tol=1e-9)


def test_entropies_equal_scipy():
    for k in (0.5, 1.0, 3.0, 40.0):
        assert math.isclose(entropy(Chi(k)), float(st.chi(k).entropy()), rel_tol=1e-12)
    for m, s in ((0.0, 1.0), (-3.0, 1e-5), (2.0, 1e5)):
        assert math.isclose(entropy(Moyal(m, s)), float(st.moyal(m, s).entropy()), rel_tol=1e-12)


@pytest.mark.parametrize("make, name", [
    (lambda: Chi(-1.0), "df"), (lambda: Chi(0.0), "df"), (lambda: Chi(float("nan")), "df"), (lambda: Chi("3"), "df"),
    (lambda: Moyal(0.0, -1.0), "scale"), (lambda: Moyal(float("inf"), 1.0), "loc"), (lambda: Moyal("0", 1.0), "loc"),
])
def test_bad_input_names_the_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_scipy_interop_round_trips():
    p = anadiv.from_scipy(st.chi(3.5))
    assert isinstance(p, Chi) and float(p.df) == 3.5
    assert p.to_scipy().kwds == st.chi(3.5).kwds or p.to_scipy().args == (3.5,)
    q = anadiv.from_scipy(st.moyal(1.0, 2.0))
    assert isinstance(q, Moyal) and (float(q.loc), float(q.scale)) == (1.0, 2.0)
    x = np.array([-3.0, 0.5, 7.0])
    np.testing.assert_allclose(q.to_scipy().logpdf(x), q.logpdf(x), rtol=1e-14)
    with pytest.raises(ValueError, match="loc"):
        anadiv.from_scipy(st.chi(3.0, loc=1.0))
    with pytest.raises(ValueError, match="scale"):
        anadiv.from_scipy(st.chi(3.0, scale=2.0))


def test_samplers_and_quantiles_match_the_distributions():
    rng = np.random.default_rng(11)
    for dist, ref in ((Chi(2.7), st.chi(2.7)), (Moyal(-1.0, 0.6), st.moyal(-1.0, 0.6))):
        x = dist.sample(4000, rng=rng)
        assert st.kstest(x, ref.cdf).pvalue > 1e-3
        u = np.array([1e-9, 0.2, 0.5, 0.9, 1 - 1e-9])
        np.testing.assert_allclose(ref.cdf(dist.quantile(u)), u, rtol=1e-9)


def test_moyal_logpdf_far_left_is_finite_where_scipys_underflows():
    x = np.array([-40.0, -10.0, -3.0, 0.0, 50.0])
    got = Moyal(0.5, 1.5).logpdf(x)
    with mpmath.workdps(30):
        for xi, g in zip(x, got):
            assert math.isclose(g, float(_moyal_logpdf(mpmath.mpf(float(xi)), 0.5, 1.5)), rel_tol=1e-14), xi
