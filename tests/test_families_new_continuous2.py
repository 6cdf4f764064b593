"""Logistic, Kumaraswamy and VonMises (issue 12): what the generated tests cannot check by themselves.

The generated tests compare each family with scipy where scipy has it; Kumaraswamy has no scipy
counterpart and scipy's von Mises moves its support with ``loc``, so their cdf, quantile, sampler
and moments are checked here against formulas evaluated with mpmath, and against torch. The pairs
the engine cannot derive must raise ``NoClosedFormError``, never give a number.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.stats as st

import anadiv
from anadiv import Kumaraswamy, Logistic, VonMises, cross_entropy, entropy, kl, kl_quad
from anadiv.errors import NoClosedFormError
from anadiv.families import FAMILIES

mpmath.mp.dps = 40


# ------------------------------------------------------------------ logistic
def test_logistic_entropy_and_moments_equal_scipy():
    for loc, scale in [(0.0, 1.0), (-2.0, 0.3), (5.0, 1e6), (1e-3, 1e-200)]:
        ref = st.logistic(loc, scale)
        assert math.isclose(entropy(Logistic(loc, scale)), float(ref.entropy()), rel_tol=1e-13)
        mean, var = Logistic(loc, scale).mean_variance()
        assert math.isclose(mean, ref.mean(), rel_tol=1e-14, abs_tol=1e-300)
        assert math.isclose(var, ref.var(), rel_tol=1e-13)


def test_logistic_logpdf_far_in_the_tails_equals_mpmath():
    x = np.array([-800.0, -40.0, 0.0, 35.0, 750.0])
    got = Logistic(0.0, 1.0).logpdf(x)
    for xi, g in zip(x, got):
        z = mpmath.mpf(float(xi))
        want = -z - 2 * mpmath.log1p(mpmath.exp(-z))
        assert math.isclose(g, float(want), rel_tol=1e-15), xi


@pytest.mark.parametrize("q", [anadiv.Normal(0.3, 2.0), anadiv.Laplace(-0.5, 1.5), anadiv.Gumbel(0.2, 3.0)])
def test_kl_from_a_logistic_equals_quadrature(q):
    p = Logistic(0.1, 0.7)
    assert math.isclose(kl(p, q), float(kl_quad(p, q)), rel_tol=1e-9)


@pytest.mark.parametrize("p, q", [
    (anadiv.Normal(0.0, 1.0), Logistic(0.0, 1.0)),   # E log(1 + exp(-x)) under a normal
    (Logistic(0.0, 1.0), Logistic(1.0, 2.0)),       # a softplus term at another loc and scale
    (Logistic(0.0, 1.0), anadiv.Cauchy(0.0, 1.0)),  # E log(1 + x^2) under a logistic
    (Logistic(0.0, 1.0), anadiv.StudentT(3.0, 0.0, 1.0)),
])
def test_pairs_without_a_closed_form_raise(p, q):
    with pytest.raises(NoClosedFormError):
        kl(p, q)
    with pytest.raises(NoClosedFormError):
        cross_entropy(p, q)


def test_kl_from_a_logistic_to_a_gumbel_is_infinite_where_the_mgf_is():
    # E exp(-x/s2) under a logistic of scale s1 is finite iff s1 < s2
    assert math.isinf(kl(Logistic(0.0, 2.0), anadiv.Gumbel(0.0, 1.0)))
    assert math.isfinite(kl(Logistic(0.0, 0.5), anadiv.Gumbel(0.0, 1.0)))


# --------------------------------------------------------------- kumaraswamy
def _kum_cdf(x: float, a: float, b: float) -> mpmath.mpf:
    return 1 - (1 - mpmath.mpf(x) ** a) ** b


def test_kumaraswamy_quantile_inverts_its_cdf():
    u = np.array([1e-12, 1e-6, 0.01, 0.3, 0.5, 0.9, 1 - 1e-6])
    for a, b in [(2.0, 3.0), (0.5, 0.7), (5.0, 40.0)]:
        x = Kumaraswamy(a, b).quantile(u)
        for ui, xi in zip(u, x):
            assert math.isclose(float(_kum_cdf(float(xi), a, b)), ui, rel_tol=1e-9), (a, b, ui)


def test_kumaraswamy_sampler_matches_its_cdf():
    for i, (a, b) in enumerate([(2.0, 3.0), (0.5, 0.7), (4.0, 1.0)]):
        draws = Kumaraswamy(a, b).sample(3000, rng=10 + i)
        pvalue = st.kstest(draws, lambda x: 1 - (1 - x**a) ** b).pvalue
        assert pvalue > 1e-3, (a, b, pvalue)


def test_kumaraswamy_moments_and_entropy_equal_mpmath_and_torch():
    torch = pytest.importorskip("torch")
    for a, b in [(2.0, 3.0), (0.5, 0.7), (7.0, 0.3)]:
        m1 = b * mpmath.beta(1 + mpmath.mpf(1) / a, b)
        m2 = b * mpmath.beta(1 + mpmath.mpf(2) / a, b)
        mean, var = Kumaraswamy(a, b).mean_variance()
        assert math.isclose(mean, float(m1), rel_tol=1e-13)
        assert math.isclose(var, float(m2 - m1**2), rel_tol=1e-10)
        hb = mpmath.digamma(b + 1) + mpmath.euler
        h = (1 - 1 / mpmath.mpf(b)) + (1 - 1 / mpmath.mpf(a)) * hb - mpmath.log(a * b)
        assert math.isclose(entropy(Kumaraswamy(a, b)), float(h), rel_tol=1e-13, abs_tol=1e-15)
        t = torch.distributions.Kumaraswamy(torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64))
        assert math.isclose(float(t.entropy()), float(h), rel_tol=1e-10)
        assert math.isclose(float(t.mean), float(m1), rel_tol=1e-10)


def test_kumaraswamy_against_a_uniform_is_minus_its_entropy():
    p = Kumaraswamy(2.0, 3.0)
    assert math.isclose(kl(p, anadiv.Uniform(0.0, 1.0)), -entropy(p), rel_tol=1e-14)
    assert math.isinf(kl(p, anadiv.Uniform(0.1, 1.0)))
    assert math.isclose(kl(p, anadiv.Gamma(2.0, 3.0)), float(kl_quad(p, anadiv.Gamma(2.0, 3.0))), rel_tol=1e-9)


@pytest.mark.parametrize("p, q", [
    (Kumaraswamy(2.0, 3.0), anadiv.Beta(2.0, 3.0)),          # E log(1 - x): an infinite series
    (Kumaraswamy(2.0, 3.0), Kumaraswamy(3.0, 2.0)),          # E log(1 - x^c), c != a
    (anadiv.Beta(2.0, 3.0), Kumaraswamy(2.0, 3.0)),
    (anadiv.Uniform(0.0, 1.0), Kumaraswamy(2.0, 3.0)),
    (Kumaraswamy(2.0, 3.0), anadiv.Gumbel(0.0, 1.0)),        # E exp(t x) under a Kumaraswamy
])
def test_kumaraswamy_pairs_without_a_closed_form_raise(p, q):
    with pytest.raises(NoClosedFormError):
        kl(p, q)


# ------------------------------------------------------------------ von Mises
def _vm_logpdf(x: float, mu: float, k: float) -> mpmath.mpf:
    return k * mpmath.cos(mpmath.mpf(x) - mu) - mpmath.log(2 * mpmath.pi * mpmath.besseli(0, k))


def test_vonmises_logpdf_equals_mpmath_where_torch_is_off_by_2e_8():
    torch = pytest.importorskip("torch")
    x = np.array([-3.0, -1.0, 0.0, 0.2, 2.9])
    for mu, k in [(0.0, 1.0), (2.5, 0.3), (-1.0, 40.0), (0.5, 1e-8), (1.0, 1e5)]:
        got = VonMises(mu, k).logpdf(x)
        want = np.array([float(_vm_logpdf(float(v), mu, k)) for v in x])
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
        t = torch.distributions.VonMises(torch.tensor(mu, dtype=torch.float64), torch.tensor(k, dtype=torch.float64))
        off = np.abs(t.log_prob(torch.as_tensor(x)).numpy() - want)
        # torch's log I0 is a polynomial fit: right to ~1e-7, not to float64
        assert off.max() < 1e-6, (mu, k, off.max())
    t = torch.distributions.VonMises(torch.tensor(0.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
    assert abs(float(t.log_prob(torch.tensor(0.0, dtype=torch.float64))) - float(_vm_logpdf(0.0, 0.0, 1.0))) > 1e-9


def test_vonmises_sampler_matches_scipy_on_the_circle():
    for i, (mu, k) in enumerate([(0.0, 1.0), (2.5, 4.0), (-3.0, 0.2)]):
        draws = VonMises(mu, k).sample(3000, rng=20 + i)
        assert np.all((draws >= -np.pi) & (draws <= np.pi))
        centred = np.mod(draws - mu + np.pi, 2 * np.pi) - np.pi
        pvalue = st.kstest(centred, st.vonmises(k).cdf).pvalue
        assert pvalue > 1e-3, (mu, k, pvalue)


@pytest.mark.parametrize("k", [1e-12, 1e-3, 0.7, 30.0, 1e4, 1e200])
def test_vonmises_entropy_over_the_concentrations(k):
    # the two terms cancel to ~log(k)/2 at large k: digits enough for that
    with mpmath.workdps(40 + max(0, int(math.log10(k)))):
        mk = mpmath.mpf(k)
        a = mpmath.besseli(1, mk) / mpmath.besseli(0, mk)
        want = mpmath.log(2 * mpmath.pi * mpmath.besseli(0, mk)) - mk * a
    assert math.isclose(entropy(VonMises(0.3, k)), float(want), rel_tol=1e-12)


@pytest.mark.parametrize("p, q", [
    ((0.0, 2.0), (1.0, 2.0)), ((0.1, 1e-9), (0.2, 3e-9)), ((1.0, 5e3), (1.0 + 1e-7, 5e3 * (1 + 1e-9))),
    ((-2.0, 1e250), (-2.0, 2e250)), ((3.0, 0.5), (-3.0, 700.0)),
])
def test_vonmises_kl_equals_mpmath(p, q):
    (m1, k1), (m2, k2) = p, q
    with mpmath.workdps(60 + max(0, int(math.log10(max(k1, k2))))):
        mk1, mk2 = mpmath.mpf(k1), mpmath.mpf(k2)
        a = mpmath.besseli(1, mk1) / mpmath.besseli(0, mk1)
        want = mpmath.log(mpmath.besseli(0, mk2) / mpmath.besseli(0, mk1)) + a * (mk1 - mk2 * mpmath.cos(mpmath.mpf(m1) - m2))
    got = kl(VonMises(*p), VonMises(*q))
    assert got >= 0
    assert math.isclose(got, float(want), rel_tol=1e-12), (got, want)


def test_vonmises_against_the_uniform_on_the_circle_is_finite():
    p = VonMises(0.5, 3.0)
    assert math.isclose(kl(p, anadiv.Uniform(-np.pi, np.pi)), math.log(2 * math.pi) - entropy(p), rel_tol=1e-13)
    assert math.isinf(kl(p, anadiv.Uniform(-1.0, 1.0)))
    assert math.isinf(kl(anadiv.Normal(0.0, 1.0), p))  # a normal puts mass outside [-pi, pi]


@pytest.mark.parametrize("p, q", [
    (VonMises(0.0, 1.0), anadiv.Normal(0.0, 1.0)),   # E x^2 over [-pi, pi]
    (VonMises(0.0, 1.0), anadiv.Laplace(0.0, 1.0)),
    (anadiv.Uniform(-1.0, 1.0), VonMises(0.0, 1.0)),  # E cos(x - m) under a uniform: no route
    (anadiv.Beta(2.0, 2.0), VonMises(0.0, 1.0)),
])
def test_vonmises_pairs_without_a_closed_form_raise(p, q):
    with pytest.raises(NoClosedFormError):
        kl(p, q)


def test_new_families_are_registered():
    for name in ("logistic", "kumaraswamy", "vonmises"):
        assert name in FAMILIES
        assert FAMILIES[name].undeclared_hooks() == []
