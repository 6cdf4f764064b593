r"""Per-bin kernels of the Hellinger, Bhattacharyya, total-variation,
chi-square and Renyi divergences of probability vectors.

Every kernel takes float64 arrays ``p`` and ``q`` that broadcast, hold exact
zeros where a probability is 0 and sum to 1 along ``axis`` (the callers in
:mod:`anadiv.discrete` check and rescale them), and returns a sum (or, for
:func:`log_ratio_max`, a maximum) over ``axis``: such results can be joined
over slices of the bins, which keeps the memory bounded.  The public
functions, with the conventions and input checks, are in
:mod:`anadiv.discrete`.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .numeric.stable import expm1mx, log1pmx

Array = NDArray[np.float64]

# |p - q| / q below which log(p/q) is log1p((p - q)/q): p - q is then exact
# (Sterbenz), where log(p) - log(q) would carry the absolute error of log(p).
_NEAR = 0.5
# |y| below which y -> e^y - 1 - y comes from its series (stable.expm1mx);
# beyond, the difference of exact-input terms is used, which cannot overflow.
_SERIES = 1.0


def _sum(terms: Array, axis: int) -> Array:
    return np.asarray(terms.sum(axis=axis))


def _log_ratio(pp: Array, qq: Array) -> tuple[Array, Array, NDArray[np.bool_]]:
    """x = (p - q)/q, L = log(p/q) accurate to a few ulps of L itself, and
    the mask of the near bins, for positive ``pp`` and ``qq``."""
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        x = (pp - qq) / qq
        near = np.abs(x) < _NEAR
        log_ratio = np.where(near, np.log1p(np.where(near, x, 0.0)), np.log(pp) - np.log(qq))
    return x, log_ratio, near


def sqrt_diff2_sum(p: Array, q: Array, axis: int = -1) -> Array:
    r""":math:`\sum_i (\sqrt{p_i} - \sqrt{q_i})^2 = 2 H^2`.

    The difference of roots is :math:`(p - q)/(\sqrt p + \sqrt q)`: ``p - q``
    is exact for close values, where ``sqrt(p) - sqrt(q)`` would keep only
    the digits that the two rounded roots do not share.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        d = (p - q) / (np.sqrt(p) + np.sqrt(q))
    d = np.where((p == 0) & (q == 0), 0.0, d)
    return _sum(d * d, axis)


def sqrt_product_sum(p: Array, q: Array, axis: int = -1) -> Array:
    r"""The Bhattacharyya coefficient :math:`BC = \sum_i \sqrt{p_i q_i}`."""
    return _sum(np.sqrt(p) * np.sqrt(q), axis)  # two roots: p q may underflow


def abs_diff_sum(p: Array, q: Array, axis: int = -1) -> Array:
    r""":math:`\sum_i |p_i - q_i|`."""
    return _sum(np.abs(p - q), axis)


