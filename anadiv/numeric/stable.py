r"""Numerically stable building blocks for the generated closed forms.

Divergences vanish to second order when P approaches Q, so the textbook
formulas add terms of size 1 that cancel down to, say, 1e-18: every digit is
lost. The helpers here compute the small *combinations* directly, from
relative differences that floating point represents exactly (``a - b`` is
exact when ``a`` and ``b`` are within a factor 2, Sterbenz's lemma).

Every helper is vectorised (numpy broadcasting), keeps float32 as float32, and
is checked against 50-digit mpmath in ``tests/test_stable.py`` (a few ulps).
The generated code calls them as ``xp._stable.<name>``; the matching sympy
functions (for derivation, printing and verification) live in
:mod:`anadiv.codegen.helpers`.

Only numpy is imported at module level; ``scipy.special`` is imported on the
first call of a helper that needs the gamma function, so a Normal-Normal KL
never imports scipy.

Helpers
-------
``expm1mx(u)``            :math:`e^u - 1 - u`
``log1pmx(t)``            :math:`\log(1+t) - t`
``log_ratio(a, b)``       :math:`\log(a/b)`
``xm1mlog(a, b)``         :math:`a/b - 1 - \log(a/b)`
``xm1mlog_d(a, b, d)``    the same given :math:`d = a - b` accurately
``powm1mlog(a, b, k)``    :math:`(a/b)^k - 1 - k\log(a/b)`
``lgamma_diff(a, b)``     :math:`\log\Gamma(b) - \log\Gamma(a)`
``digamma_diff(a, b)``    :math:`\psi(b) - \psi(a)`
``lgamma_bregman(a, b)``  :math:`\log\Gamma(b) - \log\Gamma(a) - (b-a)\psi(a)`
``lgamma_bregman_d(a, d)`` the same with ``b = a + d`` given by ``d``
``diff2(a2, a1, b2, b1)``  :math:`(a_2 - a_1) - (b_2 - b_1)` in that order
``log_ratio_d(a, b, d)``  :math:`\log(a/b)` given :math:`d = a - b` accurately
``log_diff(a, b)``        :math:`\log(a - b)`, with the rounding error of ``a - b`` added back
``mix(a, x, y)``          :math:`a x + (1 - a) y` without ``y - a y`` (a Renyi order near 1)
``xm1(x)``                :math:`x - 1` kept as one factor (``(x - 1) y`` never as ``x y - y``)
``log_mix_gap(a, x, y, d)`` :math:`\log(a x + (1-a) y) - a\log x - (1-a)\log y`, ``d = x - y`` given (second order)
``lgamma_mix_gap(a, x, y, d)`` the same Jensen gap of :math:`\log\Gamma`
``lgamma_mpsi(x, c)``     :math:`\log\Gamma(x) + (c - x)\psi(x) + x` (entropy pieces)
``lowergamma_reg(s, x)``   :math:`\gamma(s, x)/\Gamma(s)` (regularized; no overflow)
``atanmx(x)``             :math:`\arctan x - x` (series near 0)
``cos_half_pi(x)``        :math:`\cos(\pi x/2)`, accurate near its zeros at ``x = +-1``
``betainc_reg(a, b, x)``   regularized incomplete beta function :math:`I_x(a, b)`
``gamma_bregman(a1, b1, a2, b2)`` KL between Gamma(shape, rate) distributions
``beta_bregman(a1, b1, a2, b2)``  KL between Beta distributions
``gamma_bregman_step(a, b, e)`` KL between Gamma(a, 1) and Gamma(b, 1 + e), the rate step given exactly
                          (for the hand-written Wishart rules; not printed by the code generator, so not in
                          ``__all__``, which lists the helpers with a sympy mirror)
``log_i0(k)``              :math:`\log I_0(k)` (scaled Bessel function; series near 0)
``i1_i0(k)``               :math:`I_1(k)/I_0(k)` (scaled Bessel functions)
``cb_log_normalizer(e)``   :math:`\log((e^\eta - 1)/\eta)` (continuous Bernoulli; series near 0)
``cb_mean(e)``             its derivative :math:`1/(1 - e^{-\eta}) - 1/\eta` (series near 0)
``cb_variance(e)``         its second derivative :math:`1/\eta^2 - 1/(4\sinh^2(\eta/2))`
"""

from __future__ import annotations

from typing import Any

import math

import numpy as np

from .error_free import two_product

__all__ = [
    "expm1mx",
    "log1pmx",
    "log_ratio",
    "log_diff",
    "mix",
    "xm1",
    "log_mix_gap",
    "lgamma_mix_gap",
    "xm1mlog",
    "xm1mlog_d",
    "powm1mlog",
    "lgamma_diff",
    "digamma_diff",
    "lgamma_diff_d",
    "digamma_diff_d",
    "lgamma_bregman",
    "lgamma_bregman_d",
    "gamma_bregman",
    "beta_bregman",
    "diff2",
    "log_ratio_d",
    "lgamma_mpsi",
    "lowergamma_reg",
    "betainc_reg",
    "atanmx",
    "cos_half_pi",
    "log_i0",
    "i1_i0",
    "cb_log_normalizer",
    "cb_mean",
    "cb_variance",
]

# --------------------------------------------------------------------------- utils


def _float(x: Any) -> np.ndarray:
    """``x`` as a floating array (float32 stays float32, integers become float64)."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def _floats(*xs: Any) -> tuple[np.ndarray, ...]:
    arrs = [_float(x) for x in xs]
    # Python numbers stay weakly typed (NEP 50): ``k = 2`` beside float32 arrays
    # must not promote the result to float64; 0.0 makes all-integer input float.
    dtype = np.result_type(*(x if type(x) in (int, float) else a for x, a in zip(xs, arrs)), 0.0)
    shape = np.broadcast_shapes(*(a.shape for a in arrs))
    return tuple(np.broadcast_to(a.astype(dtype, copy=False), shape) for a in arrs)


def _result(out: np.ndarray) -> Any:
    """0-d arrays come back as numpy scalars, like ufuncs."""
    return out[()] if out.ndim == 0 else out


def _patch(out: np.ndarray, mask: np.ndarray, fn: Any, *args: np.ndarray) -> None:
    """``out[mask] = fn(*(a[mask] for a in args))``, skipped when the mask is empty.

    The accurate branch runs only where it is needed, so the common case pays
    for one cheap formula plus a comparison.
    """
    if mask.all():
        # every element (common inside the gamma-function helpers' loops): no gathers
        out[...] = fn(*args)
    elif mask.ndim == 1:
        # integer indices: a boolean gather or scatter of a scattered mask costs ten times more
        where = np.flatnonzero(mask)
        if where.size:
            out[where] = fn(*(a[where] for a in args))
    elif mask.any():
        out[mask] = fn(*(a[mask] for a in args))


def _horner(x: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """``sum(coefs[i] * x**i)`` by Horner's rule."""
    acc = np.full_like(x, coefs[-1])
    for c in coefs[-2::-1]:
        # in place: the same two roundings per step as acc * x + c, no temporaries
        acc *= x
        acc += c
    return acc


def _horner_needed(x: np.ndarray, coefs: np.ndarray) -> np.ndarray:
    """:func:`_horner` with only the leading coefficients ``max|x|`` needs.

    For the helpers' series (positive, decreasing ``coefs``, ``|x| < 1``, the
    value at least ``coefs[0] / 3``) the terms left out after ``k`` are below
    ``6 coefs[k] max|x|^k``; ``k`` is the first index where that is under
    1e-19 of ``coefs[0]``. Arguments near the series' edge keep every term;
    small ones (the common case inside the gamma-function helpers' loops)
    need a handful.
    """
    if x.size == 0:
        return _horner(x, coefs)
    xmax = float(np.max(np.abs(x)))
    if not xmax < 1.0:  # also nan: all terms, as before
        return _horner(x, coefs)
    power = 1.0
    for k in range(1, len(coefs)):
        power *= xmax
        if 6.0 * coefs[k] * power <= 1e-19 * coefs[0]:
            return _horner(x, coefs[:k])
    return _horner(x, coefs)


# ----------------------------------------------------------------- exp and log

# e^u - 1 - u = u^2 * sum_{k>=0} u^k / (k+2)!   (|u| < 1: 19 terms reach 1e-17)
_EXPM1MX_COEFS = np.array([1.0 / np.prod(np.arange(1.0, k + 3.0)) for k in range(19)])


def _expm1mx_series(u: np.ndarray) -> np.ndarray:
    return u * u * _horner_needed(u, _EXPM1MX_COEFS)


def expm1mx(u: Any) -> Any:
    r"""``exp(u) - 1 - u`` without cancellation for small ``u``.

    .. math:: e^u - 1 - u = \sum_{k\ge2} \frac{u^k}{k!} \ge 0

    The power series is used for :math:`|u| < 1` (where ``expm1(u) - u`` would
    lose up to all digits); beyond, ``expm1(u) - u`` loses at most a factor 3.

    Examples
    --------
    >>> float(expm1mx(1e-9))  # doctest: +ELLIPSIS
    5.000000001...e-19
    """
    u = _float(u)
    with np.errstate(over="ignore"):
        out = np.asarray(np.expm1(u) - u)
    out = out.copy() if out.ndim else out.reshape(1)
    uu = u.reshape(out.shape) if u.ndim else u.reshape(1)
    _patch(out, np.abs(uu) < 1.0, _expm1mx_series, uu)
    return _result(out.reshape(u.shape))


# log1p(t) = 2 atanh(z), z = t / (2 + t); log1p(t) - t = -t z + 2 sum_{k>=1} z^(2k+1)/(2k+1)
_ATANH_COEFS = np.array([1.0 / (2 * k + 3) for k in range(20)])


def _log1pmx_series(t: np.ndarray) -> np.ndarray:
    z = t / (2.0 + t)
    z2 = z * z
    return -t * z + 2.0 * z * z2 * _horner_needed(z2, _ATANH_COEFS)


