r"""Total variation distance in closed form, between two members of one family.

.. math::

    \operatorname{TV}(P, Q) = \sup_A |P(A) - Q(A)| = \tfrac12 \int |p - q|
    = \int (p - q)_+ \in [0, 1].

For every pair here the set :math:`\{p > q\}` is an interval (or a set of
counts ``0..k``) bounded by the crossing points of the two densities, so TV is
a difference of cdf values there. Written as such it cancels when P is close
to Q (TV is first order in the parameter change, both cdf values are of order
1), so every function computes the *difference* directly:

* a difference :math:`\Phi(u) - \Phi(v)` of the normal cdf at nearby points is
  the integral of the density over :math:`[v, u]`, evaluated by a 12-node
  Gauss-Legendre rule when the interval is short on the density's scale
  (the rule is then exact to far below one ulp), and from the tail functions
  (``erfc``), which do not cancel, otherwise;
* the interval's width comes from an identity that does not cancel (the
  crossing condition :math:`w^2 - z^2 = 2\log r` gives
  :math:`z - w = 2\log(1/r)/(z + w)`), the crossing points from the stable
  quadratic formula;
* exponential forms go through ``log1p`` / ``expm1``, the Cauchy arctan
  difference is one arctan.

The functions take raw parameter arrays (the families' constructor order, ``1``
for P and ``2`` for Q), broadcast them, check them against the families'
constraints (``ValueError`` naming the argument: ``sigma2: must be > 0, got
-1.0``) and return a float for scalar input, else a float64 array.
:data:`CLOSED_FORMS` maps registry names to them.

Accuracy, against 50-digit mpmath (:math:`\int (p - q)_+` by quadrature split
at the crossing points, or sums over counts; ``tests/test_total_variation.py``
and sweeps of 150 random pairs per function over scales 1e-200 ... 1e200 and
relative parameter changes 1e-12 ... 10): worst relative errors 8e-16
(normal, half-normal), 4e-16 (log-normal, exponential, Laplace, Cauchy),
2.4e-16 (uniform), 1e-16 (Bernoulli), 1.7e-15 (geometric, with
:math:`p` within 1e-7 of 1), 2.7e-15 (Poisson, rates 1e-200 ... 1e12). Results
are clipped to :math:`[0, 1]`; far-apart pairs round to 1. Bound not beaten:
for Poisson rates beyond about 1e16 the crossing count :math:`k^*` is known
only to :math:`10^{-16}\lambda`; TV is stationary in it, so this enters in
second order, as a relative error of about :math:`(10^{-16}\sqrt\lambda)^2`
(not checked against mpmath there: its incomplete gamma is too slow).

This module imports numpy and, on the first call that needs it,
``scipy.special``; never sympy.

Examples
--------
>>> from anadiv.total_variation_pairs import CLOSED_FORMS
>>> round(CLOSED_FORMS["normal", "normal"](0.0, 1.0, 1.0, 1.0), 12)  # erf(1/(2 sqrt 2))
0.382924922548
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from .families._base import FAMILIES
from .numeric.validation import as_float_array

__all__ = [
    "CLOSED_FORMS",
    "tv_normal_normal",
    "tv_lognormal_lognormal",
    "tv_halfnormal_halfnormal",
    "tv_uniform_uniform",
    "tv_exponential_exponential",
    "tv_laplace_laplace",
    "tv_cauchy_cauchy",
    "tv_bernoulli_bernoulli",
    "tv_geometric_geometric",
    "tv_poisson_poisson",
]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
# Gauss-Legendre rule on [-1, 1]: exact for polynomials of degree 23, so for an
# integrand exp(a t + b t^2) with |a|, |b| <= 1 its error is below 1e-25 relative.
_GL_T, _GL_W = np.polynomial.legendre.leggauss(12)
# Beyond this standardized distance between the means two normals are disjoint
# to double precision (TV rounds to 1); the clamp keeps delta**2 finite.
_FAR = 1e4
# Panels of the composite rule for long Poisson intervals (see _gamma_density_integral).
_PANELS = 160


def _special() -> Any:
    import scipy.special  # imported on the first call that needs it

    return scipy.special


# ------------------------------------------------------------------ validation
def _checked(family: str, *values: Any) -> list[np.ndarray]:
    """The parameters of P then Q as broadcast float64 arrays, checked against ``family``'s constraints.

    The arguments are named as the family's parameters with ``1`` (P) and ``2`` (Q) appended.
    """
    params = FAMILIES[family].parameters
    names = [p.name + s for s in ("1", "2") for p in params]
    constraints = [p.constraint for _ in ("1", "2") for p in params]
    arrays = []
    for value, name, constraint in zip(values, names, constraints):
        arr = constraint.check(as_float_array(value, name), name)
        arrays.append(np.asarray(arr, dtype=np.float64))
    try:
        return list(np.broadcast_arrays(*arrays))
    except ValueError:
        for i in range(len(arrays)):
            for j in range(i + 1, len(arrays)):
                try:
                    np.broadcast_shapes(arrays[i].shape, arrays[j].shape)
                except ValueError:
                    raise ValueError(
                        f"{names[i]}, {names[j]}: shapes {arrays[i].shape} and {arrays[j].shape} do not "
                        "broadcast against each other"
                    ) from None
        raise  # pragma: no cover - some pair fails when all of them together do


def _result(tv: np.ndarray) -> Any:
    out = np.clip(tv, 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


# --------------------------------------------------------- shared pieces
def _log_ratio(big: np.ndarray, small: np.ndarray) -> np.ndarray:
    r""":math:`\log(\mathrm{big}/\mathrm{small})` for ``big >= small > 0``, accurate near 1 and without overflow."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        ratio = big / small
        near = np.log1p((big - small) / small)  # big - small is exact (Sterbenz) when the ratio is below 2
        far = np.where(np.isfinite(ratio), np.log(ratio), np.log(big) - np.log(small))
    return np.where(ratio < 2.0, near, far)


