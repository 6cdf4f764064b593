"""Quadrature is right or says it failed: regression tests of issue 10.

Truths are closed forms evaluated independently with mpmath (or anadiv's own
closed form where the issue measured against it).
"""

import math
import warnings

import mpmath
import pytest

from anadiv import Gumbel, Laplace, Normal, StudentT, kl
from anadiv.estimators.quadrature import _tail_diverges, cross_entropy_quad, entropy_quad, kl_quad


def _kl_normal(s_p, s_q=1.0):
    with mpmath.workdps(40):
        return float(mpmath.log(mpmath.mpf(s_q) / s_p) + mpmath.mpf(s_p) ** 2 / (2 * mpmath.mpf(s_q) ** 2) - 0.5)


def _kl_t_normal(df):
    """KL(t_df || N(0, 1)) = -H(t_df) + log(2 pi) / 2 + df / (2 (df - 2)), at 40 digits."""
    with mpmath.workdps(40):
        v = mpmath.mpf(df)
        h = (v + 1) / 2 * (mpmath.digamma((v + 1) / 2) - mpmath.digamma(v / 2)) + mpmath.log(
            mpmath.sqrt(v) * mpmath.beta(v / 2, mpmath.mpf(1) / 2))
        return float(-h + mpmath.log(2 * mpmath.pi) / 2 + v / (2 * (v - 2)))


@pytest.mark.parametrize("sigma", [1e-8, 1e-4, 1e-12, 1e3])
def test_narrow_p_is_not_stepped_over(sigma):
    # Issue 10: kl_quad(Normal(0, 1e-8), Normal(0, 1)) was 17.91612 (true 17.92068)
    # with an error estimate of 2e-13. Split points now follow P's own scale.
    r = kl_quad(Normal(0.0, sigma), Normal(0.0, 1.0))
    true = _kl_normal(sigma)
    assert abs(r.value - true) <= max(1e-12 * true, r.error)
    assert r.error <= 1e-11 * true


def test_narrow_p_far_from_q():
    r = kl_quad(Normal(5.0, 1e-8), Normal(0.0, 1.0))
    true = 12.5 + _kl_normal(1e-8)
    assert abs(r.value - true) <= max(2e-12 * true, r.error)


def test_gumbel_log_density_overflow_is_not_infinite():
    # Issue 10: inf labelled "support"; true value exp(200) * ... = 7.2e86. log q of the
    # Gumbel overflows float64 from x = -35.5 on, where p is still ~1e-274.
    # KL = E[z + e^-z] - H(N) + log(beta) with z = x / beta: E e^{-x/beta} = e^{1/(2 beta^2)}.
    beta = 0.05
    with mpmath.workdps(40):
        true = float(mpmath.exp(1 / (2 * mpmath.mpf(beta) ** 2)) + mpmath.log(beta)
                     - mpmath.log(2 * mpmath.pi * mpmath.e) / 2)
    r = kl_quad(Normal(0.0, 1.0), Gumbel(0.0, beta))
    assert r.method == "scipy.integrate.quad"
    assert abs(r.value - true) <= max(1e-12 * true, r.error)
    assert r.error <= 1e-10 * true


@pytest.mark.parametrize("precision", ["double", "high"])
def test_laplace_against_gumbel_is_infinite(precision):
    # Issue 10: the "high" path returned 4989.8. p ~ e^-|x| against -log q ~ e^|x|
    # (far left): the integrand tends to a constant, the integral diverges.
    r = kl_quad(Laplace(0.0, 1.0), Gumbel(0.0, 1.0), precision=precision)
    assert r.value == math.inf and r.method == "divergent tail"
    assert _tail_diverges("kl", Laplace(0.0, 1.0), Gumbel(0.0, 1.0))
    # A wider Gumbel is finite: -log q ~ e^{|x|/2}.
    assert math.isfinite(kl_quad(Laplace(0.0, 1.0), Gumbel(0.0, 2.0)).value)


@pytest.mark.slow
@pytest.mark.parametrize("df", [2.2, 2.05])
def test_heavy_tail_high_precision(df):
    # Issue 10: precision="high" was 1.8e-8 off at df = 2.2 (error estimate 2e-9) and
    # far off at df = 2.05: the mpmath path cut the tail at 1e40. It now integrates in
    # log|x| out to 1e280 and adds the power-law remainder.
    true = _kl_t_normal(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = kl_quad(StudentT(df, 0.0, 1.0), Normal(0.0, 1.0), precision="high")
    assert r.error < 1e-25
    assert abs(r.value - true) <= 2e-16 * true
    d = kl_quad(StudentT(df, 0.0, 1.0), Normal(0.0, 1.0))
    assert abs(d.value - true) <= max(1e-12 * true, d.error)
    assert abs(kl(StudentT(df, 0.0, 1.0), Normal(0.0, 1.0)) - true) <= 1e-12 * true


@pytest.mark.parametrize("bad", [-1, 0, float("nan"), float("inf"), "abc", None, 1 + 2j])
def test_rtol_is_checked(bad):
    # Issue 10: rtol=-1 hung, rtol=nan was accepted, rtol='abc' gave an unnamed error.
    for fn, args in ((kl_quad, (Normal(0.0, 1.0), Normal(1.0, 2.0))),
                     (cross_entropy_quad, (Normal(0.0, 1.0), Normal(1.0, 2.0))),
                     (entropy_quad, (Normal(0.0, 1.0),))):
        with pytest.raises(ValueError, match="^rtol"):
            fn(*args, rtol=bad)


@pytest.mark.parametrize("bad", [14, 2.5, "30", None, True, float("inf"), 10**6])
def test_digits_is_checked(bad):
    with pytest.raises(ValueError, match="^digits"):
        kl_quad(Normal(0.0, 1.0), Normal(1.0, 2.0), digits=bad, precision="high")


@pytest.mark.parametrize("bad", ["quad", None, 3, ["double"]])
def test_precision_is_checked(bad):
    with pytest.raises(ValueError, match="^precision"):
        kl_quad(Normal(0.0, 1.0), Normal(1.0, 2.0), precision=bad)