def chi_square_sum(p: Array, q: Array, axis: int = -1) -> Array:
    r"""Pearson's :math:`\sum_i (p_i - q_i)^2 / q_i`; ``inf`` where
    :math:`q_i = 0 < p_i`, 0 for bins where both are 0."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        terms = np.where(q > 0, (p - q) ** 2 / np.where(q > 0, q, 1.0), np.where(p > 0, np.inf, 0.0))
    return _sum(terms, axis)


def support_mass_outside(p: Array, q: Array, axis: int = -1) -> Array:
    r""":math:`Q(p = 0) = \sum_{i: p_i = 0} q_i`."""
    return _sum(np.where(p == 0, q, 0.0), axis)


def support_mass_inside(p: Array, q: Array, axis: int = -1) -> Array:
    r""":math:`Q(p > 0) = \sum_{i: p_i > 0} q_i`."""
    return _sum(np.where(p > 0, q, 0.0), axis)


def log_ratio_max(p: Array, q: Array, axis: int = -1) -> Array:
    r""":math:`\max_{i: p_i > 0} \log(p_i / q_i)`; ``inf`` if some :math:`q_i = 0 < p_i`."""
    pos = (p > 0) & (q > 0)
    _, log_ratio, _ = _log_ratio(np.where(pos, p, 1.0), np.where(pos, q, 1.0))
    values = np.where(pos, log_ratio, np.where(p > 0, np.inf, -np.inf))
    return np.asarray(values.max(axis=axis))


def renyi_terms_sum(p: Array, q: Array, alpha: float, axis: int = -1) -> Array:
    r""":math:`S = \sum_i p_i^\alpha q_i^{1-\alpha} - 1` for :math:`\alpha > 0`,
    :math:`\alpha \ne 1`, as a sum of per-bin terms of one sign.

    With both vectors summing to 1, :math:`S = \sum_i q_i f(r_i)`,
    :math:`r = p/q`, :math:`f(r) = r^\alpha - 1 - \alpha (r - 1)`, which is
    :math:`\ge 0` for :math:`\alpha > 1` and :math:`\le 0` for
    :math:`\alpha < 1` and of second order in :math:`r - 1`, so the sum of a
    nearly equal pair keeps its digits.  With :math:`L = \log r`,
    :math:`b = \alpha - 1`, :math:`\varphi(y) = e^y - 1 - y` and
    :math:`g = q (rL - r + 1) = pL - p + q \ge 0`, a bin's term is any of

    * (B) :math:`b\,g + p\,\varphi(bL)`: both parts have the sign of
      :math:`b` when :math:`\alpha > 1` (no cancellation at all), and at most
      a factor 2 cancels near :math:`r = 1` for :math:`1/2 < \alpha < 1`;
    * (A) :math:`q\,\varphi(\alpha L) - \alpha\,q\,\varphi(L)`, good for small
      :math:`\alpha`;
    * (D) :math:`p^\alpha q^{1-\alpha} - \alpha p - (1 - \alpha) q`, good far
      from :math:`r = 1`;

    (B) is used for :math:`\alpha \ge 1/2`, (A) below; for :math:`\alpha < 1`
    a bin takes (D) instead where its parts have the smaller sum of
    magnitudes (the bound on the rounding error).  The
    :math:`\varphi` are series for small arguments and differences of exact
    terms (:math:`q e^{L} = p`) otherwise.  Bins with :math:`p = 0` give
    :math:`b q`, bins with :math:`q = 0 < p` give :math:`-\alpha p` for
    :math:`\alpha < 1` and ``inf`` for :math:`\alpha > 1`.  For
    :math:`\alpha > 1` a term may overflow while the divergence is finite:
    the caller then evaluates that vector by :func:`renyi_shifted_sum`.
    """
    a = float(alpha)
    b = a - 1.0
    pos = (p > 0) & (q > 0)
    pp, qq = np.where(pos, p, 1.0), np.where(pos, q, 1.0)
    x, log_ratio, near = _log_ratio(pp, qq)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        if a >= 0.5:
            # (B); near r = 1 its parts cancel by at most a factor 1/alpha <= 2
            xn = np.where(near, x, 0.0)
            g = np.where(near, qq * (xn * xn + (1.0 + xn) * log1pmx(xn)), pp * log_ratio - (pp - qq))
            g = np.maximum(g, 0.0)  # >= 0 exactly; a rounding below 0 is noise of a tiny term
            y = b * log_ratio
            small = np.abs(y) < _SERIES
            # e^y from the accurate log-ratio: (p/q)**b would raise the rounding of p/q to the power b
            p_phi_far = pp * np.expm1(y) - pp * y
            p_phi = np.where(small, pp * expm1mx(np.where(small, y, 0.0)), p_phi_far)
            term = b * g + p_phi
            size = np.abs(b) * g + np.abs(p_phi)
        if a < 1.0:
            pa = np.power(pp, a) * np.power(qq, 1.0 - a)  # <= max(p, q): no overflow
        if a < 0.5:
            # (A); near r = 1 its parts cancel by at most a factor 1/(1 - alpha) < 2
            z = a * log_ratio
            small_z = np.abs(z) < _SERIES
            q_phi_z = np.where(small_z, qq * expm1mx(np.where(small_z, z, 0.0)), pa - qq - qq * z)
            small_l = np.abs(log_ratio) < _SERIES
            q_phi_l = np.where(small_l, qq * expm1mx(np.where(small_l, log_ratio, 0.0)), pp - qq - qq * log_ratio)
            term = q_phi_z - a * q_phi_l
            size = np.abs(q_phi_z) + a * np.abs(q_phi_l)
        if a < 1.0:
            term_d = (pa - a * pp) - (1.0 - a) * qq
            size_d = pa + a * pp + (1.0 - a) * qq
            term = np.where(size_d < size, term_d, term)
            # each bin's term is <= 0 here; a rounding past 0 is noise of a tiny term
            term = np.minimum(term, 0.0)
            outside = -a * p
        else:
            term = np.maximum(term, 0.0)
            outside = np.full_like(term, np.inf)
        term = np.where(pos, term, np.where(p > 0, outside, b * q))
    return _sum(term, axis)


def renyi_shifted_sum(p: Array, q: Array, alpha: float, shift: Array, axis: int = -1) -> Array:
    r""":math:`\sum_{i: p_i > 0} p_i\, e^{b (L_i - c)}`, :math:`b = \alpha - 1 > 0`,
    :math:`L_i = \log(p_i/q_i)`, with ``shift`` :math:`c = \max_i L_i`
    (broadcast against the bins): every term is at most :math:`p_i`, so
    nothing overflows, and :math:`D_\alpha = c + \log(\text{sum}) / b`.
    The supports must allow it (no :math:`q_i = 0 < p_i`)."""
    b = float(alpha) - 1.0
    pos = (p > 0) & (q > 0)
    _, log_ratio, _ = _log_ratio(np.where(pos, p, 1.0), np.where(pos, q, 1.0))
    with np.errstate(over="ignore", invalid="ignore"):
        terms = np.where(pos, p * np.exp(b * np.minimum(log_ratio - shift, 0.0)), 0.0)
    return _sum(terms, axis)


def renyi_power_sum(p: Array, q: Array, alpha: float, axis: int = -1) -> Array:
    r""":math:`V = \sum_{i: p_i q_i > 0} p_i^\alpha q_i^{1-\alpha}` for
    :math:`0 < \alpha < 1`, a sum of positive terms, each at most
    :math:`\max(p_i, q_i)`: where :math:`V` is small (far from
    :math:`1 + S`'s digits) :math:`\log V` comes from it."""
    a = float(alpha)
    pos = (p > 0) & (q > 0)
    pp, qq = np.where(pos, p, 1.0), np.where(pos, q, 1.0)
    return _sum(np.where(pos, np.power(pp, a) * np.power(qq, 1.0 - a), 0.0), axis)


def renyi_log_terms_max(p: Array, q: Array, alpha: float, axis: int = -1) -> Array:
    r""":math:`\max_{i: p_i q_i > 0} [\alpha \log p_i + (1 - \alpha) \log q_i]`
    (``-inf`` for disjoint supports): the shift of :func:`renyi_log_shifted_sum`."""
    a = float(alpha)
    pos = (p > 0) & (q > 0)
    pp, qq = np.where(pos, p, 1.0), np.where(pos, q, 1.0)
    return np.asarray(np.where(pos, a * np.log(pp) + (1.0 - a) * np.log(qq), -np.inf).max(axis=axis))


def renyi_log_shifted_sum(p: Array, q: Array, alpha: float, shift: Array, axis: int = -1) -> Array:
    r""":math:`\sum_{i: p_i q_i > 0} e^{\alpha \log p_i + (1 - \alpha)\log q_i - c}`
    with ``shift`` :math:`c` from :func:`renyi_log_terms_max`: at least 1, so
    :math:`\log V = c + \log(\text{sum})` even where :math:`V` underflows."""
    a = float(alpha)
    pos = (p > 0) & (q > 0)
    pp, qq = np.where(pos, p, 1.0), np.where(pos, q, 1.0)
    with np.errstate(invalid="ignore"):
        terms = np.where(pos, np.exp(np.minimum(a * np.log(pp) + (1.0 - a) * np.log(qq) - shift, 0.0)), 0.0)
    return _sum(terms, axis)