def _phi_diff(z: np.ndarray, d: np.ndarray) -> np.ndarray:
    r""":math:`\Phi(z) - \Phi(z - d)`, accurate relative to itself for every sign and size of ``d``.

    On :math:`[m - h, m + h]` (:math:`m = z - d/2`, :math:`h = d/2`) the density is
    :math:`\varphi(m) e^{-m h t - h^2 t^2/2}`, :math:`t \in [-1, 1]`: when
    :math:`|h|(|m| + |h|) \le 1` that factor varies little and Gauss-Legendre
    integrates it to far below one ulp. Otherwise the two cdf values differ
    enough for a difference of tail functions (``erfc`` on the side both
    points are, ``erf`` when they straddle 0) to lose at most a few bits.
    """
    sp = _special()
    h = 0.5 * d
    m = z - h
    short = np.abs(h) * (np.abs(m) + np.abs(h)) <= 1.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ht = h[..., None] * _GL_T
        quad = h * np.exp(-0.5 * m * m) * _INV_SQRT_2PI * np.sum(
            _GL_W * np.exp(-ht * (m[..., None] + 0.5 * ht)), axis=-1)
        v = z - d
        hi = np.maximum(z, v)
        lo = np.minimum(z, v)
        sign = np.sign(d)
        upper = 0.5 * (sp.erfc(lo / _SQRT2) - sp.erfc(hi / _SQRT2))  # both >= 0: upper tails
        lower = 0.5 * (sp.erfc(-hi / _SQRT2) - sp.erfc(-lo / _SQRT2))  # both <= 0: lower tails
        middle = 0.5 * (sp.erf(hi / _SQRT2) - sp.erf(lo / _SQRT2))
        direct = sign * np.where(lo >= 0.0, upper, np.where(hi <= 0.0, lower, middle))
    return np.where(short, quad, direct)


