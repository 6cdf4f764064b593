"""LogitNormal (TensorFlow Probability's ``tfd.LogitNormal``): what the generated tests cannot check by themselves.

scipy and torch have no logit-normal, so the density, quantile and sampler are checked here against
formulas evaluated with mpmath, the same-family KL against the KL of the underlying normals (computed
independently: mpmath quadrature over the normal variable, and the normal closed form at 50 digits for
nearly equal pairs), and the kinds without an elementary form must raise ``NoClosedFormError``.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

import anadiv
from anadiv import LogitNormal, cross_entropy, entropy, kl, kl_quad
from anadiv.errors import NoClosedFormError

MP_DPS = 50


def _normal_kl_by_quadrature(m1: float, s1: float, m2: float, s2: float) -> mpmath.mpf:
    """KL of N(m1, s1^2) || N(m2, s2^2) as the mpmath integral over the normal variable."""
    with mpmath.workdps(30):
        m1, s1, m2, s2 = (mpmath.mpf(v) for v in (m1, s1, m2, s2))

        def logn(y, m, s):
            return -((y - m) / s) ** 2 / 2 - mpmath.log(s) - mpmath.log(2 * mpmath.pi) / 2

        f = lambda y: mpmath.exp(logn(y, m1, s1)) * (logn(y, m1, s1) - logn(y, m2, s2))  # noqa: E731
        return mpmath.quad(f, [-mpmath.inf, m1 - 5 * s1, m1, m1 + 5 * s1, mpmath.inf])


def _normal_kl_exact(m1: float, s1: float, m2: float, s2: float) -> mpmath.mpf:
    with mpmath.workdps(MP_DPS):
        m1, s1, m2, s2 = (mpmath.mpf(v) for v in (m1, s1, m2, s2))
        return mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2


@pytest.mark.parametrize("p, q", [((0.3, 1.2), (-0.5, 0.7)), ((-1.7, 0.35), (1.9, 1.8)), ((4.0, 1e-3), (4.5, 30.0))])
def test_logitnormal_kl_is_the_kl_of_the_underlying_normals(p, q):
    got = kl(LogitNormal(*p), LogitNormal(*q))
    assert math.isclose(got, float(_normal_kl_by_quadrature(*p, *q)), rel_tol=1e-13)


def test_logitnormal_kl_equals_quadrature_on_the_unit_interval():
    # the Jacobian terms cancel only in log p - log q: integrate the logit-normal densities themselves
    p, q = LogitNormal(0.4, 0.8), LogitNormal(-0.3, 1.3)
    assert math.isclose(kl(p, q), float(kl_quad(p, q)), rel_tol=1e-9)


@pytest.mark.parametrize("rel", [1e-3, 1e-6, 1e-9, 1e-12])
def test_logitnormal_kl_keeps_its_digits_for_nearly_equal_pairs(rel):
    for loc, scale in [(0.0, 1.0), (-1.5, 0.4), (2.0, 1e-6), (1e3, 1e5)]:
        for p, q in [((loc, scale), (loc, scale * (1 + rel))), ((loc, scale), (loc + rel * max(scale, abs(loc)), scale))]:
            got = kl(LogitNormal(*p), LogitNormal(*q))
            want = _normal_kl_exact(*p, *q)
            assert got > 0
            assert math.isclose(got, float(want), rel_tol=1e-12), (p, q, got, want)


def test_logitnormal_kl_batches_like_numpy():
    loc = np.array([[-1.0], [0.5]])
    scale = np.array([0.3, 1.0, 2.5])
    got = kl(LogitNormal(loc, scale), LogitNormal(0.2, 0.9))
    assert got.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert math.isclose(got[i, j], float(_normal_kl_exact(loc[i, 0], scale[j], 0.2, 0.9)), rel_tol=1e-14)


def test_logitnormal_logpdf_equals_mpmath():
    dist = LogitNormal(0.7, 0.45)
    x = np.array([1e-300, 1e-9, 0.1, 0.5, 0.9, 1 - 1e-12])
    got = dist.logpdf(x)
    with mpmath.workdps(40):
        for xi, g in zip(x, got):
            t = mpmath.mpf(float(xi))
            lg = mpmath.log(t) - mpmath.log1p(-t)
            want = -mpmath.log(t) - mpmath.log1p(-t) - mpmath.log(mpmath.mpf(0.45)) - mpmath.log(2 * mpmath.pi) / 2 \
                - (lg - mpmath.mpf(0.7)) ** 2 / (2 * mpmath.mpf(0.45) ** 2)
            assert math.isclose(g, float(want), rel_tol=1e-13), xi
    assert np.all(dist.logpdf([0.0, 1.0, -0.5, 1.5]) == -np.inf)


def test_logitnormal_density_integrates_to_one_and_quantile_inverts_it():
    loc, scale = -0.6, 1.4
    dist = LogitNormal(loc, scale)
    with mpmath.workdps(20):
        total = mpmath.quad(lambda t: mpmath.exp(float(dist.logpdf(float(t)))), [0, 0.05, 0.35, 0.65, 0.95, 1])
    assert abs(total - 1) < 1e-10
    u = np.array([1e-6, 0.2, 0.5, 0.9])
    x = dist.quantile(u)
    cdf = [float(mpmath.ncdf((math.log(v) - math.log1p(-v) - loc) / scale)) for v in x]
    np.testing.assert_allclose(cdf, u, rtol=1e-12)


def test_logitnormal_samples_have_normal_logits():
    loc, scale, n = 0.8, 0.6, 200_000
    x = LogitNormal(loc, scale).sample(n, rng=5)
    assert np.all((x > 0) & (x < 1))
    y = np.log(x) - np.log1p(-x)
    assert abs(y.mean() - loc) < 4 * scale / math.sqrt(n)
    assert abs(y.std() - scale) < 4 * scale / math.sqrt(2 * n)


def test_logitnormal_entropy_and_cross_entropy_have_no_closed_form():
    p, q = LogitNormal(0.0, 1.0), LogitNormal(1.0, 2.0)
    with pytest.raises(NoClosedFormError):
        entropy(p)
    from anadiv.symbolic import derive_entropy

    # the engine names the expectation it cannot take, E[log x(1 - x)] under a logit-normal
    with pytest.raises(NoClosedFormError, match=r"E\[log\(x\)\] under LogitNormal"):
        derive_entropy(LogitNormal)
    with pytest.raises(NoClosedFormError):
        cross_entropy(p, q)
    with pytest.raises(NotImplementedError, match="no mean"):
        p.mean_variance()
    # the numerical routes answer them: H(P, Q) - H(P) is the closed-form KL
    h_pq = float(anadiv.cross_entropy_quad(p, q))
    h_p = float(anadiv.entropy_quad(p))
    assert math.isclose(h_pq - h_p, kl(p, q), rel_tol=1e-9)


def test_logitnormal_kl_out_of_its_support_is_infinite():
    assert kl(anadiv.Normal(0.0, 1.0), LogitNormal(0.0, 1.0)) == math.inf
    assert kl(anadiv.Exponential(2.0), LogitNormal(0.0, 1.0)) == math.inf


@pytest.mark.parametrize("args, name", [
    ((0.0, -1.0), "scale"), ((0.0, 0.0), "scale"), ((0.0, math.nan), "scale"), ((math.inf, 1.0), "loc"),
    (("0.5", 1.0), "loc"), ((0.0, "1"), "scale"), ((1j, 1.0), "loc"),
])
def test_logitnormal_refuses_bad_parameters_naming_them(args, name):
    with pytest.raises(ValueError, match=f"^{name}"):
        LogitNormal(*args)