def log1pmx(t: Any) -> Any:
    r"""``log1p(t) - t`` for ``t > -1``, accurate near 0.

    .. math:: \log(1+t) - t = -\frac{t^2}{2+t} + 2\sum_{k\ge1}\frac{z^{2k+1}}{2k+1},
              \quad z = \frac{t}{2+t}

    (the atanh series of :math:`\log(1+t)`), used for :math:`|t| \le 1/4`;
    outside, ``log1p(t) - t`` loses less than a factor 8 (a few ulps). Always :math:`\le 0`.
    (The series over :math:`-1/2 \le t \le 1` made a typical Categorical KL,
    whose ratios mostly fall there, 4x slower for no digit that matters.)

    Examples
    --------
    >>> float(log1pmx(1e-8))  # doctest: +ELLIPSIS
    -4.99999996...e-17
    """
    t = _float(t)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.log1p(t) - t)
    out = out.copy() if out.ndim else out.reshape(1)
    tt = t.reshape(out.shape) if t.ndim else t.reshape(1)
    _patch(out, np.abs(tt) <= 0.25, _log1pmx_series, tt)
    return _result(out.reshape(t.shape))


def _log_ratio_d(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """``log(a/b)`` given the accurate relative difference ``d = (a - b)/b``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.log1p(d)
        # log1p is ill-conditioned as a/b -> 0 (d -> -1): take the ratio itself there.
        far = d < -0.5
        if np.any(far):
            out = np.where(far, np.log(a / b), out)
    return out


def log_ratio(a: Any, b: Any) -> Any:
    r"""``log(a / b)`` for positive ``a``, ``b``, accurate when ``a`` is close to ``b``.

    .. math:: \log\frac{a}{b} = \operatorname{log1p}\!\left(\frac{a-b}{b}\right)

    ``a - b`` is exact for :math:`b/2 \le a \le 2b`, so the result has a
    relative error of a few ulps even for :math:`a/b = 1 + 10^{-12}`, where
    ``log(a) - log(b)`` keeps 4 digits. For :math:`a < b/2` the plain
    ``log(a / b)`` is used.

    Examples
    --------
    >>> float(log_ratio(1.0 + 1e-12, 1.0))  # doctest: +ELLIPSIS
    1.0000889005818...e-12
    """
    a, b = _floats(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (a - b) / b
    return _result(np.asarray(_log_ratio_d(a, b, d)))


def diff2(a2: Any, a1: Any, b2: Any, b1: Any) -> Any:
    r"""``(a2 - a1) - (b2 - b1)``, evaluated in that order.

    The difference of two widths :math:`(a_2 - b_2) - (a_1 - b_1)` (e.g. the
    lengths of two Uniform intervals) is exact up to one rounding this way,
    since :math:`a_2 - a_1` and :math:`b_2 - b_1` are exact for close values.

    Examples
    --------
    >>> float(diff2(2.0 + 1e-15, 2.0, 1.0, 1.0))  # doctest: +ELLIPSIS
    8.88178...e-16
    """
    a2, a1, b2, b1 = _floats(a2, a1, b2, b1)
    return _result(np.asarray((a2 - a1) - (b2 - b1)))


def log_diff(a: Any, b: Any) -> Any:
    r"""``log(a - b)`` for ``a > b``, accurate where ``a - b`` is close to 1.

    .. math:: \log(a - b) = \log s + \operatorname{log1p}(e/s),\quad s = \mathrm{fl}(a - b),\ e = (a - b) - s

    The rounding error ``e`` of the difference is recovered exactly (Knuth's
    two-sum); it is below half an ulp of ``s`` and matters only where
    :math:`\log s` is near 0: a Uniform(0.3, 1.3000000001)'s entropy 1e-10 comes
    out within a few ulps instead of 1e-6 relative, and Uniform(-2e-272, 1)'s
    2e-272 instead of 0.

    Examples
    --------
    >>> float(log_diff(1.0, -2e-272))
    2e-272
    """
    a, b = _floats(a, b)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        s = a - b
        back = s - a  # -b as rounded in s
        e = (a - (s - back)) + (-b - back)
        out = np.log(s) + np.where(np.isfinite(e) & (s > 0), e / s, 0.0)
    return _result(np.asarray(out))


def mix(a: Any, x: Any, y: Any) -> Any:
    r""":math:`a x + (1 - a) y`, accurate for ``a`` near 1 and for ``x`` near ``y``.

    .. math:: y + a (x - y) \;\text{ where } |x - y| \le |y|/2, \qquad a x + (1 - a) y \;\text{ elsewhere}

    The first form is exact in the difference (Sterbenz) when ``x`` and ``y``
    are close, whatever ``a`` (Renyi orders of 50 and more); the second keeps
    ``1 - a`` exact (for ``a`` in [1/2, 2]) and never forms ``y - a y``, which
    would cancel for ``a`` near 1 with ``y`` far above ``x``.

    Examples
    --------
    >>> float(mix(0.9999999, 5.766437445177535e-09, 328.2052080781768))  # doctest: +ELLIPSIS
    3.28262872...e-05
    """
    a, x, y = _floats(a, x, y)
    with np.errstate(invalid="ignore", over="ignore"):
        d = x - y
        out = np.where(np.abs(d) <= 0.5 * np.abs(y), y + a * d, a * x + (1 - a) * y)
    return _result(np.asarray(out))


def _mix_base(a: np.ndarray, x: np.ndarray, y: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, ...]:
    """``(b, o, w, s)``: ``a x + (1 - a) y = b + w s``, ``s = o - b``, the base ``b`` the argument weighted at least 1/2."""
    high = a >= 0.5
    return np.where(high, x, y), np.where(high, y, x), np.where(high, 1 - a, a), np.where(high, -d, d)


def log_mix_gap(a: Any, x: Any, y: Any, d: Any) -> Any:
    r"""Jensen gap of the logarithm, :math:`\log(a x + (1 - a) y) - a \log x - (1 - a) \log y`, with ``d = x - y`` given.

    .. math:: G = \operatorname{log1pmx}(w t) - w \operatorname{log1pmx}(t), \quad a x + (1 - a) y = b\,(1 + w t)

    with ``b`` the argument of weight at least 1/2 and ``w`` the other weight
    (:math:`|w| \le 1/2` for orders in [0, 1]) and ``t`` the relative difference
    from ``d`` (formed exactly by the caller: ``1/sigma_1^2 - 1/sigma_2^2`` from the
    sigmas' difference), so the linear terms cancel symbolically and the second-order
    ones lose at most a factor :math:`1/(1 - w) \le 2`. Far apart (:math:`|t| > 1/2`):
    :math:`\log(1 + w t) - w \log(o / b)`, the logarithms taken separately.

    Examples
    --------
    >>> gap = float(log_mix_gap(0.5, 1.0, 1.0 + 1e-8, -1e-8))
    >>> round(gap / (0.5 * 0.5 * 1e-16 / 2), 6)  # a (1 - a) t^2 / 2, to first order in t
    1.0
    """
    a, x, y, d = _floats(a, x, y, d)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b, o, w, s_ = _mix_base(a, x, y, d)
        t = s_ / b
        near = np.abs(t) <= 0.5
        tn = np.where(near, t, 0.0)
        series = np.asarray(log1pmx(w * tn)) - w * np.asarray(log1pmx(tn))
        direct = np.log1p(w * t) - w * (np.log(o) - np.log(b))
        out = np.where(near, series, direct)
        out = np.where(_consistent(x, y, d), out, np.nan)
    return _result(np.asarray(out))


def _consistent(x: np.ndarray, y: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Positive finite arguments whose given difference is ``x - y`` to rounding: elsewhere (an
    argument that under- or overflowed, ``1/sigma^2`` at ``sigma = 1e300``) the helper returns NaN,
    and the generated code's result check recomputes the element exactly."""
    with np.errstate(invalid="ignore", over="ignore"):
        ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y) & np.isfinite(d)
        return ok & (np.abs(d - (x - y)) <= 1e-12 * np.maximum(np.abs(x), np.abs(y)))


def lgamma_mix_gap(a: Any, x: Any, y: Any, d: Any) -> Any:
    r"""Jensen gap of :math:`\log\Gamma`, :math:`\log\Gamma(a x + (1 - a) y) - a \log\Gamma(x) - (1 - a) \log\Gamma(y)`, ``d = x - y``.

    .. math:: G = B(b, w s) - w\,B(b, s), \quad B(b, s) = \log\Gamma(b + s) - \log\Gamma(b) - s\,\psi(b)

    (:func:`lgamma_bregman_d`, nonnegative terms; ``b`` the argument of weight at least
    1/2, ``s`` the step to the other): the first-order parts cancel symbolically. Far
    apart (:math:`|s| > b/2`, where ``s psi(b)`` would dwarf both terms):
    :math:`[\log\Gamma(b + w s) - \log\Gamma(b)] - w [\log\Gamma(o) - \log\Gamma(b)]`, the
    first difference from its exact step (:func:`lgamma_diff_d`).

    Examples
    --------
    >>> round(float(lgamma_mix_gap(0.5, 2.0, 4.0, -2.0)), 12)  # lgamma(3) - (lgamma(2) + lgamma(4)) / 2
    -0.202732554054
    """
    from scipy.special import gammaln

    a, x, y, d = _floats(a, x, y, d)  # broadcast, in the inputs' float type
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b, o, w, s_ = _mix_base(a, x, y, d)
        near = np.abs(s_) <= 0.5 * b
        out = np.empty(b.shape, dtype=b.dtype)
        # each branch only where it applies (the Bregman terms' series is the costly part)
        if np.any(near):
            bn, wn, sn = b[near], w[near], s_[near]
            out[near] = np.asarray(lgamma_bregman_d(bn, wn * sn)) - wn * np.asarray(lgamma_bregman_d(bn, sn))
        far = ~near
        if np.any(far):
            # far apart: [lgamma(b + w s) - lgamma(b)] - w [lgamma(o) - lgamma(b)], the first with its exact
            # step (for an order near 1 the mixture is next to b, and lgamma(m) - lgamma(b) would cancel)
            bf, wf, sf, of = b[far], w[far], s_[far], o[far]
            out[far] = np.asarray(lgamma_diff_d(bf, wf * sf)) - wf * (gammaln(of) - gammaln(bf))
        out = np.where(_consistent(x, y, d), out, np.nan)
    return _result(np.asarray(out))


def xm1(x: Any) -> Any:
    """``x - 1`` (a factor the code generator keeps whole, so that ``(x - 1) y`` is never ``x y - y``).

    Examples
    --------
    >>> float(xm1(1.5))
    0.5
    """
    (x,) = _floats(x)
    return _result(np.asarray(x - 1))


def log_ratio_d(a: Any, b: Any, d: Any) -> Any:
    r"""``log(a / b)`` for positive ``a``, ``b``, given their difference ``d = a - b``.

    .. math:: \log\frac{a}{b} = \operatorname{log1p}(d / b)

    For when ``a`` and ``b`` are themselves rounded results (widths
    ``high - low``) but their difference is known accurately (:func:`diff2`).

    Examples
    --------
    >>> float(log_ratio_d(3.0, 3.0, 3e-12))  # doctest: +ELLIPSIS
    9.99999999999...e-13
    """
    a, b, d = _floats(a, b, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return _result(np.asarray(_log_ratio_d(a, b, d / b)))


def xm1mlog(a: Any, b: Any) -> Any:
    r"""``a/b - 1 - log(a/b)`` for positive ``a``, ``b`` (a Bregman divergence of -log).

    .. math:: r - 1 - \log r = -\operatorname{log1pmx}(r - 1), \quad r - 1 = \frac{a-b}{b}

    Nonnegative, second order in :math:`a - b`.

    Examples
    --------
    >>> float(xm1mlog(1.0 + 1e-9, 1.0))  # doctest: +ELLIPSIS
    5.0000008...e-19
    """
    a, b = _floats(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = (a - b) / b
        out = np.asarray(-log1pmx(d))
        far = d < -0.5
        if np.any(far):
            # r tiny: r - 1 - log r, with log r from the ratio (log1p(d) would be ill-conditioned)
            r = a / b
            out = np.where(far, r - 1.0 - np.log(r), out)
    return _result(np.asarray(out))


def xm1mlog_d(a: Any, b: Any, d: Any) -> Any:
    r"""``a/b - 1 - log(a/b)`` for positive ``a``, ``b``, given their difference ``d = a - b``.

    .. math:: -\operatorname{log1pmx}(d/b)

    For when ``a`` and ``b`` are rounded results (``1 - p2`` and ``1 - p1``
    for probabilities below 1/2) whose difference is known exactly
    (``p1 - p2``): from the rounded ``a - b`` the result, second order in
    ``a - b``, would keep only as many digits as the difference. Where
    :math:`a < b/2` it is ``r - 1 - log r`` with :math:`r = a/b`.

    Examples
    --------
    >>> float(xm1mlog_d(0.7 + 1e-10, 0.7, 1e-10))  # doctest: +ELLIPSIS
    1.0204081...e-20
    """
    if _is_f64_scalar(a) and _is_f64_scalar(b) and _is_f64_scalar(d):
        out_scalar = _xm1mlog_d_scalar(float(a), float(b), float(d))
        if out_scalar is not None:
            return out_scalar
    a, b, d = _floats(a, b, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = d / b
        out = np.asarray(-log1pmx(t))
        far = t < -0.5
        if np.any(far):
            r = a / b
            out = np.where(far, r - 1.0 - np.log(r), out)
    return _result(np.asarray(out))


def powm1mlog(a: Any, b: Any, k: Any) -> Any:
    r"""``(a/b)**k - 1 - k*log(a/b)`` for positive ``a``, ``b`` and real ``k``.

    .. math:: (a/b)^k - 1 - k\log(a/b) = \operatorname{expm1mx}(k \log(a/b))

    This is the pattern ``r - 1 - log r`` of same-family KLs (e.g.
    Normal-Normal with :math:`r = \sigma_1^2/\sigma_2^2`, ``k = 2``),
    nonnegative.

    Fast path (this is the hot helper of the Normal KL): ``u = k log(a/b)``
    from the rounded ratio and ``expm1(u) - u``, which are accurate to
    :math:`10^{-14}` unless :math:`|\log(a/b)| < 0.05`; that subset alone is
    redone with ``log1p((a - b)/b)`` (exact difference) and, for
    :math:`|u| < 0.05`, the power series of :func:`expm1mx`.
    For :math:`|u| > 20` the power ``(a/b)**k`` itself is used (exp of a
    rounded log would amplify its rounding by ``|u|``).

    Examples
    --------
    >>> float(powm1mlog(1.2, 1.2 * (1 + 1e-9), 2.0))  # doctest: +ELLIPSIS
    2.0000003...e-18
    """
    if np.ndim(k) == 0:
        if k in _SMALL_INTEGER_POWERS and _is_f64_scalar(a) and _is_f64_scalar(b):
            return _powm1mlog_scalar(float(a), float(b), float(k))
        if not (type(a) is np.ndarray and type(b) is np.ndarray and a.dtype == b.dtype
                and a.dtype.kind == "f" and a.shape == b.shape):
            a, b = _floats(a, b)  # the blocks of a large batch skip this
        k = float(k)  # a Python float keeps float32 inputs float32 (NEP 50)
        if k in _SMALL_INTEGER_POWERS:
            return _powm1mlog_small_k(a, b, k)
    else:
        a, b, k = _floats(a, b, k)
    shape = a.shape
    scalar_k = isinstance(k, float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # two full-size buffers only (fresh 8 MB temporaries cost page faults at 1e6
        # elements); the rare subsets below recompute what they need from a and b
        a1, b1 = np.reshape(a, -1), np.reshape(b, -1)
        k1 = k if scalar_k else np.reshape(k, -1)
        u = np.divide(a1, b1)
        np.log(u, out=u)
        u *= k1
        out = np.expm1(u)
        out -= u
        np.abs(u, out=u)
        # beyond |u| = 20 the rounding of log r, amplified by |u|, would pass 4e-15
        big = np.flatnonzero(u > 20.0)
        if scalar_k:
            near = np.flatnonzero(u < 0.05 * abs(k))
        else:
            near = np.flatnonzero(np.abs(np.log(a1 / b1)) < 0.05)
        if big.size:
            kb = k if scalar_k else k1[big]
            rb = a1[big] / b1[big]
            out[big] = rb**kb - 1.0 - kb * np.log(rb)
        if near.size:
            an, bn = a1[near], b1[near]
            kn = k if scalar_k else k1[near]
            un = kn * np.log1p((an - bn) / bn)
            small = np.abs(un) < 0.05
            on = np.expm1(un) - un
            on[small] = _expm1mx_series_short(un[small])
            out[near] = on
    return _result(out.reshape(shape))


_SMALL_INTEGER_POWERS = (1.0, 2.0, -1.0, -2.0)


def _is_f64_scalar(x: Any) -> bool:
    return type(x) is float or (isinstance(x, (np.ndarray, np.float64)) and x.ndim == 0 and x.dtype == np.float64)


_ATANH_COEFS_LIST = [float(c) for c in _ATANH_COEFS]


def _powm1mlog_scalar(a: float, b: float, k: float) -> np.float64:
    """:func:`_powm1mlog_small_k` for one float64 pair, with :mod:`math` (the
    per-call cost of numpy on 0-d arrays dominated scalar ``anadiv.kl``)."""
    if k < 0:
        a, b, k = b, a, -k
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b)):
        return _powm1mlog_small_k(np.asarray(a), np.asarray(b), k)  # nan/inf/0 semantics of the array path
    t = (a - b) / b
    if k == 2.0:
        t *= t + 2.0
    if t < -0.99:
        # far ratios: log a - log b, since a / b may underflow to 0
        return np.float64(t - k * (math.log(a) - math.log(b)))
    if abs(t) < 0.05:
        return np.float64(_minus_log1pmx_series_scalar(t))
    return np.float64(t - math.log1p(t))


def _minus_log1pmx_series_scalar(t: float) -> float:
    """``t - log1p(t)`` for one float with ``-0.5 <= t <= 1``: the atanh series of :func:`log1pmx`."""
    z = t / (2.0 + t)
    z2 = z * z
    acc = 0.0
    for c in reversed(_ATANH_COEFS_LIST):
        acc = acc * z2 + c
    return t * z - 2.0 * z * z2 * acc


def _xm1mlog_d_scalar(a: float, b: float, d: float) -> np.float64 | None:
    """:func:`xm1mlog_d` for one float64 triple with :mod:`math` (numpy's per-call
    cost on 0-d arrays was 90 % of a scalar Bernoulli KL); None outside the
    plain positive finite case, which the array path handles."""
    if not (a > 0 and b > 0 and math.isfinite(a) and math.isfinite(b) and math.isfinite(d)):
        return None
    t = d / b
    if t < -0.5:
        r = a / b
        return np.float64(r - 1.0 - math.log(r))
    if t <= 1.0:
        return np.float64(_minus_log1pmx_series_scalar(t))
    return np.float64(t - math.log1p(t))


def _powm1mlog_small_k(a: np.ndarray, b: np.ndarray, k: float) -> Any:
    """``powm1mlog`` for k = +-1, +-2 with one transcendental call per element.

    ``t = (a/b)**k - 1`` is formed algebraically from the exact difference
    (``d = (a - b)/b``; ``t = d`` or ``d*(d + 2)``), so ``k*log(a/b) = log1p(t)``
    and the value is ``f = t - log1p(t)``: no ``log`` plus ``expm1`` pair. That
    form is accurate to ~4 eps/|t|, so ``|t| < 0.05`` is redone with the atanh
    series, and ``t < -0.99`` (``a << b``, where ``1 + t`` has lost digits)
    from ``k*log(a/b)`` directly.

    This is the hot loop of the Normal KL, so each full-length pass counts: the
    series subset is found from ``f`` itself (``f < 0.0012`` selects
    ``-0.048 < t < 0.0498``, inside the series' range; just outside it the
    formula is still good to 1e-14), and the rare far subset only after a
    cheap ``min``.
    """
    if k < 0:  # (a/b)**-k == (b/a)**k
        a, b, k = b, a, -k
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # a and b may be broadcast views (a batch against one vector): the ufuncs
        # read them in place, and t, out are fresh contiguous arrays
        t = np.asarray(np.subtract(a, b))  # 0-d inputs give a scalar; keep an array for out=
        t /= b
        out = np.empty_like(t)
        if k == 2.0:
            np.add(t, 2.0, out=out)
            t *= out
        np.log1p(t, out=out)
        np.subtract(t, out, out=out)
        t1, out1 = t.reshape(-1), out.reshape(-1)
        near = np.flatnonzero(out1 < _F_NEAR)
        if near.size:
            out1[near] = -_log1pmx_series_short(t1[near])
        if t1.size and not t1.min() >= -0.99:  # also true when a NaN is present: then the test below is empty
            far = np.flatnonzero(t1 < -0.99)
            if far.size:
                at = np.unravel_index(far, t.shape)  # no flat copy of a broadcast input
                ratio = np.broadcast_to(a, t.shape)[at] / np.broadcast_to(b, t.shape)[at]
                out1[far] = t1[far] - k * np.log(ratio)
    return _result(out)


# f(t) = t - log1p(t) is 0.0012 at t = -0.048 and t = 0.0498
_F_NEAR = 0.0012
# |t| < 0.05: z^2 < 6.6e-4, six terms of the atanh series reach 1e-19 relative
_ATANH_SHORT = _ATANH_COEFS[:6]


def _log1pmx_series_short(t: np.ndarray) -> np.ndarray:
    z = t / (2.0 + t)
    z2 = z * z
    return -t * z + 2.0 * z * z2 * _horner(z2, _ATANH_SHORT)


# |u| < 0.05: terms to u^10/10! reach 1e-17 relative
_EXPM1MX_SHORT = _EXPM1MX_COEFS[:10]


def _expm1mx_series_short(u: np.ndarray) -> np.ndarray:
    return u * u * _horner(u, _EXPM1MX_SHORT)


# ----------------------------------------------------------- gamma function pieces

# Stirling: lgamma(x) = (x - 1/2) log x - x + log(2 pi)/2 + sum_k B_2k / (2k (2k-1) x^(2k-1))
_STIRLING = ((1.0 / 12.0, 1), (-1.0 / 360.0, 3), (1.0 / 1260.0, 5), (-1.0 / 1680.0, 7),
             (1.0 / 1188.0, 9), (-691.0 / 360360.0, 11), (1.0 / 156.0, 13), (-3617.0 / 122400.0, 15))
# digamma: psi(x) = log x - 1/(2x) - sum_k B_2k / (2k x^(2k))
_DIGAMMA_ASYM = ((1.0 / 12.0, 2), (-1.0 / 120.0, 4), (1.0 / 252.0, 6), (-1.0 / 240.0, 8),
                 (1.0 / 132.0, 10), (-691.0 / 32760.0, 12), (1.0 / 12.0, 14))
# The asymptotic series is used from this argument on (error < 1e-19 relative).
_X0 = 16.0


def _bernoulli_numbers(n: int) -> list[Any]:
    """Exact Bernoulli numbers ``B_0 .. B_n`` (``B_1 = -1/2``), as fractions."""
    from fractions import Fraction

    b = [Fraction(1)]
    for m in range(1, n + 1):
        b.append(-sum((Fraction(math.comb(m + 1, j)) * b[j] for j in range(m)), Fraction(0)) / (m + 1))
    return b


#: Stirling's remainder, ``lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] = sum c_m x^-m`` over odd m
#: to 25, ``c_m = B_(m+1) / (m (m+1))`` (the first eight are :data:`_STIRLING`): enough for 1e-20 of
#: the Bregman divergence from x = 10 on (see :func:`_remainder_bregman`).
_REMAINDER = tuple((float(b / (m * (m + 1))), m) for m, b in zip(range(1, 26, 2), _bernoulli_numbers(26)[2::2]))
#: :func:`_lgamma_bregman_near` shifts its arguments to at least this (Stirling's remainder takes
#: ten terms there (to 1e-18 of the divergence); each step of the recurrence below it costs about as much as two).
_SHIFT_TO = 10.0


def _special() -> Any:
    import scipy.special  # deferred: only the gamma-function helpers need it

    return scipy.special


def _shift(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """How far both arguments must be shifted up for the asymptotic series."""
    return np.ceil(np.maximum(_X0 - np.minimum(a, b), 0.0))


def _pieces(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Shift data: ``x = a + n``, ``t = d / x`` and ``log1p(t)``, shift ``n``."""
    n = _shift(a, b)
    x = a + n
    t = d / x
    lt = _log_ratio_d(b + n, x, t)
    return x, t, lt, n


def _lgamma_bregman_near(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    r"""Bregman divergence of lgamma as a sum of nonnegative pieces (no cancellation).

    With :math:`x = a + n \ge 10`, :math:`y = b + n`, :math:`t = d/x`:
    :math:`B_{\log\Gamma}(a, b) = x\,[t\log(1+t) + \operatorname{log1pmx}(t)]
    - \tfrac12\operatorname{log1pmx}(t)
    + \sum_k c_k x^{-m_k}[(1+t)^{-m_k} - 1 + m_k t]
    + \sum_{j<n} \phi(d/(a+j))`, :math:`\phi(t) = t - \log(1+t)`
    (Stirling's series at the shifted point, and the recurrence
    :math:`\log\Gamma(z) = \log\Gamma(z+n) - \sum_j \log(z+j)`, each term the
    Bregman divergence of a convex function; the remainder's terms by
    :func:`_remainder_bregman`, the recurrence's by :func:`_shift_sum`).
    """
    n = np.ceil(np.maximum(_SHIFT_TO - np.minimum(a, b), 0.0))
    x = a + n
    y = b + n
    # for b << a, t -> -1 carries an absolute rounding error: _rel_parts takes log1p(t) from the ratio
    t, lt, l1 = _rel_parts(x, y, d)
    out = t * lt
    out += l1
    out *= x
    l1 *= 0.5
    out -= l1
    out += _remainder_bregman(x, y, t)
    _shift_sum(out, a, b, d, n)
    return out


def _shift_sum(out: np.ndarray, a: np.ndarray, b: np.ndarray, d: np.ndarray, n: np.ndarray) -> None:
    r"""Add ``sum_{j < n} phi(d / (a + j))`` to ``out``, per element, :math:`\phi(t) = t - \log(1 + t) \ge 0`.

    The recurrence part of :func:`_lgamma_bregman_near`. The elements are put
    in the order of their shift ``n`` once (a radix sort of small integers), so
    step ``j`` works on the contiguous prefix of those with ``n > j``: no masks
    and no gathers inside the loop, and no work for elements already done
    (the old loop ran every step over every element, through ``np.where``).
    Where :math:`|d| < \min(a, b)/2` (the near branch's condition, so
    :math:`|t| < 1/2`) each term is the atanh series, with as many terms as the
    step's largest :math:`|t|` needs; beyond, :func:`log1pmx` as it stands.
    """
    nmax = int(n.max()) if n.size else 0
    if nmax <= 0:
        return
    # largest shift first; a radix sort for 8-bit keys (a few passes)
    key = (nmax - n).astype(np.uint8 if nmax < 256 else np.int64)
    order = np.argsort(key, kind="stable")
    # with_shift[j]: how many elements have n >= j (the first with_shift[j + 1] in ``order`` need step j)
    with_shift = np.cumsum(np.bincount(key, minlength=nmax + 1))[::-1]
    aj, d_s = a[order], d[order]  # aj: a + j, advanced in place
    acc = np.zeros_like(aj)
    buf = np.empty_like(aj)
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(nmax):
            k = int(with_shift[j + 1])
            if j:
                aj[:k] += 1.0
            tj = np.divide(d_s[:k], aj[:k], out=buf[:k])
            tmax = float(np.max(np.abs(tj))) if k else 0.0
            if tmax < 0.5:
                acc[:k] += _phi_series(tj, tmax)
            else:
                bj = b[order][:k] + j
                term = tj - _log_ratio_d(bj, aj[:k], tj)
                acc[:k] += np.where(np.abs(tj) <= 1.0, -np.asarray(log1pmx(tj)), term)
    out[order] += acc


# phi(t) = t - log1p(t) = z (t + z^2 S), z = t/(2 + t), S = -2 sum_k z^(2k)/(2k + 3)
_PHI_COEFS = -2.0 * _ATANH_COEFS


def _phi_series(t: np.ndarray, tmax: float) -> np.ndarray:
    r""":math:`t - \log(1 + t)` for :math:`|t| \le` ``tmax`` :math:`< 1/2` by the atanh series, ``t`` overwritten.

    .. math:: t - \log(1+t) = z\,\Bigl(t - 2 z^2 \sum_{k\ge0} \frac{z^{2k}}{2k+3}\Bigr), \quad z = \frac{t}{2+t}

    Terms are taken until the next is below 1e-18 of the value
    (:math:`|z|^{2k+1}/(2k+3)`, :math:`|z| \le 1/3`: at most 17).
    """
    zmax = tmax / (2.0 - tmax)
    z2max = zmax * zmax
    terms, power = 1, zmax
    while terms < len(_PHI_COEFS) and power / (2 * terms + 3) > 1e-18:
        terms += 1
        power *= z2max
    z = np.add(t, 2.0)
    np.divide(t, z, out=z)
    z2 = z * z
    s = _horner(z2, _PHI_COEFS[:terms])
    s *= z2
    s += t
    s *= z
    return s


def _remainder_bregman(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Bregman divergence of Stirling's remainder :math:`R(z) = \sum_m c_m z^{-m}` between ``x`` and ``y = x (1 + t)``.

    .. math:: \sum_m c_m x^{-m}\,[(1+t)^{-m} - 1 + m t]
              = t^2 r \sum_m c_m x^{-m} \sum_{l<m} (m - l)\, r^l, \quad r = \frac{x}{y} = \frac{1}{1 + t}

    (from :math:`r^m - 1 = (r - 1)\sum_{l<m} r^l` and :math:`r - 1 = -t r`): a
    sum of positive terms for each :math:`m`, so no cancellation for any
    :math:`t`, and no exponentials. With :math:`w = 1/x`, :math:`v = 1/y` the
    inner sums are :math:`Q_m = \sum_{l<m}(m-l)\,v^l w^{m-l}` (every factor at
    most 1/10, so no overflow however far apart ``x`` and ``y`` are).

    Term ``m`` is at most :math:`|c_m| m (m+1) u^{m+1}` of the whole Bregman
    divergence of :math:`\log\Gamma` (:math:`u = 1/\min(x, y)`, using
    :math:`\psi'(z) > 1/z`); terms below 1e-18 of it are left out: ten at
    10, seven at 16, four from 64, two from 1024. All elements get the
    terms most of them need, the few that need more get the rest on their own
    (a batch of large shapes needs few).
    """
    shape = np.shape(x)
    x, y, t = (np.reshape(v, -1) for v in (x, y, t))  # any shape (0-d from gamma_bregman_step's scalars)
    w = 1.0 / x
    v = 1.0 / y
    if not w.size:
        return w.reshape(shape)
    with np.errstate(invalid="ignore"):
        u = np.maximum(w, v)
    _, e = np.frexp(u)  # u < 2**e (e = 0 for NaN: every term)
    lo = int(e.min())
    counts = np.bincount(e - lo)
    needs = [_remainder_terms(k) for k in range(lo, lo + counts.size)]
    # all elements get the terms most of them need; those that need more get the rest on their own
    top = max(needs)
    cost = {m: counts.sum() * m + sum(c for c, k in zip(counts, needs) if k > m) * (top + 2) for m in set(needs)}
    bulk = min(cost, key=cost.__getitem__)
    out = _remainder_sum(w, v, bulk)
    if bulk < top:
        first = lo + next(i for i, k in enumerate(needs) if k > bulk)
        more = np.flatnonzero(e >= first)
        out[more] += _remainder_sum(w[more], v[more], top, bulk + 1)  # the terms after bulk's last (m = 0: none)
    r = x * v
    r *= t  # t r = d / y
    out *= r
    out *= t
    return out.reshape(shape)


def _remainder_terms(exponent: int) -> int:
    """Largest ``m`` of Stirling's remainder needed (to 1e-18 relative) when ``1/min(x, y) < 2**exponent``."""
    u = min(2.0**exponent, 1.0 / _SHIFT_TO)  # beyond the helpers' domain (or NaN): every term
    return max((m for c, m in _REMAINDER if abs(c) * m * (m + 1) * u ** (m + 1) > 1e-18), default=0)


def _remainder_sum(w: np.ndarray, v: np.ndarray, m_last: int, m_first: int = 1) -> np.ndarray:
    r""":math:`\sum_{m_{first} \le m \le m_{last}} c_m Q_m` regrouped by powers of ``w``: :math:`\sum_i i\,w^i\,T_i`, :math:`T_i = \sum_{m \ge i} c_m v^{m-i}`.

    Both by Horner's rule from the top (:math:`T_i = v T_{i+1} + c_i`), four or
    five passes per power. Each :math:`T_i` is dominated by its first term
    (:math:`|c_{m+2}| v^2 < |c_m|/7` for :math:`v \le 1/10`), so nothing cancels.
    """
    if m_last < m_first:
        return np.zeros_like(w)
    coef = {m: c for c, m in _REMAINDER if m >= m_first}
    t = np.full_like(v, coef[m_last])  # T_M
    acc = np.full_like(w, m_last * coef[m_last])
    tmp = np.empty_like(w)
    for i in range(m_last - 1, 0, -1):
        t *= v
        if i in coef:
            t += coef[i]
        acc *= w
        acc += np.multiply(t, float(i), out=tmp)
    acc *= w
    return acc


def _lgamma_diff_near(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    r"""``lgamma(b) - lgamma(a)`` from Stirling's series at the shifted point.

    :math:`(x+d-\tfrac12)\log(1+t) + d(\log x - 1)
    + \sum_k c_k x^{-m_k}\operatorname{expm1}(-m_k\log(1+t)) - \sum_{j<n}\log(1+d/(a+j))`.
    """
    x, _, lt, n = _pieces(a, b, d)
    out = (x + d - 0.5) * lt + d * (np.log(x) - 1.0)
    xi = 1.0 / x
    for c, m in _STIRLING:
        out = out + c * xi**m * np.expm1(-m * lt)
    nmax = int(n.max()) if n.size else 0
    for j in range(nmax):
        aj = a + j
        out = out - np.where(n > j, _log_ratio_d(b + j, aj, d / aj), 0.0)
    return out


def _digamma_diff_near(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    r"""``psi(b) - psi(a)`` from the asymptotic series at the shifted point.

    :math:`\log(1+t) + \frac{d}{2x(x+d)} - \sum_k c_k x^{-m_k}\operatorname{expm1}(-m_k\log(1+t))
    + \sum_{j<n}\frac{d}{(a+j)(b+j)}`.
    """
    x, _, lt, n = _pieces(a, b, d)
    out = lt + 0.5 * d / (x * (b + n))
    xi = 1.0 / x
    for c, m in _DIGAMMA_ASYM:
        out = out - c * xi**m * np.expm1(-m * lt)
    nmax = int(n.max()) if n.size else 0
    for j in range(nmax):
        out = out + np.where(n > j, d / ((a + j) * (b + j)), 0.0)
    return out


def _near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Where the plain difference of special-function values would cancel."""
    return (np.abs(b - a) < 0.5 * np.minimum(a, b)) | (np.minimum(a, b) >= _X0)


def _two_branch(a: np.ndarray, b: np.ndarray, d: np.ndarray, near_fn: Any, far_fn: Any) -> Any:
    shape = a.shape
    a1, b1, d1 = (np.array(v, copy=True).reshape(-1) for v in (a, b, d))
    return _result(_two_branch_flat(a1, b1, d1, near_fn, far_fn).reshape(shape))


def _two_branch_flat(a: np.ndarray, b: np.ndarray, d: np.ndarray, near_fn: Any, far_fn: Any) -> np.ndarray:
    """:func:`_two_branch` for 1-D arrays (no copies)."""
    out = np.empty_like(a)
    near = _near(a, b)
    _patch(out, near, near_fn, a, b, d)
    np.logical_not(near, out=near)
    _patch(out, near, far_fn, a, b, d)
    return out


def _lgamma_bregman_flat(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """:func:`lgamma_bregman` of 1-D float64 arrays, ``d = b - a`` given."""
    return _two_branch_flat(a, b, d, _lgamma_bregman_near, _lgamma_bregman_far)


def _lgamma_bregman_far(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    sp = _special()
    return sp.gammaln(b) - sp.gammaln(a) - d * sp.digamma(a)


def lgamma_bregman(a: Any, b: Any) -> Any:
    r"""Bregman divergence of :math:`\log\Gamma`: ``lgamma(b) - lgamma(a) - (b-a)*digamma(a)``.

    .. math:: B(a, b) = \log\Gamma(b) - \log\Gamma(a) - (b - a)\,\psi(a) \ge 0

    It is the gamma-function part of the Gamma-Gamma and Beta-Beta KLs and is
    second order in :math:`b - a`. Near :math:`a = b`, and for large
    arguments, it is computed as a sum of nonnegative terms from Stirling's
    series after shifting both arguments to 10 or more with the recurrence of
    :math:`\Gamma` (no cancellation); otherwise from ``gammaln`` and
    ``digamma`` directly.

    Examples
    --------
    >>> float(lgamma_bregman(2.0, 2.0 + 1e-8))  # doctest: +ELLIPSIS
    3.2246...e-17
    """
    a, b = _floats(a, b)
    return _two_branch(a, b, b - a, _lgamma_bregman_near, _lgamma_bregman_far)


def lgamma_bregman_d(a: Any, d: Any) -> Any:
    r""":func:`lgamma_bregman` at ``(a, a + d)``, with the step ``d`` given exactly.

    Use when :math:`b = a + d` is not itself a float input (e.g.
    :math:`b = 1 + k_2/k_1` in the Weibull KL, where rounding ``b`` would
    destroy the small difference).

    Examples
    --------
    >>> float(lgamma_bregman_d(2.0, 1e-8))  # doctest: +ELLIPSIS
    3.2246...e-17
    """
    a, d = _floats(a, d)
    return _two_branch(a, a + d, d, _lgamma_bregman_near, _lgamma_bregman_far)


def _lgamma_diff_far(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    sp = _special()
    return sp.gammaln(b) - sp.gammaln(a)


def _digamma_diff_far(a: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    sp = _special()
    return sp.digamma(b) - sp.digamma(a)


def lgamma_diff(a: Any, b: Any) -> Any:
    r"""``lgamma(b) - lgamma(a)`` for positive arguments, without cancellation when close.

    .. math:: \log\Gamma(b) - \log\Gamma(a) \approx (b - a)\,\psi(a) \quad (b \to a)

    Examples
    --------
    >>> float(lgamma_diff(3.0, 3.0 + 1e-10))  # doctest: +ELLIPSIS
    9.2278...e-11
    """
    a, b = _floats(a, b)

    return _two_branch(a, b, b - a, _lgamma_diff_near, _lgamma_diff_far)


def lgamma_diff_d(a: Any, d: Any) -> Any:
    r"""``lgamma(a + d) - lgamma(a)`` from ``a`` and the exact increment ``d``.

    The same as :func:`lgamma_diff` but ``a + d`` is never rounded before use:
    with ``a = 1e300`` and ``d = 2.9`` the float sum is ``a`` again, yet the
    difference is about ``d log a = 2000`` (the near branch works from ``d``).

    Examples
    --------
    >>> float(lgamma_diff_d(1e300, 2.0))  # doctest: +ELLIPSIS
    1381.55...
    """
    a, d = _floats(a, d)

    return _two_branch(a, a + d, d, _lgamma_diff_near, _lgamma_diff_far)


def digamma_diff_d(a: Any, d: Any) -> Any:
    r"""``digamma(a + d) - digamma(a)`` from ``a`` and the exact increment ``d``.

    Examples
    --------
    >>> float(digamma_diff_d(1e300, 2.0))  # doctest: +ELLIPSIS
    2e-300
    """
    a, d = _floats(a, d)

    return _two_branch(a, a + d, d, _digamma_diff_near, _digamma_diff_far)


def digamma_diff(a: Any, b: Any) -> Any:
    r"""``digamma(b) - digamma(a)`` for positive arguments, without cancellation when close.

    .. math:: \psi(b) - \psi(a) \approx (b - a)\,\psi'(a) \quad (b \to a)

    Examples
    --------
    >>> float(digamma_diff(3.0, 3.0 + 1e-10))  # doctest: +ELLIPSIS
    3.9493...e-11
    """
    a, b = _floats(a, b)

    return _two_branch(a, b, b - a, _digamma_diff_near, _digamma_diff_far)


# ------------------------------------------- Bregman divergences of log-normalizers
#
# For P, Q in one exponential family, KL(P || Q) is the Bregman divergence of the
# log-normalizer. For large shape parameters the lgamma pieces of that divergence
# cancel against the log/rational pieces (the Fisher information is nearly
# singular); splitting lgamma into Stirling's series regroups the leading parts
# into one nonnegative term whose argument is an exact cross-product difference.

def _two_prod(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a * b = p + e`` exactly (:func:`anadiv.numeric.error_free.two_product`, float64)."""
    return two_product(a, b)


def _cross_diff(a2: np.ndarray, b1: np.ndarray, a1: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """``a2*b1 - a1*b2`` to a few ulps even when the products nearly cancel."""
    p1, e1 = _two_prod(a2, b1)
    p2, e2 = _two_prod(a1, b2)
    return (p1 - p2) + (e1 - e2)


def _phi1(t: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """``(1+t) log(1+t) - t`` (Bregman divergence of x log x), ``ratio = 1 + t`` computed directly.

    ``t log1p(t) + log1pmx(t)``, and ``ratio log(ratio) - t`` where ``t < -1/2``
    (on those elements only).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log1p(t)
        near = np.abs(t) <= 0.25
        if near.all():
            out = _log1pmx_series(t)
        else:
            out = lt - t
            _patch(out, near, _log1pmx_series, t)
        lt *= t
        out += lt
        far = np.flatnonzero(t < -0.5)
        if far.size:
            rf = ratio[far]
            out[far] = np.where(rf > 0, rf * np.log(np.where(rf > 0, rf, 1.0)), 0.0) - t[far]
    return out


def _rel_parts(x: np.ndarray, y: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``t = d/x``, ``log1p(t)`` and ``log1pmx(t)`` for ``y = x + d`` (``d`` accurate), 1-D.

    ``log1p(t)`` from the ratio ``y/x`` where ``t < -1/2``, and ``log1pmx`` from
    its series where ``|t| <= 1/4`` (as :func:`log1pmx`), each on its own elements.
    """
    shape = np.shape(x)
    x, y, d = (np.reshape(v, -1) for v in (x, y, d))  # any shape (0-d from gamma_bregman_step's scalars)
    t = d / x
    with np.errstate(divide="ignore", invalid="ignore"):
        lt = np.log1p(t)
        far = np.flatnonzero(t < -0.5)
        if far.size:
            lt[far] = np.log(y[far] / x[far])
        near = np.abs(t) <= 0.25
        if near.all():  # nearly equal arguments (common in a batch of large shapes): no gathers
            l1 = _log1pmx_series(t)
        else:
            l1 = lt - t
            _patch(l1, near, _log1pmx_series, t)
    return t.reshape(shape), lt.reshape(shape), l1.reshape(shape)


def _as64(*xs: Any) -> tuple[tuple[np.ndarray, ...], Any]:
    arrs = _floats(*xs)
    return tuple(a.astype(np.float64, copy=False) for a in arrs), arrs[0].dtype


#: Largest ratio sum|terms| / value a helper accepts before it returns NaN for the
#: exact fallback (the same bound as anadiv.numeric.refine.CANCELLATION for float64).
_CANCELLATION = 256.0


def gamma_bregman(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
    r"""KL between Gamma distributions (shape ``a``, rate ``b``), without cancellation.

    It is the Bregman divergence of the Gamma log-normalizer
    :math:`A(a, b) = \log\Gamma(a) - a\log b`:

    .. math:: B_{\log\Gamma}(a_1, a_2) + a_1\left(\frac{b_2}{b_1} - 1 - \log\frac{b_2}{b_1}\right)
              + (a_2 - a_1)\log\frac{b_1}{b_2}

    For shapes of 16 and more the three terms cancel (by a factor up to
    :math:`2a`); there Stirling's series regroups them into nonnegative terms

    .. math:: a_2\operatorname{expm1mx}(-M) - \tfrac12\operatorname{log1pmx}(\delta)
              + \sum_k c_k a_1^{-m_k}\big[(1+\delta)^{-m_k} - 1 + m_k\delta\big],

    :math:`\delta = (a_2 - a_1)/a_1`, :math:`M = \log\frac{a_2 b_1}{a_1 b_2}`
    (the log ratio of the means), computed from the exact cross-product
    difference :math:`a_2 b_1 - a_1 b_2`.

    Examples
    --------
    >>> float(gamma_bregman(1e6, 1.0, 1e6 * (1 + 1e-9), 1.0))  # doctest: +ELLIPSIS
    5.000002...e-13
    """
    (a1, b1, a2, b2), dtype = _as64(a1, b1, a2, b2)
    out = _by_shape_size(_gamma_bregman_big, _gamma_bregman_generic, 2, a1, b1, a2, b2)
    return _result(out.astype(dtype, copy=False))


def _by_shape_size(big_fn: Any, generic_fn: Any, nshapes: int, *params: np.ndarray) -> np.ndarray:
    """``big_fn`` where the first ``nshapes`` parameters and their partners are all at least 16, ``generic_fn`` elsewhere.

    ``params`` are ``(a1, b1, a2, b2)``; the shapes compared are ``a1, a2``
    (``nshapes = 2``) or all four (``nshapes = 4``). The majority's branch runs
    on every element and the other on its own elements only. Batches of more
    than :data:`_SLICE` values go slice by slice: the branches make dozens of
    temporaries, which then stay in the caches (1e6 Gamma and Beta KLs of
    shapes 20 to 1000 took 15 and 23 % less time in slices of 2**15 than in
    whole blocks of 2**18).
    """
    shape = params[0].shape
    flat = [np.reshape(v, -1) for v in params]
    size = flat[0].size
    if size <= _SLICE:
        return _by_shape_size_flat(big_fn, generic_fn, nshapes, *flat).reshape(shape)
    out = np.empty(size)
    for lo in range(0, size, _SLICE):
        part = [v[lo:lo + _SLICE] for v in flat]
        out[lo:lo + _SLICE] = _by_shape_size_flat(big_fn, generic_fn, nshapes, *part)
    return out.reshape(shape)


#: values per slice in :func:`_by_shape_size` (2**15 and 2**16 measured best of 2**14 ... 2**18)
_SLICE = 1 << 15


def _by_shape_size_flat(big_fn: Any, generic_fn: Any, nshapes: int, *flat: np.ndarray) -> np.ndarray:
    a1, b1, a2, b2 = flat
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = np.minimum(a1, a2)
        if nshapes == 4:
            np.minimum(low, np.minimum(b1, b2), out=low)
        big = low >= _X0
        if np.count_nonzero(big) * 2 > big.size:
            out = big_fn(*flat)
            np.logical_not(big, out=big)
            _patch(out, big, generic_fn, *flat)
        else:
            # the majority's branch on every element (its values elsewhere are overwritten):
            # cheaper than gathering four parameters for most of a batch
            out = generic_fn(*flat)
            _patch(out, big, big_fn, *flat)
    return out


def _gamma_bregman_generic(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """:func:`gamma_bregman`'s three terms added, NaN where they cancel by more than 256."""
    da = a2 - a1
    bregman = _lgamma_bregman_flat(a1, a2, da)
    # the rate terms from t = b2/b1 - 1 (an exact difference over b1): log(b2/b1) once, for both
    t = b2 - b1
    t /= b1
    lr = np.log1p(t)
    far = np.flatnonzero(t < -0.5)  # log1p is ill-conditioned there: the ratio itself
    if far.size:
        lr[far] = np.log(b2[far] / b1[far])
    rate = t - lr  # b2/b1 - 1 - log(b2/b1), accurate to 4 eps/|t|: the series below 0.05
    near = np.flatnonzero(rate < _F_NEAR)
    if near.size:
        rate[near] = -_log1pmx_series_short(t[near])
    rate *= a1
    bregman += rate
    cross = da * lr
    np.negative(cross, out=cross)  # (a2 - a1) log(b1/b2)
    generic = bregman + cross
    # the last term has either sign: where it cancels the nonnegative rest by
    # more than the float result can carry, NaN hands the element to anadiv.numeric.refine
    bregman += np.abs(cross)
    return np.where(bregman <= _CANCELLATION * generic, generic, np.nan)


def _gamma_bregman_big(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """:func:`gamma_bregman` for shapes of 16 and more: Stirling's series regrouped (nonnegative terms)."""
    t, _, l1 = _rel_parts(a1, a2, a2 - a1)
    a2b1 = a2 * b1
    a1b2 = a1 * b2
    # M, the log ratio of the means: from the ratio where they are far apart, and
    # from the exact cross-product difference where that is under half of a1 b2
    m = np.log(a2b1 / a1b2)
    _patch(m, np.abs(a2b1 - a1b2) < 0.5 * a1b2, _log_mean_ratio, a2, b1, a1, b2, a1b2)
    out = a2 * np.asarray(expm1mx(-m))
    out -= 0.5 * l1
    out += _remainder_bregman(a1, a2, t)
    return out


def beta_bregman(a1: Any, b1: Any, a2: Any, b2: Any) -> Any:
    r"""KL between Beta distributions, with its cancellation bounded.

    It is the Bregman divergence of :math:`A(a, b) = \log B(a, b)`:

    .. math:: B_{\log\Gamma}(a_1, a_2) + B_{\log\Gamma}(b_1, b_2) - B_{\log\Gamma}(a_1+b_1, a_2+b_2)

    (the last step :math:`s_2 - s_1` taken as :math:`(a_2-a_1) + (b_2-b_1)`).
    When all four parameters are 16 or more these terms cancel (by a factor
    up to :math:`a + b`); Stirling's series regroups them as

    .. math:: s_2\,\mathrm{KL}(\mathrm{Bernoulli}(p_2)\,\|\,\mathrm{Bernoulli}(p_1))
              + \tfrac12[\phi(\delta_a) + \phi(\delta_b) - \phi(\delta_s)] + \text{Stirling remainders},

    :math:`p = a/(a+b)`, :math:`\phi(t) = t - \log(1+t)`, with :math:`p_2 - p_1`
    from the exact cross-product difference :math:`a_2 b_1 - a_1 b_2`.

    Elsewhere the three terms are added as they are: the relative error is a few
    ulps times their cancellation :math:`(A + B + S)/(A + B - S)`, and where that
    exceeds 256 the result is NaN, which hands the element to the generated code's
    exact fallback (:mod:`anadiv.numeric.refine`).

    Examples
    --------
    >>> float(beta_bregman(1e6, 2e6, 1e6 * (1 + 1e-9), 2e6 * (1 + 1e-9)))  # doctest: +ELLIPSIS
    2.500001...e-19
    """
    (a1, b1, a2, b2), dtype = _as64(a1, b1, a2, b2)
    out = _by_shape_size(_beta_bregman_big, _beta_bregman_generic, 4, a1, b1, a2, b2)
    return _result(out.astype(dtype, copy=False))


def _log_mean_ratio(a2: np.ndarray, b1: np.ndarray, a1: np.ndarray, b2: np.ndarray, a1b2: np.ndarray) -> np.ndarray:
    """``log(a2 b1 / (a1 b2))`` from the exact cross-product difference (for ratios within 1/2 of 1)."""
    return np.log1p(_cross_diff(a2, b1, a1, b2) / a1b2)


def _beta_bregman_generic(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """:func:`beta_bregman`'s three Bregman terms added, NaN where they cancel by more than 256."""
    da = a2 - a1
    db = b2 - b1
    terms_a = _lgamma_bregman_flat(a1, a2, da)
    terms_ab = terms_a + _lgamma_bregman_flat(b1, b2, db)
    terms_s = _lgamma_bregman_flat(a1 + b1, a2 + b2, da + db)
    generic = terms_ab - terms_s
    # the three Bregman terms are nonnegative but may cancel; where they do by
    # more than the float result can carry, NaN hands the element to
    # anadiv.numeric.refine (the generated code's exact fallback)
    terms_ab += terms_s
    return np.where(terms_ab <= _CANCELLATION * generic, generic, np.nan)


def _beta_bregman_big(a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray) -> np.ndarray:
    """:func:`beta_bregman` for all parameters 16 or more: Stirling's series regrouped."""
    da = a2 - a1
    db = b2 - b1
    ds = da + db
    s1 = a1 + b1
    s2 = a2 + b2
    n = _cross_diff(a2, b1, a1, b2)
    e = n / (a1 * s2)  # p2/p1 - 1
    f = -n / (b1 * s2)  # q2/q1 - 1
    main = (s2 * a1 / s1) * _phi1(e, (a2 * s1) / (a1 * s2)) + (s2 * b1 / s1) * _phi1(f, (b2 * s1) / (b1 * s2))
    ta, _, l1a = _rel_parts(a1, a2, da)
    tb, _, l1b = _rel_parts(b1, b2, db)
    ts, _, l1s = _rel_parts(s1, s2, ds)
    half = -0.5 * (l1a + l1b - l1s)
    rest = _remainder_bregman(a1, a2, ta) + _remainder_bregman(b1, b2, tb) - _remainder_bregman(s1, s2, ts)
    return main + half + rest


def gamma_bregman_step(a: Any, b: Any, e: Any) -> Any:
    r"""KL between Gamma(shape ``a``, rate 1) and Gamma(shape ``b``, rate ``1 + e``), from the rate step ``e``.

    The same quantity as :func:`gamma_bregman` ``(a, 1, b, 1 + e)``, for
    callers who know the rate step ``e`` more accurately than ``1 + e``
    rounds to (the Wishart KL, whose rate steps are the eigenvalues of a
    whitened covariance difference). ``b - a`` is exact where the shapes are within a
    factor 2 of each other (Sterbenz).

    .. math:: B_{\log\Gamma}(a, b) + a\,(e - \log(1+e)) - (b - a)\log(1+e) \ge 0

    From shape 16 on both sides the terms cancel by up to a factor
    :math:`2a`; there they are regrouped as in :func:`gamma_bregman`, with
    the mean ratio's numerator :math:`(b - a) - a e` formed exactly. Elsewhere
    the three terms are added, and where they cancel by more than 256 the
    result is NaN (for the caller's exact fallback).

    Examples
    --------
    >>> float(gamma_bregman_step(1e6, 1e6 + 1e-3, 1e-9))  # doctest: +ELLIPSIS
    2.50000108...e-19
    """
    (a, b, e), dtype = _as64(a, b, e)
    d = b - a
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        l = np.log1p(e)
        bregman = np.asarray(lgamma_bregman(a, b))
        rate = a * np.where(e >= -0.5, -np.asarray(log1pmx(e)), e - l)
        cross = -d * l
        generic = bregman + rate + cross
        generic = np.where(bregman + rate + np.abs(cross) <= _CANCELLATION * generic, generic, np.nan)
        big = np.minimum(a, b) >= _X0
        out = generic
        if np.any(big):
            t, lt, l1 = _rel_parts(a, b, d)
            p, err = _two_prod(a, e)
            n = (d - p) - err  # b - a (1 + e), the numerator of the mean ratio
            q = n / (a * (1.0 + e))
            m = np.where(np.abs(q) < 0.5, np.log1p(q), lt - l)
            stir = b * expm1mx(-m) - 0.5 * l1 + _remainder_bregman(a, b, t)
            out = np.where(big, stir, generic)
    return _result(np.asarray(out).astype(dtype, copy=False))


def _lgamma_mpsi_big(x: Any, c: Any, log: Any = np.log) -> Any:
    # Stirling and the digamma asymptotic series with the x log x and x terms cancelled by hand;
    # pure arithmetic but for ``log`` (the native backends pass their library's)
    out = (c - 0.5) * log(x) + 0.5 * math.log(2 * math.pi) + 0.5 - 0.5 * c / x
    xi = 1.0 / x
    for k, m in _STIRLING:
        out = out + k * xi**m
    for k, m in _DIGAMMA_ASYM:
        out = out + k * (x - c) * xi**m
    return out


def lgamma_mpsi(x: Any, c: Any) -> Any:
    r"""``lgamma(x) + (c - x) * digamma(x) + x``, without cancellation for large ``x``.

    The entropies of the Gamma, Beta and Student t distributions contain
    :math:`\log\Gamma(x) - (x - c)\psi(x)`; both terms grow like
    :math:`x\log x` and cancel down to :math:`(c - \tfrac12)\log x - x + O(1)`.
    Adding ``x`` back leaves a quantity of size :math:`\log x`, computed for
    :math:`x \ge 16` from the asymptotic series with the large terms removed:

    .. math:: (c - \tfrac12)\log x + \tfrac12\log 2\pi + \tfrac12 - \frac{c}{2x}
              + \sum_k \frac{B_{2k}}{2k(2k-1)x^{2k-1}} + (x - c)\sum_k \frac{B_{2k}}{2k\,x^{2k}}

    and from ``gammaln`` and ``digamma`` below 16.

    Examples
    --------
    >>> float(lgamma_mpsi(1e6, 1.0))  # doctest: +ELLIPSIS
    8.32669347885...
    """
    x, c = _floats(x, c)
    shape = x.shape
    x1, c1 = (np.array(v, copy=True).reshape(-1) for v in (x, c))
    out = np.empty_like(x1)
    big = x1 >= 10.0  # the series is accurate to 1e-17 absolute from 10 on

    def small(x: np.ndarray, c: np.ndarray) -> np.ndarray:
        sp = _special()
        return sp.gammaln(x) + (c - x) * sp.digamma(x) + x

    _patch(out, big, _lgamma_mpsi_big, x1, c1)
    _patch(out, ~big, small, x1, c1)
    return _result(out.reshape(shape))


def lowergamma_reg(s: Any, x: Any) -> Any:
    r"""Regularized lower incomplete gamma function :math:`\gamma(s, x)/\Gamma(s)`.

    Derived expressions contain ``lowergamma(s, x) / gamma(s)``; for a large
    shape ``s`` both overflow while the ratio lies in [0, 1].

    Examples
    --------
    >>> float(lowergamma_reg(5000.0, 5000.0))  # doctest: +ELLIPSIS
    0.5018...
    """
    s, x = _floats(s, x)
    return _result(np.asarray(_special().gammainc(s, x)))


def betainc_reg(a: Any, b: Any, x: Any) -> Any:
    r"""Regularized incomplete beta function :math:`I_x(a, b) = B(x; a, b)/B(a, b)`.

    Replaces ``betainc_regularized(a, b, 0, x)``, which sympy's SciPy printer
    writes as ``betainc(a, b, x) - betainc(a, b, 0)`` without parentheses
    (wrong inside a product).

    Examples
    --------
    >>> float(betainc_reg(2.0, 3.0, 0.5))
    0.6875
    """
    a, b, x = _floats(a, b, x)
    return _result(np.asarray(_special().betainc(a, b, x)))


# atan(x) - x = x^3 * sum_{k>=1} (-1)^k x^(2k-2) / (2k+1)   (|x| < 0.3: 17 terms reach 1e-17)
_ATANMX_COEFS = np.array([(-1.0) ** k / (2 * k + 1) for k in range(1, 18)])


def atanmx(x: Any) -> Any:
    r"""``arctan(x) - x`` without cancellation for small ``x``.

    .. math:: \arctan x - x = \sum_{k\ge1} \frac{(-1)^k x^{2k+1}}{2k+1}

    Student t expectations for a large ``df`` contain
    :math:`\mathrm{df}^{3/2}\arctan(y/\sqrt{\mathrm{df}})`, whose leading term
    ``df * y`` cancels against other terms; writing ``atan(z) = atanmx(z) + z``
    lets that cancellation happen symbolically.

    Examples
    --------
    >>> float(atanmx(1e-5))  # doctest: +ELLIPSIS
    -3.33333333...e-16
    """
    x = _float(x)
    with np.errstate(invalid="ignore"):
        out = np.asarray(np.arctan(x) - x)
    out = out.copy() if out.ndim else out.reshape(1)
    xx = x.reshape(out.shape) if x.ndim else x.reshape(1)

    def series(v: np.ndarray) -> np.ndarray:
        return v * v * v * _horner(v * v, _ATANMX_COEFS)

    _patch(out, np.abs(xx) < 0.3, series, xx)
    return _result(out.reshape(x.shape))


def cos_half_pi(x: Any) -> Any:
    r"""``cos(pi x / 2)`` with full relative accuracy near its zeros at ``x = +-1``.

    .. math:: \cos\frac{\pi x}{2} = \sin\frac{\pi (1 - |x|)}{2}

    ``cos(pi*x/2)`` as written rounds ``pi*x/2`` to an absolute error of an
    ulp of ``pi/2``, the whole value near ``x = 1``: the half-Cauchy's
    ``E[X^t] = scale^t / cos(pi t/2)`` loses ``-log10(1 - t)`` digits there.
    ``1 - |x|`` is exact for ``1/2 <= |x| <= 2`` (Sterbenz), so the sine form
    keeps every digit; elsewhere the cosine is used as it is.

    Examples
    --------
    >>> float(cos_half_pi(1.0 - 2.0**-40))  # doctest: +ELLIPSIS
    1.42863...e-12
    """
    x = _float(x)
    ax = np.abs(x)
    near = (ax >= 0.5) & (ax <= 2.0)
    with np.errstate(invalid="ignore"):
        out = np.where(near, np.sin((0.5 * np.pi) * (1.0 - np.where(near, ax, 1.0))), np.cos((0.5 * np.pi) * x))
    return _result(np.asarray(out))
# I0(k) - 1 = sum_{j>=1} t^j / (j!)^2 with t = k^2/4; for k < 2 (t < 1) 14 terms reach 1e-19
_I0M1_COEFS = np.array([1.0 / math.factorial(j) ** 2 for j in range(1, 15)])
#: below it log I0 comes from the series of I0 - 1, above from log(i0e(k)) + k (no cancellation there)
_LOG_I0_SERIES = 2.0


def log_i0(k: Any) -> Any:
    r""":math:`\log I_0(k)` for :math:`k \ge 0`, without overflow or cancellation.

    .. math:: \log I_0(k) = \log i_0e(k) + k
        = \operatorname{log1p}\Bigl(\sum_{j\ge1} \frac{(k^2/4)^j}{(j!)^2}\Bigr)

    ``I_0`` overflows float64 from ``k ~ 713``; the scaled ``i0e`` never does.
    For ``k < 2`` the series of ``I_0 - 1`` keeps the relative digits of
    ``log I_0(k) ~ k^2/4`` (``log(i0e(k)) + k`` would cancel there).

    Examples
    --------
    >>> float(log_i0(1e-8))  # doctest: +ELLIPSIS
    2.500000000000...e-17
    >>> float(log_i0(1e6))  # doctest: +ELLIPSIS
    999992.1...
    """
    k = _float(k)
    sp = _special()
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.asarray(np.log(sp.i0e(k)) + k)
    out = out.copy() if out.ndim else out.reshape(1)
    kk = k.reshape(out.shape) if k.ndim else k.reshape(1)

    def series(v: np.ndarray) -> np.ndarray:
        t = 0.25 * v * v
        return np.log1p(t * _horner(t, _I0M1_COEFS))

    _patch(out, np.abs(kk) < _LOG_I0_SERIES, series, kk)
    return _result(out.reshape(k.shape))


def i1_i0(k: Any) -> Any:
    r""":math:`A(k) = I_1(k)/I_0(k)`, the von Mises mean resultant length, as ``i1e(k)/i0e(k)``.

    The exponential scalings cancel, so neither factor overflows at large ``k``,
    and both keep their relative digits as ``k -> 0`` (``A(k) ~ k/2``).

    Examples
    --------
    >>> float(i1_i0(1e-10))  # doctest: +ELLIPSIS
    5.00000000000...e-11
    >>> float(i1_i0(1e300))
    1.0
    """
    k = _float(k)
    sp = _special()
    return _result(np.asarray(sp.i1e(k) / sp.i0e(k)))


def _bernoulli_over_factorial(n_terms: int) -> list[float]:
    """``B_2k/(2k)!`` for k = 1..n_terms (exact rationals, then rounded once)."""
    from fractions import Fraction

    b = [Fraction(1)]
    for m in range(1, 2 * n_terms + 1):
        b.append(-sum((Fraction(math.comb(m + 1, j)) * b[j] for j in range(m)), Fraction(0)) / (m + 1))
    return [float(b[2 * k] / math.factorial(2 * k)) for k in range(1, n_terms + 1)]


# 1/(1 - e^-x) - 1/x = 1/2 + sum_k B_2k/(2k)! x^(2k-1); radius 2 pi, so |x| < 2 needs 20 terms
_CB_B = _bernoulli_over_factorial(20)
_CB_MEAN_COEFS = np.array(_CB_B)                                            # times x^(2k-1)
_CB_LOGNORM_COEFS = np.array([c / (2 * k) for k, c in enumerate(_CB_B, start=1)])  # times x^(2k)
_CB_VAR_COEFS = np.array([(2 * k - 1) * c for k, c in enumerate(_CB_B, start=1)])  # times x^(2k-2)
_CB_SERIES = 2.0


def cb_log_normalizer(e: Any) -> Any:
    r""":math:`A(\eta) = \log\frac{e^\eta - 1}{\eta}`, the continuous Bernoulli log-normalizer (``A(0) = 0``).

    The series :math:`\eta/2 + \sum_k B_{2k}\eta^{2k}/(2k\,(2k)!)` for
    ``|eta| < 2`` (no 0/0 at the removable singularity ``eta = 0``, i.e.
    ``probs = 1/2``); for larger ``|eta|`` the
    exponential is factored out so nothing overflows:
    ``eta + log(-expm1(-eta)) - log(eta)`` for ``eta > 0`` and
    ``log(-expm1(eta)) - log(-eta)`` for ``eta < 0``.

    Examples
    --------
    >>> float(cb_log_normalizer(0.0))
    0.0
    >>> float(cb_log_normalizer(1e-9))  # doctest: +ELLIPSIS
    5.00000000041666...e-10
    """
    e = _float(e)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        pos = np.asarray(e + np.log(-np.expm1(-e)) - np.log(e))
        neg = np.asarray(np.log(-np.expm1(e)) - np.log(-e))
        out = np.array(np.where(e > 0, pos, neg), dtype=e.dtype, ndmin=1)
    ee = e.reshape(out.shape) if e.ndim else e.reshape(1)

    def series(v: np.ndarray) -> np.ndarray:
        return 0.5 * v + v * v * _horner(v * v, _CB_LOGNORM_COEFS)

    _patch(out, np.abs(ee) < _CB_SERIES, series, ee)
    return _result(out.reshape(e.shape))


def cb_mean(e: Any) -> Any:
    r""":math:`A'(\eta) = \frac{1}{1 - e^{-\eta}} - \frac1\eta`, the continuous Bernoulli mean (``1/2`` at 0).

    The Bernoulli-number series :math:`\tfrac12 + \sum_k B_{2k}\eta^{2k-1}/(2k)!`
    for ``|eta| < 2`` (the two terms of the closed form cancel there),
    ``-1/expm1(-eta) - 1/eta`` beyond.

    Examples
    --------
    >>> float(cb_mean(0.0))
    0.5
    >>> float(cb_mean(1e-6))  # doctest: +ELLIPSIS
    0.50000008333333...
    """
    e = _float(e)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.array(-1.0 / np.expm1(-e) - 1.0 / e, dtype=e.dtype, ndmin=1)
    ee = e.reshape(out.shape) if e.ndim else e.reshape(1)

    def series(v: np.ndarray) -> np.ndarray:
        return 0.5 + v * _horner(v * v, _CB_MEAN_COEFS)

    _patch(out, np.abs(ee) < _CB_SERIES, series, ee)
    return _result(out.reshape(e.shape))


def cb_variance(e: Any) -> Any:
    r""":math:`A''(\eta) = \frac{1}{\eta^2} - \frac{1}{4\sinh^2(\eta/2)}`, the continuous Bernoulli variance (``1/12`` at 0).

    Examples
    --------
    >>> float(cb_variance(0.0))  # doctest: +ELLIPSIS
    0.08333333333333...
    """
    e = _float(e)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        sh = np.sinh(0.5 * e)
        out = np.array(1.0 / (e * e) - 0.25 / (sh * sh), dtype=e.dtype, ndmin=1)
    ee = e.reshape(out.shape) if e.ndim else e.reshape(1)

    def series(v: np.ndarray) -> np.ndarray:
        return _horner(v * v, _CB_VAR_COEFS)

    _patch(out, np.abs(ee) < _CB_SERIES, series, ee)
    return _result(out.reshape(e.shape))