def _normal_core(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> np.ndarray:
    """TV between N(mu1, s1^2) and N(mu2, s2^2), parameters already checked and broadcast."""
    sa = np.minimum(s1, s2)  # the narrower one, whose density is above the other's between the crossings
    sb = np.maximum(s1, s2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        # |standardized distance| on the wider scale (TV is invariant under x -> -x)
        delta = np.minimum(np.abs(mu1 - mu2) / sb, _FAR)
        delta = np.where(np.isnan(delta), _FAR, delta)  # inf - inf only for infinite means, refused earlier
        equal = sa == sb
        r = sa / sb
        omr = np.where(equal, 1.0, (sb - sa) / sb)  # 1 - r, exact subtraction
        opr = 1.0 + r
        a = omr * opr  # 1 - r^2 (>= 2**-53 when r < 1)
        log_r = _log_ratio(sb, sa)  # log(1/r) > 0
        # Crossings in P's standardized coordinate z, Q's being w = r z - delta:
        # a z^2 + 2 r delta z - (delta^2 + 2 log(1/r)) = 0, one root of each sign.
        c = delta * delta + 2.0 * log_r
        q = r * delta + np.sqrt(delta * delta + 2.0 * log_r * a)  # no cancellation: both terms >= 0
        z_b = c / q  # the positive root
        z_a = -q / a  # the negative root
        # z - w at the crossings, each from a form whose two terms have one sign
        d_b = omr * z_b + delta
        d_a = 2.0 * log_r / (opr * z_a - delta)
        tv = _phi_diff(z_b, d_b) - _phi_diff(z_a, d_a)  # F_P - F_Q: >= 0 at z_b, <= 0 at z_a
        same_scale = _special().erf(delta / (2.0 * _SQRT2))
    return np.where(equal, same_scale, tv)


# ------------------------------------------------------------------ families
def tv_normal_normal(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> Any:
    r"""Total variation distance between :math:`N(\mu_1, \sigma_1^2)` and :math:`N(\mu_2, \sigma_2^2)`.

    With equal scales, :math:`\operatorname{TV} = \operatorname{erf}\bigl(|\mu_1 - \mu_2| /
    (2\sqrt2\,\sigma)\bigr)`. Otherwise, with :math:`\sigma_a < \sigma_b` the two scales,
    :math:`r = \sigma_a/\sigma_b`, :math:`\delta = |\mu_1 - \mu_2|/\sigma_b` and
    :math:`w = r z - \delta`, the densities cross where :math:`w^2 - z^2 = 2\log r`,

    .. math::

        z_\pm = \frac{-r\delta \pm \sqrt{\delta^2 + 2(1 - r^2)\log(1/r)}}{1 - r^2}, \qquad
        \operatorname{TV} = \bigl[\Phi(z_+) - \Phi(w_+)\bigr] - \bigl[\Phi(z_-) - \Phi(w_-)\bigr],

    each root from the stable quadratic formula, each bracket (one sign each, so
    they do not cancel against each other) as an integral of the density over
    :math:`[w, z]` whose width :math:`z - w = (1 - r) z + \delta = 2\log(1/r)/(z + w)`
    is taken from the form without cancellation.

    Parameters
    ----------
    mu1, sigma1, mu2, sigma2 : array_like
        Means (finite) and standard deviations (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument (``sigma2: must be > 0, got -1.0``).

    Examples
    --------
    >>> round(tv_normal_normal(0.0, 1.0, 0.0, 2.0), 12)
    0.322674568835
    >>> tv_normal_normal(0.0, 1.0, 1e-9, 1.0)  # doctest: +ELLIPSIS
    3.989422804...e-10
    """
    mu1, sigma1, mu2, sigma2 = _checked("normal", mu1, sigma1, mu2, sigma2)
    return _result(_normal_core(mu1, sigma1, mu2, sigma2))


def tv_lognormal_lognormal(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> Any:
    r"""Total variation distance between two log-normal distributions.

    TV is invariant under the one-to-one map :math:`x \mapsto \log x`, so it is
    the value between the normals of :math:`\log X`:
    :math:`\operatorname{TV}(\mathrm{LogNormal}(\mu_1, \sigma_1), \mathrm{LogNormal}(\mu_2, \sigma_2))
    = \operatorname{TV}(N(\mu_1, \sigma_1^2), N(\mu_2, \sigma_2^2))`
    (see :func:`tv_normal_normal`).

    Parameters
    ----------
    mu1, sigma1, mu2, sigma2 : array_like
        Mean (finite) and standard deviation (> 0) of :math:`\log X` under P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> tv_lognormal_lognormal(0.0, 1.0, 1.0, 1.0) == tv_normal_normal(0.0, 1.0, 1.0, 1.0)
    True
    """
    mu1, sigma1, mu2, sigma2 = _checked("lognormal", mu1, sigma1, mu2, sigma2)
    return _result(_normal_core(mu1, sigma1, mu2, sigma2))


def tv_halfnormal_halfnormal(scale1: Any, scale2: Any) -> Any:
    r"""Total variation distance between two half-normal distributions.

    With :math:`\sigma_a < \sigma_b`, :math:`r = \sigma_a/\sigma_b`, the densities cross once, at
    :math:`z = \sigma_a^{-1} x^* = \sqrt{2\log(1/r)/(1 - r^2)}`, and

    .. math:: \operatorname{TV} = 2\bigl[\Phi(z) - \Phi(r z)\bigr]
              = \operatorname{TV}\bigl(N(0, \sigma_1^2), N(0, \sigma_2^2)\bigr),

    the value between the normals before folding (:func:`tv_normal_normal`, whose
    two brackets are then equal).

    Parameters
    ----------
    scale1, scale2 : array_like
        Scales (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> round(tv_halfnormal_halfnormal(1.0, 2.0), 12)
    0.322674568835
    """
    scale1, scale2 = _checked("halfnormal", scale1, scale2)
    zero = np.zeros_like(scale1)
    return _result(_normal_core(zero, scale1, zero, scale2))


def tv_uniform_uniform(low1: Any, high1: Any, low2: Any, high2: Any) -> Any:
    r"""Total variation distance between :math:`U(l_1, h_1)` and :math:`U(l_2, h_2)`.

    Let the wider interval be :math:`[l_W, h_W]` (width :math:`w_W`), the other
    :math:`[l_N, h_N]`. On the overlap the narrower density is the higher one,
    so :math:`(p - q)_+` is :math:`1/w_N - 1/w_W` there and :math:`1/w_N` on the
    rest of the narrower interval:

    .. math::

        \operatorname{TV} = 1 - \frac{o}{w_W}
        = \frac{(h_W - h_N)_+ + (l_N - l_W)_+}{w_W}

    when the intervals overlap (:math:`o = \min(h_1, h_2) - \max(l_1, l_2) > 0`),
    1 when they are disjoint (or touch); nested intervals give
    :math:`(w_W - w_N)/w_W`. The second form has no cancellation when
    :math:`o \approx w_W`. It is computed for both intervals in the role of
    :math:`W` (each value is :math:`1 - o/w_i`, largest for the wider) and the
    larger is taken, so nearly equal widths never pick the wrong numerator.

    Parameters
    ----------
    low1, high1, low2, high2 : array_like
        Ends of the two intervals (finite, ``low < high``); broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument (``low2, high2: need low2 < high2 for every element``).

    Examples
    --------
    >>> tv_uniform_uniform(0.0, 2.0, 1.0, 2.0)  # nested: 1 - 1/2
    0.5
    >>> tv_uniform_uniform(0.0, 1.0, 2.0, 3.0)  # disjoint
    1.0
    """
    low1, high1, low2, high2 = _checked("uniform", low1, high1, low2, high2)
    for lo, hi, s in ((low1, high1, "1"), (low2, high2, "2")):
        if not np.all(lo < hi):
            raise ValueError(f"low{s}, high{s}: need low{s} < high{s} for every element")
    # Halved ends: a width up to 2 * 1.8e308 stays finite (halving is exact above the subnormals).
    big = np.maximum.reduce([np.abs(low1), np.abs(high1), np.abs(low2), np.abs(high2)]) > 1e300
    halve = np.where(big, 0.5, 1.0)
    low1, high1, low2, high2 = low1 * halve, high1 * halve, low2 * halve, high2 * halve
    # For either interval i, ((h_i - h_j)_+ + (l_j - l_i)_+) / w_i = 1 - o / w_i exactly (overlapping
    # intervals), largest for the wider one. Taking the larger of the two, rather than deciding which is
    # wider from rounded widths, keeps the numerator exact when the widths differ by less than a rounding.
    disjoint = np.minimum(high1, high2) <= np.maximum(low1, low2)
    with np.errstate(invalid="ignore", over="ignore"):  # huge ratios only for disjoint intervals, set to 1
        tv1 = (np.maximum(high1 - high2, 0.0) + np.maximum(low2 - low1, 0.0)) / (high1 - low1)
        tv2 = (np.maximum(high2 - high1, 0.0) + np.maximum(low1 - low2, 0.0)) / (high2 - low2)
    tv = np.maximum(tv1, tv2)
    return _result(np.where(disjoint, 1.0, tv))


def tv_exponential_exponential(rate1: Any, rate2: Any) -> Any:
    r"""Total variation distance between exponential distributions with rates :math:`\lambda_1, \lambda_2`.

    With :math:`\rho = \min(\lambda_1, \lambda_2)/\max(\lambda_1, \lambda_2)` the densities cross
    once, at :math:`x^* = \log(\lambda_1/\lambda_2)/(\lambda_1 - \lambda_2)`, and

    .. math::

        \operatorname{TV} = e^{-\lambda_{\min} x^*} - e^{-\lambda_{\max} x^*}
        = (1 - \rho)\, \rho^{\rho/(1 - \rho)}
        = (1 - \rho) \exp\Bigl(-\frac{\rho \log(1/\rho)}{1 - \rho}\Bigr),

    with :math:`1 - \rho` from one subtraction and :math:`\log(1/\rho)` through ``log1p``.

    Parameters
    ----------
    rate1, rate2 : array_like
        Rates (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> tv_exponential_exponential(1.0, 2.0)  # (1/2) (1/2)**1
    0.25
    """
    rate1, rate2 = _checked("exponential", rate1, rate2)
    lo = np.minimum(rate1, rate2)
    hi = np.maximum(rate1, rate2)
    with np.errstate(divide="ignore", invalid="ignore", under="ignore"):
        omr = (hi - lo) / hi
        rho = lo / hi
        tv = omr * np.exp(-rho * _log_ratio(hi, lo) / omr)
    return _result(np.where(lo == hi, 0.0, tv))


def tv_laplace_laplace(loc1: Any, scale1: Any, loc2: Any, scale2: Any) -> Any:
    r"""Total variation distance between Laplace distributions.

    Equal scales :math:`b`: the densities cross at the midpoint and
    :math:`\operatorname{TV} = 1 - e^{-|\mu_1 - \mu_2|/(2b)}`. Otherwise let
    :math:`b_a < b_b`, :math:`r = b_a/b_b`, :math:`\delta = |\mu_1 - \mu_2|/b_b`,
    :math:`\ell = \log(1/r)`. The log-ratio of the densities is piecewise linear,
    increasing left of the narrower one's location and decreasing right of it,
    so there are exactly two crossings, one on each side. The left one always
    lies where both densities decay the same way, and contributes
    :math:`\tfrac12(1 - r) e^{-(r\ell + \delta)/(1 - r)}`; the right one contributes

    .. math::

        \tfrac12(1 - r) e^{-(r\ell - \delta)/(1 - r)} \quad (\delta \le r\ell), \qquad
        1 - \exp\Bigl(\log\frac{1 + r}{2} + \frac{r\ell - \delta}{1 + r}\Bigr) \quad (\delta > r\ell),

    the second through ``expm1`` and ``log1p`` (both terms of its exponent are :math:`\le 0`).
    TV is the sum of the two (nonnegative) contributions.

    Parameters
    ----------
    loc1, scale1, loc2, scale2 : array_like
        Locations (finite) and scales (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> round(tv_laplace_laplace(0.0, 1.0, 2.0, 1.0), 12)  # 1 - 1/e
    0.632120558829
    >>> round(tv_laplace_laplace(0.0, 1.0, 0.0, 2.0), 12)  # (1/2) (1/2)**1: as the exponential's
    0.25
    """
    loc1, scale1, loc2, scale2 = _checked("laplace", loc1, scale1, loc2, scale2)
    ba = np.minimum(scale1, scale2)
    bb = np.maximum(scale1, scale2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        delta = np.abs(loc1 - loc2) / bb  # inf for far-apart locations: TV = 1 below
        equal = ba == bb
        r = ba / bb
        omr = np.where(equal, 1.0, (bb - ba) / bb)
        r_ell = r * _log_ratio(bb, ba)
        left = 0.5 * omr * np.exp(-(r_ell + delta) / omr)
        gap = r_ell - delta
        right_near = 0.5 * omr * np.exp(-gap / omr)
        right_far = -np.expm1(np.log1p(-0.5 * omr) + gap / (1.0 + r))
        tv = left + np.where(delta <= r_ell, right_near, right_far)
        same_scale = -np.expm1(-0.5 * delta)
    return _result(np.where(equal, same_scale, tv))


def tv_cauchy_cauchy(loc1: Any, scale1: Any, loc2: Any, scale2: Any) -> Any:
    r"""Total variation distance between Cauchy distributions.

    The densities cross at two points; the masses between them, differences
    of arctans, combine into one arctan:

    .. math::

        \operatorname{TV} = \frac{2}{\pi} \arctan \frac{\sqrt{(x_1 - x_2)^2 + (\gamma_1 - \gamma_2)^2}}
        {2\sqrt{\gamma_1 \gamma_2}}

    (for equal locations and :math:`\gamma_2 = k\gamma_1` the crossings are
    :math:`\pm\sqrt k\,\gamma_1` and :math:`\frac{2}{\pi}(\arctan\sqrt k - \arctan(1/\sqrt k))`
    is this value). The argument is a ``hypot`` of two exact differences over a
    product of square roots: no cancellation, no overflow.

    Parameters
    ----------
    loc1, scale1, loc2, scale2 : array_like
        Locations (finite) and scales (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> round(tv_cauchy_cauchy(0.0, 1.0, 2.0, 1.0), 12)  # (2/pi) arctan 1
    0.5
    """
    loc1, scale1, loc2, scale2 = _checked("cauchy", loc1, scale1, loc2, scale2)
    with np.errstate(over="ignore"):
        t = np.hypot(loc1 - loc2, scale1 - scale2) / (2.0 * np.sqrt(scale1) * np.sqrt(scale2))
    return _result((2.0 / math.pi) * np.arctan(t))


def tv_bernoulli_bernoulli(p1: Any, p2: Any) -> Any:
    r"""Total variation distance between Bernoulli distributions: :math:`|p_1 - p_2|`.

    .. math:: \operatorname{TV} = \tfrac12\bigl(|p_1 - p_2| + |(1 - p_1) - (1 - p_2)|\bigr) = |p_1 - p_2|

    Parameters
    ----------
    p1, p2 : array_like
        Probabilities of a one, in :math:`(0, 1)`; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> tv_bernoulli_bernoulli(0.25, 0.75)
    0.5
    """
    p1, p2 = _checked("bernoulli", p1, p2)
    return _result(np.abs(p1 - p2))


def tv_geometric_geometric(p1: Any, p2: Any) -> Any:
    r"""Total variation distance between geometric distributions (failures before the first success).

    With :math:`p_a > p_b` the two success probabilities, the pmf ratio
    :math:`(p_a/p_b)((1 - p_a)/(1 - p_b))^k` decreases in :math:`k`, so P's pmf
    is above Q's for :math:`k < k^* = \log(p_a/p_b)/\log((1 - p_b)/(1 - p_a))`.
    With :math:`n = \lfloor k^* \rfloor + 1` the number of those counts,

    .. math::

        \operatorname{TV} = F_a(n - 1) - F_b(n - 1) = (1 - p_b)^n - (1 - p_a)^n
        = (1 - p_b)^n \Bigl(-\operatorname{expm1}\Bigl(n \log\Bigl(1 - \frac{p_a - p_b}{1 - p_b}\Bigr)\Bigr)\Bigr),

    the logs through ``log1p``. (A count where the pmfs are equal contributes 0
    either way, so rounding of :math:`k^*` at an integer does not matter.)

    Parameters
    ----------
    p1, p2 : array_like
        Success probabilities in :math:`(0, 1)`; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> round(tv_geometric_geometric(0.5, 0.25), 12)  # n = 2: 0.75**2 - 0.5**2
    0.3125
    """
    p1, p2 = _checked("geometric", p1, p2)
    pa = np.maximum(p1, p2)
    pb = np.minimum(p1, p2)
    diff = pa - pb
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        log_q_ratio = np.log1p(-diff / (1.0 - pb))  # log((1 - p_a)/(1 - p_b)) < 0
        k_star = _log_ratio(pa, pb) / -log_q_ratio
        n = np.floor(k_star) + 1.0
        tv = np.exp(n * np.log1p(-pb)) * -np.expm1(n * log_q_ratio)
    return _result(np.where(diff == 0.0, 0.0, tv))


def tv_poisson_poisson(rate1: Any, rate2: Any) -> Any:
    r"""Total variation distance between Poisson distributions with rates :math:`\lambda_1, \lambda_2`.

    With :math:`\lambda_a < \lambda_b` the pmf ratio :math:`e^{\lambda_b - \lambda_a}(\lambda_a/\lambda_b)^k`
    decreases in :math:`k`; P's pmf is above Q's for :math:`k \le k^* =
    \lfloor (\lambda_b - \lambda_a)/\log(\lambda_b/\lambda_a) \rfloor` and

    .. math::

        \operatorname{TV} = F_a(k^*) - F_b(k^*) = \int_{\lambda_a}^{\lambda_b} \frac{t^{k^*} e^{-t}}{k^*!}\,dt,

    (:math:`\partial_\lambda F(k; \lambda)` is minus the pmf at :math:`k`), an integral of a
    gamma density: by Gauss-Legendre when the interval is short on that
    density's scale, else as the difference of regularized incomplete gamma
    functions on the side that does not cancel; for :math:`k^* > 10^5`, where
    scipy's lower incomplete gamma loses digits a few standard deviations
    below the mean (4e-6 relative at 5 standard deviations for shape 1e6),
    by Gauss-Legendre on 160 panels over the part of the interval within 40
    standard deviations of the mode. :math:`k^* = 0` gives
    :math:`e^{-\lambda_a}(1 - e^{-(\lambda_b - \lambda_a)})` through ``expm1``. The log-density uses the
    deviance form :math:`k\,(\log(1 + u/k) - u/k) - \tfrac12\log(2\pi k) - s(k)`, :math:`u = t - k`
    (:math:`s` the Stirling series remainder), which does not cancel for large :math:`k`.

    Parameters
    ----------
    rate1, rate2 : array_like
        Rates (> 0) of P and Q; broadcast.

    Returns
    -------
    float or numpy.ndarray
        TV in :math:`[0, 1]`.

    Raises
    ------
    ValueError
        Naming the argument.

    Examples
    --------
    >>> round(tv_poisson_poisson(1.0, 2.0), 12)  # k* = 1: 2/e - 3/e**2
    0.329753032633
    """
    rate1, rate2 = _checked("poisson", rate1, rate2)
    la = np.minimum(rate1, rate2)
    lb = np.maximum(rate1, rate2)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore"):
        k = np.floor((lb - la) / _log_ratio(lb, la))
        k = np.where(la == lb, 0.0, k)
        tv = _gamma_density_integral(k, la, lb)
        # k* = 0 (rates below about 1): e^{-la} - e^{-lb} exactly, also where incomplete gammas of tiny
        # arguments lose digits
        tv = np.where(k == 0.0, np.exp(-la) * -np.expm1(la - lb), tv)
    return _result(np.where(la == lb, 0.0, tv))


def _stirling_remainder(k: np.ndarray) -> np.ndarray:
    r""":math:`\log k! - (k + \tfrac12)\log k + k - \tfrac12\log 2\pi` for :math:`k \ge 1`."""
    sp = _special()
    with np.errstate(divide="ignore", invalid="ignore"):
        kk = np.maximum(k, 1.0)
        direct = sp.gammaln(kk + 1.0) - (kk + 0.5) * np.log(kk) + kk - 0.5 * math.log(2.0 * math.pi)
        inv2 = 1.0 / (kk * kk)
        series = (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 * (1.0 / 1680.0
                  - inv2 / 1188.0)))) / kk
    return np.where(kk >= 15.0, series, direct)


def _gamma_density_integral(k: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    r""":math:`\int_a^b t^k e^{-t}/k!\,dt` for :math:`0 < a < b`, integer :math:`k \ge 0`, relative to itself."""
    sp = _special()
    m = 0.5 * (a + b)
    h = 0.5 * (b - a)
    # d log g / dt = k/t - 1, curvature -k/t^2: a short interval is one where log g changes by < ~1
    slope = np.abs(k / m - 1.0)
    short = h * slope + (h / m) * (h / m) * k <= 1.0
    short &= h <= 0.5 * m  # the nodes stay well inside t > 0
    quad = _gl_gamma(k, a, np.zeros_like(a), h)
    # the regularized incomplete gammas: P(k+1, t) the lower, Q = 1 - P the upper
    lower = sp.gammainc(k + 1.0, b) - sp.gammainc(k + 1.0, a)
    upper = sp.gammaincc(k + 1.0, a) - sp.gammaincc(k + 1.0, b)
    below_mean = b <= k + 1.0  # both points left of the mean: the lower functions are the small ones
    direct = np.where(below_mean, lower, upper)
    out = np.where(short, quad, direct)
    # scipy's lower incomplete gamma loses digits a few standard deviations below the mean once the
    # shape passes about 1e6 (4e-6 relative at 5 sd for 1e6, 3e-2 for 1e7): there, Gauss-Legendre on
    # 160 panels of at most half a standard deviation over the part of [a, b] within 40 of them of
    # the mode (the density is below e^-800 outside)
    long = ~short & (k > 1e5)
    if np.any(long):
        kl, al, bl = k[long], a[long], b[long]
        sd = np.sqrt(kl + 1.0)
        lo = np.maximum(al, kl - 40.0 * sd)
        hi = np.minimum(bl, kl + 40.0 * sd)
        half = 0.5 * (hi - lo) / _PANELS
        total = np.zeros_like(kl)
        for i in range(_PANELS):
            total += _gl_gamma(kl, lo, (2 * i) * half, half)  # the panels' starts unrounded
        # hi <= lo: the standard deviation is below the rounding of k (rates beyond about 1e35), so the
        # distinct rates a < b are many standard deviations apart on both sides of the crossing: TV = 1
        out[long] = np.where(hi > lo, total, 1.0)
    return out


def _gl_gamma(k: np.ndarray, base: np.ndarray, shift: np.ndarray, h: np.ndarray) -> np.ndarray:
    r"""Gauss-Legendre :math:`\int_{s}^{s + 2h} t^k e^{-t}/k!\,dt`, :math:`s = \mathrm{base} + \mathrm{shift} > 0`.

    The density enters through the nodes' offsets from the mode,
    :math:`u = t - k = (\mathrm{base} - k) + \mathrm{shift} + h(1 + T)` (``base - k`` exact for nearby
    values), so a node's rounding is relative to :math:`|u|`, not to :math:`t`: for large rates
    ``ulp(t)`` is not small against the density's scale :math:`\sqrt k`, and panels computed as
    ``base + shift`` would leave gaps and overlaps of that size.
    """
    offset = (base - k)[..., None] + (shift[..., None] + h[..., None] * (1.0 + _GL_T))
    kk = k[..., None]
    positive_k = kk >= 1.0
    safe_k = np.where(positive_k, kk, 1.0)
    # log(t^k e^-t / k!) = k (log(1 + u/k) - u/k) - log(2 pi k)/2 - stirling remainder
    log_dev = (safe_k * _log1pmx(offset / safe_k) - 0.5 * np.log(2.0 * math.pi * safe_k)
               - _stirling_remainder(safe_k))
    log_g = np.where(positive_k, log_dev, -(base[..., None] + (shift[..., None] + h[..., None] * (1.0 + _GL_T))))
    return h * np.sum(_GL_W * np.exp(log_g), axis=-1)


def _log1pmx(x: np.ndarray) -> np.ndarray:
    r""":math:`\log(1 + x) - x` without cancellation near 0 (the deviance of a Poisson term)."""
    from .numeric.stable import log1pmx

    return np.asarray(log1pmx(x))


#: Closed forms keyed by the families' registry names (``anadiv.FAMILIES``).
CLOSED_FORMS: dict[tuple[str, str], Callable[..., Any]] = {
    ("normal", "normal"): tv_normal_normal,
    ("lognormal", "lognormal"): tv_lognormal_lognormal,
    ("halfnormal", "halfnormal"): tv_halfnormal_halfnormal,
    ("uniform", "uniform"): tv_uniform_uniform,
    ("exponential", "exponential"): tv_exponential_exponential,
    ("laplace", "laplace"): tv_laplace_laplace,
    ("cauchy", "cauchy"): tv_cauchy_cauchy,
    ("bernoulli", "bernoulli"): tv_bernoulli_bernoulli,
    ("geometric", "geometric"): tv_geometric_geometric,
    ("poisson", "poisson"): tv_poisson_poisson,
}


def _registered(function: Callable[..., Any]) -> Callable[[Any, Any], Any]:
    """The registry's form of a closed form: a function of the two distributions."""

    def rule(p: Any, q: Any) -> Any:
        return function(*p.param_values, *q.param_values)

    rule.__name__ = rule.__qualname__ = function.__name__
    rule.__doc__ = function.__doc__
    return rule


def _register() -> None:
    """Register every closed form above for ``anadiv.total_variation`` and ``anadiv.divergence`` (``source="builtin"``)."""
    from .families import FAMILIES
    from .registry import register_closed_form

    for (p, q), function in CLOSED_FORMS.items():
        register_closed_form("total_variation", FAMILIES[p], FAMILIES[q], source="builtin")(_registered(function))


_register()
