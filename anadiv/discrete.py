r"""Divergences between discrete distributions given as probability vectors.

Every function takes array-likes of probabilities.  The probabilities of one
distribution lie along ``axis`` (the last one by default); all other axes are
a batch, and two arguments are broadcast against each other batch-wise.

* :func:`entropy` :math:`H(p) = -\sum_i p_i \log p_i`
* :func:`cross_entropy` :math:`H(p, q) = -\sum_i p_i \log q_i`
* :func:`kl` :math:`D(p \,\|\, q) = \sum_i p_i \log(p_i / q_i)`
* :func:`js_divergence` :math:`JS(p, q) = \tfrac12 D(p\,\|\,m) + \tfrac12 D(q\,\|\,m)`,
  :math:`m = (p + q)/2`
* :func:`js_distance` :math:`\sqrt{JS(p, q)}`, a metric
* :func:`hellinger` :math:`H(p, q) = \sqrt{\tfrac12 \sum_i (\sqrt{p_i} - \sqrt{q_i})^2}`, in [0, 1]
* :func:`bhattacharyya` :math:`D_B(p, q) = -\log \sum_i \sqrt{p_i q_i}`
* :func:`total_variation` :math:`TV(p, q) = \tfrac12 \sum_i |p_i - q_i|`, in [0, 1]
* :func:`chi_square` :math:`\chi^2(p \,\|\, q) = \sum_i (p_i - q_i)^2 / q_i` (Pearson)
* :func:`renyi` :math:`D_\alpha(p \,\|\, q) = \frac{1}{\alpha - 1} \log \sum_i p_i^\alpha q_i^{1-\alpha}`
* :func:`pairwise` the matrix of any of these over a set of distributions,
  computed tile by tile with array operations in bounded memory.

Conventions shared by all functions
-----------------------------------
* ``base=None`` gives nats, ``base=2`` bits; any positive base other than 1
  is allowed (below 1 every value changes sign, and ``js_distance`` refuses
  it).  The Hellinger distance, the total variation and the chi-square
  divergence are not logarithms and take no ``base``.
* :math:`0 \log(0/q) = 0`; a bin with :math:`p_i > 0 = q_i` makes ``kl`` and
  ``cross_entropy`` ``inf`` (no warning is emitted).  JS is always finite.
* Inputs are checked: negative, NaN or infinite entries, empty vectors,
  vectors whose sum differs from 1 by more than ``atol`` (unless
  ``normalize=True``), shapes that do not match or do not broadcast, and an
  invalid ``base`` or ``axis`` raise :class:`ValueError` whose message starts
  with the argument's name.  Vectors within ``atol`` of 1 are rescaled to sum
  to 1 before evaluation, so the results are exactly the divergences of
  probability distributions (never negative, JS at most :math:`\log 2`).
* Two labelled arguments (pandas Series / DataFrames) are paired by label
  along every axis they share, as pandas arithmetic pairs them; label sets
  that differ raise :class:`ValueError` naming ``q``.
* Memory beyond the inputs is bounded: the inputs are evaluated in slices
  of ``_TILE_ELEMENTS`` broadcast elements, also along the bins.

Accuracy: each bin's contribution is evaluated in a form that is
non-negative and free of cancellation, so results keep a relative error of a
few units in the last place even when ``p`` and ``q`` nearly agree (measured
against 50-digit mpmath: at most 4 ulps for KL and 13 for JS, where
``rel_entr(p, q).sum()`` has 1e-7 relative error at KL = 1e-19).
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _discrete_kinds as _kinds
from .numeric.threads import get_num_threads, run_chunks
from .numeric.xp import is_dask
from .pairwise_dask import lazy_pairwise

__all__ = [
    "SUM_ATOL",
    "bhattacharyya",
    "chi_square",
    "cross_entropy",
    "entropy",
    "hellinger",
    "js_distance",
    "js_divergence",
    "kl",
    "pairwise",
    "renyi",
    "total_variation",
]

#: Default tolerance on ``|sum(p) - 1|``.  It accepts float64 vectors that
#: were normalised in float32 or float64 arithmetic and rejects vectors with
#: a visible rounding or bookkeeping error (``[0.333, 0.333, 0.333]``).
SUM_ATOL: float = 1e-6

_LOG2 = math.log(2.0)
# Smallest positive double.  Adding it to a normal number changes nothing,
# so it can stand in for an exact zero where a division by p + q would
# otherwise be 0/0.
_TINY = np.float64(np.nextafter(0.0, 1.0))
# |u| = |p - q| / (p + q) below which a bin uses the "near-equal" forms.
_NEAR = 0.5
# Below this |u| the difference atanh(u) - u is summed as a series.
_SERIES = 0.1
_SERIES_TERMS = 8  # x**8 / 19 with x = u**2 < 0.01 is below 1e-17 of the sum
# Elements (tile rows x tile columns x bins) of one pairwise tile: 1 MB per
# temporary keeps the half-dozen temporaries of a tile in cache (measured
# fastest between 2**16 and 2**18 for 4 to 256 bins).
_TILE_ELEMENTS = 1 << 17
# Pairwise tiles put the bins first, (bins, rows, cols), when there are fewer
# bins than this: numpy's inner loops then run along a tile side instead of
# along a handful of bins, which would cost a loop call per few elements.
_BINS_FIRST_BELOW = 64
# Reduction over the bins of two arrays, for bins last (-1) or first (0).
_EINSUM = {-1: "...i,...i->...", 0: "i...,i...->..."}

Result = Union[float, NDArray[np.float64]]


# ---------------------------------------------------------------- checks


def _log_base(base: Any) -> float:
    """log(base), 1.0 for ``None`` (nats); ValueError naming ``base``."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, numbers.Real):
        raise ValueError(
            f"base: must be a positive number other than 1, or None for nats; got {base!r}"
        )
    value = float(base)
    if not (math.isfinite(value) and value > 0.0 and value != 1.0):
        raise ValueError(
            f"base: must be a positive finite number other than 1, or None for nats; got {base!r}"
        )
    return math.log(value)


def _log_base_for_root(base: Any) -> float:
    """As :func:`_log_base`; a base below 1 makes divergences negative, which
    have no square root, so the JS distance refuses it."""
    log_base = _log_base(base)
    if log_base < 0:
        raise ValueError(
            f"base: must be greater than 1 for the Jensen-Shannon distance (the square root of "
            f"a divergence that is negative in base {base!r}); got {base!r}"
        )
    return log_base


def _check_atol(atol: Any) -> float:
    if isinstance(atol, bool) or not isinstance(atol, numbers.Real) or not (
        math.isfinite(float(atol)) and float(atol) >= 0.0
    ):
        raise ValueError(f"atol: must be a finite number >= 0, got {atol!r}")
    return float(atol)


def _as_array(value: Any, name: str) -> NDArray[np.float64]:
    """Any array-like of real numbers -> float64 array; ValueError naming it."""
    if _labels(value) is not None:
        value = value.to_numpy()  # pandas: the values, without the labels (see _align)
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # ragged nested lists and the like
        raise ValueError(f"{name}: cannot be read as an array of probabilities ({exc})") from exc
    if arr.dtype.kind == "c":
        raise ValueError(f"{name}: probabilities must be real numbers, got complex values")
    if arr.dtype.kind in "USVMm":
        raise ValueError(f"{name}: probabilities must be numbers, got dtype {arr.dtype}")
    try:
        arr = arr.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: probabilities must be real numbers ({exc})") from exc
    if arr.ndim == 0:
        raise ValueError(
            f"{name}: must be a probability vector (an array with at least one axis), got a scalar"
        )
    return arr


def _resolve_axis(axis: Any, ndim: int) -> int:
    """``axis`` as a negative index into arrays of ``ndim`` dimensions."""
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise ValueError(f"axis: must be an integer, got {axis!r}")
    axis = int(axis)
    if not -ndim <= axis < ndim:
        raise ValueError(f"axis: {axis} is out of range for arrays with {ndim} dimension(s)")
    return axis - ndim if axis >= 0 else axis


def _checked(
    arr: NDArray[np.float64], name: str, axis: int, user_axis: Any, normalize: bool, atol: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Check one array of probability vectors; return it (a view) with ``axis``
    last, and the sum of every vector (keepdims), which the callers divide by.

    The checks are reductions (min, max, sum): no temporary the size of the
    input, whatever the number of bins.
    """
    if arr.ndim < -axis:
        raise ValueError(
            f"{name}: has shape {arr.shape}, with no axis {user_axis} to hold the probabilities"
        )
    arr = np.moveaxis(arr, axis, -1)
    if arr.shape[-1] == 0:
        raise ValueError(f"{name}: the probability vectors (axis {user_axis}) are empty")
    if arr.size:
        smallest = arr.min()  # NaN if any entry is NaN
        if np.isnan(smallest):
            raise ValueError(f"{name}: contains NaN")
        if smallest < 0:
            raise ValueError(
                f"{name}: contains negative entries (smallest {smallest:.6g}); "
                "probabilities must be >= 0"
            )
        if np.isinf(arr.max()):
            raise ValueError(f"{name}: contains inf")
    total = arr.sum(axis=-1, keepdims=True)
    if normalize:
        if (total == 0).any():
            raise ValueError(f"{name}: a vector is all zeros and cannot be normalized")
        if not np.isfinite(total).all():
            raise ValueError(f"{name}: a vector's sum overflows; rescale it before calling")
    else:
        off = np.abs(total - 1.0) > atol
        if off.any():
            raise ValueError(
                f"{name}: does not sum to 1 (a sum is {float(total[off][0])!r}; allowed "
                f"deviation atol={atol:g}); pass normalize=True to rescale"
            )
    return arr, total


def _distributions(
    arr: NDArray[np.float64], name: str, axis: int, user_axis: Any, normalize: bool, atol: float
) -> NDArray[np.float64]:
    """:func:`_checked`, rescaled so that every vector sums to 1 (a copy)."""
    arr, total = _checked(arr, name, axis, user_axis, normalize, atol)
    # Rescale even within the tolerance: with exact unit sums every per-bin
    # term below is a genuine divergence term, so the sums are >= 0.
    return arr / total


# ---------------------------------------------------------------- labels
# pandas objects carry labels; pandas arithmetic pairs values by label, so a
# pandas user expects the same here. They are recognised by duck typing
# (``.index`` and ``.to_numpy``), so pandas is never imported.


def _labels(value: Any) -> list[Sequence[Any]] | None:
    """The labels along each axis of a labelled 1-D or 2-D object (a pandas
    Series: its index; a DataFrame: its index and columns), else None."""
    if not (hasattr(value, "index") and callable(getattr(value, "to_numpy", None))):
        return None
    index = value.index
    if callable(index):  # a list or tuple has an index() method, not labels
        return None
    columns = getattr(value, "columns", None)
    return [index] if columns is None or callable(columns) else [index, columns]


def _order(p_labels: Sequence[Any], q_labels: Sequence[Any], name: str, other: str, axis: int) -> list[int] | None:
    """Positions in ``q_labels`` of the labels of ``p_labels`` in turn; None
    when they are already in the same order.  ValueError naming ``name`` when
    the label sets differ or hold duplicates."""
    p_list, q_list = list(p_labels), list(q_labels)
    if p_list == q_list:
        return None
    where = {label: i for i, label in enumerate(q_list)}
    if len(where) != len(q_list) or len(set(p_list)) != len(p_list):
        raise ValueError(
            f"{name}: labels along axis {axis} are not unique, so they cannot be matched with "
            f"{other}'s; pass plain arrays (.to_numpy()) in the order you mean"
        )
    p_set = set(p_list)
    missing = [label for label in p_list if label not in where]
    extra = [label for label in q_list if label not in p_set]
    if missing or extra:
        example = f"{missing[0]!r} is only in {other}" if missing else f"{extra[0]!r} is only in {name}"
        raise ValueError(
            f"{name}: labels along axis {axis} differ from {other}'s ({len(extra)} of {len(q_list)} "
            f"not in {other}; e.g. {example}); reindex both to the same labels, or pass plain "
            f"arrays (.to_numpy()) to pair the values by position"
        )
    return [where[label] for label in p_list]


def _align(
    p: Any, q: Any, qarr: NDArray[np.float64], name: str = "q", other: str = "p", axes: Sequence[int] | None = None
) -> NDArray[np.float64]:
    """``qarr`` (the values of ``q``) with its entries paired with ``p``'s by label.

    When both arguments are labelled, axes are matched from the right (as
    numpy broadcasts; a Series against a DataFrame pairs the Series' index
    with the columns, as pandas arithmetic does). Where both axes have the
    same length, ``q``'s entries are reordered to ``p``'s label order; label
    sets that differ raise a ValueError naming ``q``. An unlabelled argument
    is taken in its positional order. ``axes`` (negative) limits the
    matching to those axes (pairwise: the probabilities' axis only, the
    distributions of the two sets are not pairs).
    """
    p_labels, q_labels = _labels(p), _labels(q)
    if p_labels is None or q_labels is None:
        return qarr
    common = range(-1, -min(len(p_labels), len(q_labels)) - 1, -1)
    for k in common if axes is None else [a for a in axes if a in common]:
        pl, ql = p_labels[k], q_labels[k]
        if len(pl) != len(ql) or len(pl) < 2:
            continue  # lengths that differ are reported (or broadcast) by the shape checks
        order = _order(pl, ql, name, other, k)
        if order is not None:
            qarr = np.take(qarr, order, axis=qarr.ndim + k)
    return qarr


def _one(
    p: ArrayLike, axis: Any, normalize: bool, atol: Any, name: str = "p"
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Checked ``p`` with the probability axis last (a view) and its vector sums."""
    atol = _check_atol(atol)
    arr = _as_array(p, name)
    ax = _resolve_axis(axis, arr.ndim)
    return _checked(arr, name, ax, axis, normalize, atol)


def _two(
    p: ArrayLike, q: ArrayLike, axis: Any, normalize: bool, atol: Any
) -> tuple[tuple[NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]],
           tuple[int, ...]]:
    """Checked ``p`` and ``q`` with the probability axis last (views), their
    vector sums, and the broadcast batch shape."""
    atol = _check_atol(atol)
    parr = _as_array(p, "p")
    qarr = _align(p, q, _as_array(q, "q"))
    ax = _resolve_axis(axis, max(parr.ndim, qarr.ndim))
    parr, ptotal = _checked(parr, "p", ax, axis, normalize, atol)
    qarr, qtotal = _checked(qarr, "q", ax, axis, normalize, atol)
    if parr.shape[-1] != qarr.shape[-1]:
        raise ValueError(
            f"q: has {qarr.shape[-1]} probabilities along axis {axis} but p has {parr.shape[-1]}"
        )
    try:
        batch = np.broadcast_shapes(parr.shape[:-1], qarr.shape[:-1])
    except ValueError:
        raise ValueError(
            f"q: batch shape {qarr.shape[:-1]} does not broadcast against p's "
            f"batch shape {parr.shape[:-1]} (probability axis {axis} left out)"
        ) from None
    return (parr, qarr), (ptotal, qtotal), batch


def _finish(total: NDArray[np.float64], log_base: float) -> Result:
    if log_base != 1.0:
        total = total / log_base
    return float(total) if total.ndim == 0 else total


# ------------------------------------------------------- per-bin kernels
# Each kernel works on float64 arrays with the bins on the last axis and
# broadcasts; it returns the sum over the bins, in nats.


def _xlogx(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """x log x with 0 log 0 = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = x * np.log(x)
    out[x == 0] = 0.0
    return out


class _Scratch:
    """Preallocated temporaries for the JS and KL kernels.

    Fresh multi-megabyte arrays for every tile would be paid for in page
    faults; one set per worker is reused for every tile it computes.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.buffers = [np.empty(size) for _ in range(4)]
        self.masks = [np.empty(size, dtype=bool)]
        self.half = np.full(size, _NEAR)
        self.neg_half: NDArray[np.float64] | None = None

    def views(self, shape: tuple[int, ...], kl: bool = False) -> list[NDArray[Any]]:
        """Buffers viewed with ``shape``: four floats, a mask, the constant
        1/2; for the KL kernel five floats, two masks, 1/2 and -1/2."""
        if kl and self.neg_half is None:
            self.buffers.append(np.empty(self.size))
            self.masks.append(np.empty(self.size, dtype=bool))
            self.neg_half = np.full(self.size, -_NEAR)
        n = math.prod(shape)
        arrays: tuple[NDArray[Any], ...]
        if kl and self.neg_half is not None:  # set above
            arrays = (*self.buffers[:5], *self.masks[:2], self.half, self.neg_half)
        else:
            arrays = (*self.buffers[:4], self.masks[0], self.half)
        return [a[:n].reshape(shape) for a in arrays]


def _kl_sum(
    p: NDArray[np.float64],
    q: NDArray[np.float64],
    logp: NDArray[np.float64],
    logq: NDArray[np.float64],
    scratch: _Scratch | None = None,
    axis: int = -1,
) -> NDArray[np.float64]:
    r"""Sum over bins (``axis``) of :math:`p \log(p/q) - p + q`, finite parts only.

    With unit sums this is the KL divergence, and every term is >= 0 (the
    inequality :math:`\log t \le t - 1` bin by bin), so the sum cannot come
    out negative through rounding and no cancellation between bins occurs:
    no clamping is needed.  Within a bin, with :math:`s = p + q` and
    :math:`u = (p - q)/s`, two forms are blended with an exact 0/1 weight:

    * near (:math:`|u| \le 1/2`): :math:`s\,[u\,\mathrm{atanh}(u) +
      (\mathrm{atanh}(u) - u)]`; the first part is >= 0 and the second, odd
      part is smaller by a factor :math:`|u|/3`, so nothing cancels; below
      :math:`|u| = 0.1` the difference :math:`\mathrm{atanh}(u) - u` comes
      from its series :math:`u^3 \sum_k u^{2k}/(2k+3)` because the
      subtraction would lose :math:`\log_{10}(3/u^2)` digits;
    * far: the direct form with ``logp - logq`` (no ratio to overflow).

    ``p``/``q`` must have zeros replaced by ``_TINY`` and ``logp``/``logq``
    be their logs (all finite).  Bins with :math:`p > 0 = q` then give a
    finite placeholder: the caller sets those results to ``inf``
    (:func:`_support_violated`).
    """
    shape = np.broadcast_shapes(p.shape, q.shape)
    scratch = scratch or _Scratch(math.prod(shape))
    s, u, at, t, series, w_far, w_series, half, neg_half = scratch.views(shape, kl=True)
    with np.errstate(invalid="ignore", over="ignore"):
        np.add(p, q, out=s)
        np.subtract(p, q, out=u)
        np.divide(u, s, out=u)
        np.abs(u, out=t)
        np.greater(t, _NEAR, out=w_far)
        np.less(t, _SERIES, out=w_series)
        np.minimum(u, half, out=u)  # the near form stays finite where it is not used
        np.maximum(u, neg_half, out=u)
        np.arctanh(u, out=at)
        # series: u**3 * sum_k u**(2k) / (2k + 3), Horner in x = u**2
        np.multiply(u, u, out=t)
        series.fill(1.0 / (2 * _SERIES_TERMS + 3))
        for k in range(_SERIES_TERMS - 1, -1, -1):
            series *= t
            series += 1.0 / (2 * k + 3)
        series *= t
        series *= u
        np.subtract(at, u, out=t)  # atanh(u) - u, direct
        series -= t
        series *= w_series
        t += series  # atanh(u) - u, accurate everywhere in [-1/2, 1/2]
        at *= u
        at += t
        at *= s  # near form
        np.subtract(logp, logq, out=t)
        t *= p
        t -= p
        t += q  # far form
        t -= at
        total = at.sum(axis=axis)
        total += np.einsum(_EINSUM[axis], t, w_far)
    return total


def _support_violated(p: NDArray[np.float64], q: NDArray[np.float64]) -> NDArray[np.bool_]:
    """True where some bin has p > 0 = q (the KL and cross-entropy are inf)."""
    return ((p > 0) & (q == 0)).any(axis=-1)


def _js_sum(
    p: NDArray[np.float64],
    q: NDArray[np.float64],
    plogp: NDArray[np.float64],
    qlogq: NDArray[np.float64],
    scratch: _Scratch | None = None,
    axis: int = -1,
) -> NDArray[np.float64]:
    r"""Sum over bins (``axis``) of :math:`\tfrac12[p\log(p/m) + q\log(q/m)]`; see :func:`_js_sum4`."""
    return _js_finish(_js_sum4(p, q, plogp, qlogq, scratch, axis))


def _js_finish(total4: NDArray[np.float64]) -> NDArray[np.float64]:
    # Rounding can only push the sum a few ulps past its bound log 2.
    return np.minimum(total4 * 0.25, _LOG2)


def _js_sum4(
    p: NDArray[np.float64],
    q: NDArray[np.float64],
    plogp: NDArray[np.float64],
    qlogq: NDArray[np.float64],
    scratch: _Scratch | None = None,
    axis: int = -1,
) -> NDArray[np.float64]:
    r"""4 times the sum over bins (``axis``) of :math:`\tfrac12[p\log(p/m) + q\log(q/m)]`,
    :math:`m=(p+q)/2` (:func:`_js_finish` scales and bounds it).

    ``p`` and ``q`` must have their zeros replaced by ``_TINY`` (this keeps
    ``p + q > 0`` and changes no sum or difference with a normal number);
    ``plogp``/``qlogq`` are :math:`x\log x` of the true values.

    With :math:`s = p + q` and :math:`a = |p - q|/s` a bin contributes
    :math:`\tfrac{s}{4} h(a)`, :math:`h(a) = (1+a)\log(1+a) + (1-a)\log(1-a)
    \ge 0`, so the sum is never negative.  Two forms of :math:`4\times` the
    term are blended with an exact 0/1 weight:

    * near (:math:`a \le 1/2`): :math:`s\,[2a\,\mathrm{atanh}(a) +
      \log(1-a^2)]`, whose two parts cancel by at most a factor 2 (the
      textbook form cancels like :math:`1/a` and loses every digit of a
      tiny divergence);
    * far: :math:`2[p\log p + q\log q - s\log(s/2)]`, exact when one side is
      0, where :math:`1 - a` is not representable well enough for the near
      form.
    """
    shape = np.broadcast_shapes(p.shape, q.shape)
    scratch = scratch or _Scratch(math.prod(shape))
    s, a, h, t, far, half = scratch.views(shape)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        np.add(p, q, out=s)
        np.subtract(p, q, out=a)
        np.abs(a, out=a)
        np.divide(a, s, out=a)
        np.greater(a, _NEAR, out=far)
        np.minimum(a, half, out=a)  # keeps the near form finite where it is not used
        np.arctanh(a, out=h)
        h *= a
        h += h
        np.multiply(a, a, out=a)
        np.negative(a, out=a)
        np.log1p(a, out=a)
        h += a
        h *= s  # 4 x near form
        np.log(s, out=t)
        t -= _LOG2
        t *= s
        np.add(plogp, qlogq, out=a)
        a -= t
        a += a  # 4 x far form
        # each bin keeps its own form exactly (adding far - near to near
        # would round: two disjoint vectors came out 1 ulp below log 2)
        np.copyto(h, a, where=far)
        return h.sum(axis=axis)


def _ce_sum(p: NDArray[np.float64], q: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    r"""Sum over bins of :math:`-p \log q`; every term is >= 0, inf where q = 0 < p."""
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(q), 0.0)
    return terms.sum(axis=axis)


def _in_chunks(
    kernel: Callable[..., NDArray[np.float64]],
    arrays: tuple[NDArray[np.float64], ...],
    totals: tuple[NDArray[np.float64], ...],
    batch: tuple[int, ...],
    combine: Callable[[Any], Any] = np.sum,
    per_vector: tuple[NDArray[np.float64], ...] = (),
) -> NDArray[np.float64]:
    """Sums over the bins of a per-bin kernel, evaluated in slices of at most
    ``_TILE_ELEMENTS`` broadcast elements.

    ``arrays`` are checked distributions (bins last, broadcastable batch
    axes) and ``totals`` their vector sums; ``kernel(*slices, scratch=...)``
    gets the slices rescaled to unit sums and returns their sums over the
    bins. Slices run along the batch axes while a batch item has at most
    ``_TILE_ELEMENTS`` broadcast elements, else item by item and, for a
    single vector longer than that, along the bins: the partial sums of a
    vector are then added pairwise (``np.sum``). So the temporaries stay in
    cache and their size is bounded whatever the batch or the number of bins.

    ``combine`` joins those partial results instead of ``np.sum`` (``np.max``
    for a kernel that returns maxima). ``per_vector`` are arrays of the batch
    shape (one number per vector, e.g. a shift computed by an earlier pass);
    the kernel then gets their slices, with a trailing bin axis of length 1,
    as the keyword ``per_vector``.
    """
    bins = arrays[0].shape[-1]
    nd = len(batch) + 1
    arrays = tuple(a.reshape((1,) * (nd - a.ndim) + a.shape) for a in arrays)
    totals = tuple(t.reshape((1,) * (nd - t.ndim) + t.shape) for t in totals)
    out = np.empty(batch)
    if out.size == 0:
        return out
    scratch = _Scratch(min(_TILE_ELEMENTS, out.size * bins))

    def call(index: tuple[Any, ...], bin_slice: slice) -> NDArray[np.float64]:
        """The kernel on ``arrays[index + (..., bin_slice)]``; size-1 (broadcast) axes stay put."""
        parts = []
        for a, t in zip(arrays, totals):
            ix = tuple(
                i if a.shape[k] > 1 else (0 if isinstance(i, int) else slice(None))
                for k, i in enumerate(index)
            )
            parts.append(a[ix + (Ellipsis, bin_slice)] / t[ix])
        if per_vector:
            extra = tuple(np.asarray(np.broadcast_to(v, batch)[index])[..., None] for v in per_vector)
            return kernel(*parts, scratch=scratch, per_vector=extra)
        return kernel(*parts, scratch=scratch)

    def go(index: tuple[Any, ...]) -> None:
        depth = len(index)
        if depth == len(batch):  # one vector: partial sums along the bins
            sums = [call(index, slice(lo, lo + _TILE_ELEMENTS)) for lo in range(0, bins, _TILE_ELEMENTS)]
            out[index] = sums[0] if len(sums) == 1 else combine(sums)
            return
        item = math.prod(batch[depth + 1 :]) * bins
        if item <= _TILE_ELEMENTS:
            step = _TILE_ELEMENTS // item
            for start in range(0, batch[depth], step):
                rows = index + (slice(start, start + step),)
                out[rows] = call(rows, slice(None))
        else:
            for i in range(batch[depth]):
                go(index + (i,))

    go(())
    return out


def _kl_chunk(p: NDArray[np.float64], q: NDArray[np.float64], scratch: _Scratch) -> NDArray[np.float64]:
    pt, qt = np.maximum(p, _TINY), np.maximum(q, _TINY)
    total = _kl_sum(pt, qt, np.log(pt), np.log(qt), scratch)
    return np.where(_support_violated(p, q), np.inf, total)


def _js_chunk(p: NDArray[np.float64], q: NDArray[np.float64], scratch: _Scratch) -> NDArray[np.float64]:
    return _js_sum4(np.maximum(p, _TINY), np.maximum(q, _TINY), _xlogx(p), _xlogx(q), scratch)


def _ce_chunk(p: NDArray[np.float64], q: NDArray[np.float64], scratch: _Scratch) -> NDArray[np.float64]:
    return _ce_sum(p, q)


def _xlogx_chunk(p: NDArray[np.float64], scratch: _Scratch) -> NDArray[np.float64]:
    return _xlogx(p).sum(axis=-1)


def _js_batch(p: ArrayLike, q: ArrayLike, axis: Any, normalize: bool, atol: Any) -> NDArray[np.float64]:
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    return _js_finish(_in_chunks(_js_chunk, arrays, totals, batch))


# -------------------------------------------------------- public functions


def entropy(
    p: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Shannon entropy of probability vectors.

    .. math::

        H(p) = -\sum_i p_i \log_b p_i, \qquad 0 \log 0 = 0 .

    Parameters
    ----------
    p : array_like
        Probabilities along ``axis``; other axes are a batch.
    base : float, optional
        Base :math:`b` of the logarithm: ``None`` for nats (default), ``2`` for
        bits, any positive number other than 1 (a base below 1 flips the
        sign of every result, as :math:`\log_b` does).
    axis : int, default -1
        Axis holding the probabilities.
    normalize : bool, default False
        Rescale each vector to sum to 1 instead of rejecting it.
    atol : float, default ``SUM_ATOL`` (1e-6)
        Accepted deviation of each vector's sum from 1.

    Returns
    -------
    float or ndarray
        :math:`0 \le H(p) \le \log_b n` for :math:`n` bins; a float for a
        single vector, else an array of the batch shape.

    Raises
    ------
    ValueError
        Message starting with ``p``, ``base``, ``axis`` or ``atol`` for
        invalid input (negative, NaN or inf entries, an empty vector, a sum
        other than 1).

    Examples
    --------
    >>> from anadiv.discrete import entropy
    >>> entropy([0.5, 0.25, 0.25], base=2)
    1.5
    >>> entropy([[1, 0], [0.5, 0.5]], base=2).tolist()
    [0.0, 1.0]
    """
    log_base = _log_base(base)
    arr, total = _one(p, axis, normalize, atol)
    # Every term -p log p is >= 0 because p <= 1 after rescaling.
    sums = _in_chunks(_xlogx_chunk, (arr,), (total,), arr.shape[:-1])
    return _finish(0.0 - sums, log_base)  # 0.0 - x: no -0.0


def cross_entropy(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Cross-entropy of ``q`` relative to ``p``.

    .. math::

        H(p, q) = -\sum_i p_i \log_b q_i = H(p) + D(p \,\|\, q),

    with :math:`0 \log q = 0`; ``inf`` when some :math:`p_i > 0 = q_i`.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    base, axis, normalize, atol
        As in :func:`entropy`.

    Returns
    -------
    float or ndarray
        :math:`H(p, q) \ge H(p) \ge 0`.

    Raises
    ------
    ValueError
        Message starting with ``p``, ``q``, ``base``, ``axis`` or ``atol``.

    Examples
    --------
    >>> from anadiv.discrete import cross_entropy
    >>> cross_entropy([0.5, 0.5], [0.25, 0.75], base=2)  # doctest: +ELLIPSIS
    1.207...
    >>> cross_entropy([0.5, 0.5], [1.0, 0.0])
    inf
    """
    log_base = _log_base(base)
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    return _finish(_in_chunks(_ce_chunk, arrays, totals, batch), log_base)


def kl(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Kullback-Leibler divergence :math:`D(p \,\|\, q)` of probability vectors.

    .. math::

        D(p \,\|\, q) = \sum_i p_i \log_b \frac{p_i}{q_i}
                      = \sum_i \Big[p_i \log_b \frac{p_i}{q_i} - p_i + q_i\Big]
                      \Big/ \ln b ,

    the second form (equal because both vectors sum to 1, each term
    :math:`\ge 0`) being the one evaluated, with :math:`0 \log(0/q) = 0`.
    The result is ``inf`` when some :math:`p_i > 0 = q_i` (``p`` is not
    absolutely continuous with respect to ``q``); no warning is emitted.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    base : float, optional
        ``None`` for nats (default), ``2`` for bits, any positive number
        other than 1.
    axis : int, default -1
        Axis holding the probabilities (of the broadcast arrays).
    normalize : bool, default False
        Rescale each vector to sum to 1 instead of rejecting it.
    atol : float, default ``SUM_ATOL`` (1e-6)
        Accepted deviation of each vector's sum from 1.

    Returns
    -------
    float or ndarray
        :math:`D \ge 0`, a float for single vectors, else an array of the
        broadcast batch shape.

    Raises
    ------
    ValueError
        Message starting with the offending argument (``p``, ``q``, ``base``,
        ``axis``, ``atol``): negative, NaN or inf entries, empty vectors, a
        sum other than 1, lengths that differ, batch shapes that do not
        broadcast.

    Examples
    --------
    The seed tutorial's example, in bits and in nats:

    >>> from anadiv.discrete import kl
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> print(f"{kl(p, q, base=2):.3f} bits, {kl(p, q):.3f} nats")
    1.927 bits, 1.336 nats
    >>> print(f"{kl(q, p, base=2):.3f} bits")
    2.022 bits
    >>> kl([0.5, 0.5], [1.0, 0.0])
    inf
    """
    log_base = _log_base(base)
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    return _finish(_in_chunks(_kl_chunk, arrays, totals, batch), log_base)


def js_divergence(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Jensen-Shannon divergence of probability vectors.

    .. math::

        JS(p, q) = \tfrac12 D(p \,\|\, m) + \tfrac12 D(q \,\|\, m),
        \qquad m = \tfrac12 (p + q),

    symmetric, finite, and :math:`0 \le JS \le \log_b 2` (at most 1 bit).
    Each bin's term is evaluated without cancellation, so nearly equal
    vectors get a tiny divergence with full relative precision.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    base, axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As in :func:`kl`.

    Examples
    --------
    >>> from anadiv.discrete import js_divergence
    >>> print(f"{js_divergence([0.10, 0.40, 0.50], [0.80, 0.15, 0.05], base=2):.3f} bits")
    0.420 bits
    >>> js_divergence([1, 0], [0, 1], base=2)
    1.0
    """
    log_base = _log_base(base)
    return _finish(_js_batch(p, q, axis, normalize, atol), log_base)


def js_distance(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Jensen-Shannon distance, the square root of :func:`js_divergence`.

    .. math::

        d_{JS}(p, q) = \sqrt{JS_b(p, q)} ,

    a metric (it satisfies the triangle inequality).  ``base`` must be greater
    than 1 here (below 1 the divergence is negative).  The base applies to the
    divergence under the root: the default (nats) agrees with
    ``scipy.spatial.distance.jensenshannon(p, q)``, and ``base=2`` with
    ``jensenshannon(p, q, base=2)``, which lies in [0, 1].  Unlike scipy,
    vectors are checked instead of silently normalized.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    base, axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As in :func:`kl`.

    Examples
    --------
    >>> from anadiv.discrete import js_distance
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> print(f"{js_distance(p, q, base=2):.3f} (bits under the root), {js_distance(p, q):.3f} (nats)")
    0.648 (bits under the root), 0.540 (nats)
    """
    log_base = _log_base_for_root(base)
    result = np.sqrt(_js_batch(p, q, axis, normalize, atol) / log_base)
    return float(result) if result.ndim == 0 else result


# --------------------------------------------- Hellinger, TV, chi-square, Renyi


def _check_alpha(alpha: Any) -> float:
    """The Renyi order as a float in [0, inf]; ValueError naming ``alpha``."""
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
        raise ValueError(f"alpha: the Renyi order must be a real number >= 0 (inf allowed), got {alpha!r}")
    value = float(alpha)
    if math.isnan(value) or value < 0.0:
        raise ValueError(f"alpha: the Renyi order must be >= 0 (inf allowed), got {alpha!r}")
    return value


def _chunk(func: Callable[..., NDArray[np.float64]], *args: Any) -> Callable[..., NDArray[np.float64]]:
    """An :func:`_in_chunks` kernel from a :mod:`anadiv._discrete_kinds` kernel (bins last)."""

    def kernel(*arrays: NDArray[np.float64], scratch: _Scratch, per_vector: tuple[Any, ...] = ()) -> NDArray[np.float64]:
        return func(*arrays, *args, *per_vector)

    return kernel


def _hellinger2_from(sqdiff: NDArray[np.float64]) -> NDArray[np.float64]:
    """H^2 from the sum of squared root differences (at most 1: rounding only)."""
    return np.minimum(0.5 * sqdiff, 1.0)


def _bhattacharyya_from(h2: NDArray[np.float64], bc: NDArray[np.float64]) -> NDArray[np.float64]:
    """-log BC: from H^2 = 1 - BC while it is below 1/2 (a tiny divergence keeps
    its digits), from BC itself beyond (an H^2 near 1 has lost BC's digits)."""
    with np.errstate(divide="ignore"):
        return np.where(h2 < 0.5, -np.log1p(-np.minimum(h2, 0.5)), -np.log(bc))


Run = Callable[..., NDArray[np.float64]]


def _renyi_from_sum(total: NDArray[np.float64], alpha: float, run: Run) -> NDArray[np.float64]:
    """D_alpha in nats from S = sum p^a q^(1-a) - 1 (:func:`_kinds.renyi_terms_sum`).

    ``run(kernel, combine, *args, per_vector=())`` evaluates another kernel of
    :mod:`anadiv._discrete_kinds` over the same vectors (``combine`` joins
    partial results over slices of the bins).  Such passes run only where
    log1p(S) is not the right tool: for alpha > 1 where S overflowed or
    exceeds 1 (the sum is then taken relative to its largest ratio), for
    alpha < 1 where S < -1/2 (1 + S has lost the digits of a small sum of
    powers, and rounds to 0 for nearly disjoint supports: the sum of powers
    itself is used, in logarithms where it underflows).
    """
    b = alpha - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if b < 0:
            value = np.log1p(np.clip(total, -1.0, 0.0)) / b
            redo = total < -0.5
            if redo.any():
                power = run(_kinds.renyi_power_sum, np.sum, alpha)
                direct = np.log(power) / b
                tiny = power < 1e-290  # an underflowing sum of powers: logarithms
                if (tiny & redo).any():
                    top = run(_kinds.renyi_log_terms_max, np.max, alpha)
                    shift = np.where(np.isfinite(top), top, 0.0)
                    logs = shift + np.log(run(_kinds.renyi_log_shifted_sum, np.sum, alpha, per_vector=(shift,)))
                    direct = np.where(tiny, np.where(np.isfinite(top), logs / b, np.inf), direct)
                value = np.where(redo, direct, value)
            return np.maximum(value, 0.0)
        value = np.log1p(np.maximum(total, 0.0)) / b
        redo = ~np.isfinite(total) | (total > 1.0)
        if redo.any():
            top = run(_kinds.log_ratio_max, np.max)
            shift = np.where(np.isfinite(top), top, 0.0)
            shifted = run(_kinds.renyi_shifted_sum, np.sum, alpha, per_vector=(shift,))
            alt = np.where(np.isinf(top), np.inf, shift + np.log(shifted) / b)
            value = np.where(redo, alt, value)
    return np.asarray(value)


def _renyi_special(alpha: float, run: Run) -> NDArray[np.float64] | None:
    """D_alpha for the limits alpha = 0 and inf (None otherwise); ``run`` as in
    :func:`_renyi_from_sum`."""
    if alpha == 0.0:
        outside = run(_kinds.support_mass_outside, np.sum)
        inside = run(_kinds.support_mass_inside, np.sum)
        with np.errstate(divide="ignore"):
            # -log Q(supp p): log1p keeps a tiny mass outside the support, log the
            # digits of a small mass inside it
            return np.where(outside < 0.5, -np.log1p(-np.minimum(outside, 0.5)), -np.log(inside))
    if math.isinf(alpha):
        return np.maximum(run(_kinds.log_ratio_max, np.max), 0.0)
    return None


def _renyi_batch(p: ArrayLike, q: ArrayLike, alpha: float, axis: Any, normalize: bool, atol: Any) -> NDArray[np.float64]:
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    if alpha == 1.0:
        return _in_chunks(_kl_chunk, arrays, totals, batch)

    def run(
        kernel: Run, combine: Callable[[Any], Any], *args: Any, per_vector: tuple[NDArray[np.float64], ...] = ()
    ) -> NDArray[np.float64]:
        return _in_chunks(_chunk(kernel, *args), arrays, totals, batch, combine=combine, per_vector=per_vector)

    special = _renyi_special(alpha, run)
    if special is not None:
        return special
    return _renyi_from_sum(run(_kinds.renyi_terms_sum, np.sum, alpha), alpha, run)


def _plain(result: NDArray[np.float64]) -> Result:
    return float(result) if result.ndim == 0 else result


def hellinger(
    p: ArrayLike,
    q: ArrayLike,
    *,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Hellinger distance of probability vectors, in [0, 1].

    .. math::

        H(p, q) = \sqrt{\tfrac12 \sum_i \big(\sqrt{p_i} - \sqrt{q_i}\big)^2}
                = \sqrt{1 - BC(p, q)}, \qquad BC = \sum_i \sqrt{p_i q_i} .

    This is the convention with the factor :math:`\tfrac12`, so that
    :math:`H = 0` for equal and :math:`H = 1` for disjoint vectors (some
    texts omit it; their distance is :math:`\sqrt2 H`).  It is a metric, and
    :math:`H^2 \le TV \le \sqrt2\, H`.  It is evaluated from the first form,
    with :math:`\sqrt{p} - \sqrt{q} = (p - q)/(\sqrt p + \sqrt q)`, so no
    digits are lost when ``p`` and ``q`` nearly agree (``1 - BC`` would lose
    them all).  It is not a logarithm: there is no ``base``.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray
        :math:`0 \le H \le 1`.

    Raises
    ------
    ValueError
        Message starting with ``p``, ``q``, ``axis`` or ``atol`` (as in :func:`kl`).

    Examples
    --------
    >>> from anadiv.discrete import hellinger
    >>> print(f"{hellinger([0.10, 0.40, 0.50], [0.80, 0.15, 0.05]):.4f}")
    0.5604
    >>> hellinger([1, 0], [0, 1])
    1.0
    """
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    sqdiff = _in_chunks(_chunk(_kinds.sqrt_diff2_sum), arrays, totals, batch)
    return _plain(np.sqrt(_hellinger2_from(sqdiff)))


def bhattacharyya(
    p: ArrayLike,
    q: ArrayLike,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Bhattacharyya distance of probability vectors.

    .. math::

        D_B(p, q) = -\log_b BC(p, q), \qquad BC = \sum_i \sqrt{p_i q_i}
                  = 1 - H^2(p, q),

    symmetric, :math:`\ge 0`, ``inf`` when the supports are disjoint
    (:math:`BC = 0`); it is :math:`\tfrac12 D_{1/2}` of :func:`renyi`.  While
    :math:`H^2 < 1/2` it is evaluated as :math:`-\log(1 - H^2)` with ``log1p``
    and the cancellation-free Hellinger sum (see :func:`hellinger`), so a
    nearly equal pair keeps its digits; beyond, as :math:`-\log BC`.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    base, axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray

    Raises
    ------
    ValueError
        As in :func:`kl`.

    Examples
    --------
    >>> from anadiv.discrete import bhattacharyya
    >>> print(f"{bhattacharyya([0.10, 0.40, 0.50], [0.80, 0.15, 0.05]):.4f}")
    0.3770
    >>> bhattacharyya([1, 0], [0, 1])
    inf
    """
    log_base = _log_base(base)
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    h2 = _hellinger2_from(_in_chunks(_chunk(_kinds.sqrt_diff2_sum), arrays, totals, batch))
    bc = _in_chunks(_chunk(_kinds.sqrt_product_sum), arrays, totals, batch)
    return _finish(_bhattacharyya_from(h2, bc), log_base)


def total_variation(
    p: ArrayLike,
    q: ArrayLike,
    *,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Total variation distance of probability vectors, in [0, 1].

    .. math::

        TV(p, q) = \tfrac12 \sum_i |p_i - q_i| = \max_A |P(A) - Q(A)| ,

    a metric; Pinsker's inequality bounds it by :math:`\sqrt{D(p\,\|\,q)/2}`
    (KL in nats).  It is not a logarithm: there is no ``base``.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray
        :math:`0 \le TV \le 1`.

    Raises
    ------
    ValueError
        Message starting with ``p``, ``q``, ``axis`` or ``atol`` (as in :func:`kl`).

    Examples
    --------
    >>> from anadiv.discrete import total_variation
    >>> print(f"{total_variation([0.10, 0.40, 0.50], [0.80, 0.15, 0.05]):.2f}")
    0.70
    """
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    total = _in_chunks(_chunk(_kinds.abs_diff_sum), arrays, totals, batch)
    return _plain(np.minimum(0.5 * total, 1.0))


def chi_square(
    p: ArrayLike,
    q: ArrayLike,
    *,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Pearson's chi-square divergence :math:`\chi^2(p \,\|\, q)`.

    .. math::

        \chi^2(p \,\|\, q) = \sum_i \frac{(p_i - q_i)^2}{q_i}
                           = \sum_i \frac{p_i^2}{q_i} - 1 ,

    evaluated from the first form (every term :math:`\ge 0`, no
    cancellation).  A bin with :math:`q_i = 0 < p_i` makes it ``inf``; bins
    where both are 0 contribute 0.  Not symmetric; related to Renyi's by
    :math:`D_2 = \log(1 + \chi^2)`.  It is not a logarithm: there is no
    ``base``.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray
        :math:`\chi^2 \ge 0`.

    Raises
    ------
    ValueError
        Message starting with ``p``, ``q``, ``axis`` or ``atol`` (as in :func:`kl`).

    Examples
    --------
    >>> from anadiv.discrete import chi_square
    >>> chi_square([0.5, 0.5], [0.25, 0.75])
    0.3333333333333333
    >>> chi_square([0.5, 0.5], [1.0, 0.0])
    inf
    """
    arrays, totals, batch = _two(p, q, axis, normalize, atol)
    return _plain(_in_chunks(_chunk(_kinds.chi_square_sum), arrays, totals, batch))


def renyi(
    p: ArrayLike,
    q: ArrayLike,
    alpha: float,
    *,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
) -> Result:
    r"""Renyi divergence of order :math:`\alpha` of probability vectors.

    .. math::

        D_\alpha(p \,\|\, q) = \frac{1}{\alpha - 1}
            \log_b \sum_i p_i^\alpha q_i^{1-\alpha}
            \qquad (0 < \alpha < \infty,\ \alpha \ne 1),

    non-decreasing in :math:`\alpha` and continuous, with the limits

    * :math:`\alpha = 1`: the KL divergence :func:`kl`;
    * :math:`\alpha = \infty`: :math:`\log_b \max_{i: p_i > 0} p_i / q_i`;
    * :math:`\alpha = 0`: :math:`-\log_b Q(\{i: p_i > 0\})`, the mass of
      ``q`` outside the support of ``p`` (0 when the supports agree).

    :math:`\alpha = 1/2` gives twice the Bhattacharyya distance and
    :math:`\alpha = 2` gives :math:`\log(1 + \chi^2)`.  The result is ``inf``
    when the supports say so: for :math:`\alpha \ge 1` when some
    :math:`q_i = 0 < p_i`, for :math:`\alpha < 1` only when the supports are
    disjoint (for :math:`\alpha = 0`, when ``q`` puts no mass on ``p``'s
    support).

    Accuracy: the sum is evaluated as :math:`\log1p(S)/(\alpha - 1)` with
    :math:`S = \sum_i q_i\,[r_i^\alpha - 1 - \alpha (r_i - 1)]`,
    :math:`r = p/q`, a sum of terms of one sign and second order in
    :math:`r - 1`, each from a cancellation-free form (see
    :func:`anadiv._discrete_kinds.renyi_terms_sum`), so nearly equal vectors
    and orders near 1 keep their digits.  Where :math:`\sum_i p_i^\alpha
    q_i^{1-\alpha}` overflows (large :math:`\alpha` and tiny :math:`q_i`)
    the sum is taken relative to its largest ratio, so the divergence stays
    finite.

    Parameters
    ----------
    p, q : array_like
        Probabilities along ``axis``, same length; the other axes broadcast.
    alpha : float
        The order, :math:`0 \le \alpha \le \infty` (``math.inf`` allowed).
    base, axis, normalize, atol
        As in :func:`kl`.

    Returns
    -------
    float or ndarray
        :math:`D_\alpha \ge 0`.

    Raises
    ------
    ValueError
        Message starting with ``alpha`` (not a real number, negative or NaN)
        or, as in :func:`kl`, ``p``, ``q``, ``base``, ``axis``, ``atol``.

    Examples
    --------
    >>> from anadiv.discrete import renyi, kl
    >>> p, q = [0.10, 0.40, 0.50], [0.80, 0.15, 0.05]
    >>> print(f"{renyi(p, q, 0.5):.4f} {renyi(p, q, 1):.4f} {kl(p, q):.4f} {renyi(p, q, 2):.4f}")
    0.7540 1.3357 1.3357 1.8049
    >>> print(f"{renyi(p, q, float('inf'), base=2):.4f} bits")  # log2(0.5 / 0.05)
    3.3219 bits
    >>> renyi([0.5, 0.5], [1.0, 0.0], 0.5)  # supports overlap: finite for alpha < 1
    0.6931471805599453
    """
    a = _check_alpha(alpha)
    log_base = _log_base(base)
    return _finish(_renyi_batch(p, q, a, axis, normalize, atol), log_base)


# ------------------------------------------------------------ pairwise


@dataclass(frozen=True)
class _Prepared:
    """Per-distribution quantities computed once, before the tiles.

    Arrays are (N, bins), or (bins, N) when ``bins_first``.
    """

    probs: NDArray[np.float64]
    extra: tuple[NDArray[np.float64], ...]
    bins_first: bool = False

    def block(self, start: int, size: int, as_rows: bool) -> _Prepared:
        """Distributions start..start+size as tile rows (r, 1, bins) or
        columns (1, c, bins); bins-first: (bins, r, 1) or (bins, 1, c)."""
        sl = slice(start, start + size)
        if self.bins_first:
            index: tuple[Any, ...] = (slice(None), sl, None) if as_rows else (slice(None), None, sl)
        else:
            index = (sl, None) if as_rows else (None, sl)
        return _Prepared(self.probs[index], tuple(e[index] for e in self.extra), self.bins_first)


@dataclass(frozen=True)
class _PairwiseRule:
    """How :func:`pairwise` evaluates one divergence.

    ``prepare`` maps an (N, bins) array of checked distributions to what the
    tile kernel needs; ``tile`` gets a block of rows and one of columns (see
    :meth:`_Prepared.block`) and returns the (r, c) block in nats;
    ``finish`` converts the whole matrix (in place) to the requested base.
    ``in_base`` is False for the divergences that are not logarithms
    (Hellinger, total variation, chi-square), which refuse a ``base``.
    """

    prepare: Callable[[NDArray[np.float64]], tuple[NDArray[np.float64], ...]]
    tile: Callable[[_Prepared, _Prepared, _Scratch], NDArray[np.float64]]
    symmetric: bool
    finish: Callable[[NDArray[np.float64], float], NDArray[np.float64]]
    builtin: bool = True
    in_base: bool = True


def _bins_axis(block: _Prepared) -> int:
    return 0 if block.bins_first else -1


def _prepare_js(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    return np.maximum(x, _TINY), _xlogx(x)


def _tile_js(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    return _js_sum(rows.probs, cols.probs, rows.extra[0], cols.extra[0], scratch, _bins_axis(rows))


def _prepare_kl(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    xt = np.maximum(x, _TINY)
    # 1.0 where a bin is positive / zero: the matrix product of a row's
    # positives with a column's zeros counts the pair's support violations.
    return xt, np.log(xt), (x > 0).astype(np.float64), (x == 0).astype(np.float64)


def _tile_kl(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    axis = _bins_axis(rows)
    total = _kl_sum(rows.probs, cols.probs, rows.extra[0], cols.extra[0], scratch, axis)
    if rows.bins_first:
        violated = rows.extra[1][:, :, 0].T @ cols.extra[2][:, 0, :]
    else:
        violated = rows.extra[1][:, 0, :] @ cols.extra[2][0].T
    total[violated > 0] = np.inf
    return total


def _prepare_plain(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    return (x,)


def _tile_ce(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    return _ce_sum(rows.probs, cols.probs, _bins_axis(rows))


def _in_base(matrix: NDArray[np.float64], log_base: float) -> NDArray[np.float64]:
    if log_base != 1.0:
        matrix /= log_base
    return matrix


def _root_in_base(matrix: NDArray[np.float64], log_base: float) -> NDArray[np.float64]:
    return np.sqrt(_in_base(matrix, log_base), out=matrix)


def _tile_hellinger(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    sqdiff = _kinds.sqrt_diff2_sum(rows.probs, cols.probs, _bins_axis(rows))
    return np.sqrt(_hellinger2_from(sqdiff))


def _tile_bhattacharyya(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    axis = _bins_axis(rows)
    h2 = _hellinger2_from(_kinds.sqrt_diff2_sum(rows.probs, cols.probs, axis))
    return _bhattacharyya_from(h2, _kinds.sqrt_product_sum(rows.probs, cols.probs, axis))


def _tile_total_variation(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    return np.minimum(0.5 * _kinds.abs_diff_sum(rows.probs, cols.probs, _bins_axis(rows)), 1.0)


def _tile_chi_square(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
    return _kinds.chi_square_sum(rows.probs, cols.probs, _bins_axis(rows))


def _unchanged(matrix: NDArray[np.float64], log_base: float) -> NDArray[np.float64]:
    return matrix


def _renyi_rule(alpha: float) -> _PairwiseRule:
    """The pairwise rule of the Renyi divergence of order ``alpha`` (checked)."""
    if alpha == 1.0:
        return _RULES["kl"]

    def tile(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
        axis = _bins_axis(rows)

        def run(
            kernel: Run, combine: Callable[[Any], Any], *args: Any, per_vector: tuple[NDArray[np.float64], ...] = ()
        ) -> NDArray[np.float64]:
            # all bins of the tile at once: nothing to combine
            extra = tuple(np.expand_dims(v, axis) for v in per_vector)
            return kernel(rows.probs, cols.probs, *args, *extra, axis=axis)

        special = _renyi_special(alpha, run)
        if special is not None:
            return special
        return _renyi_from_sum(run(_kinds.renyi_terms_sum, np.sum, alpha), alpha, run)

    return _PairwiseRule(_prepare_plain, tile, False, _in_base)


_RULES: dict[str, _PairwiseRule] = {
    "kl": _PairwiseRule(_prepare_kl, _tile_kl, False, _in_base),
    "js_divergence": _PairwiseRule(_prepare_js, _tile_js, True, _in_base),
    "js_distance": _PairwiseRule(_prepare_js, _tile_js, True, _root_in_base),
    "cross_entropy": _PairwiseRule(_prepare_plain, _tile_ce, False, _in_base),
    "hellinger": _PairwiseRule(_prepare_plain, _tile_hellinger, True, _unchanged, in_base=False),
    "bhattacharyya": _PairwiseRule(_prepare_plain, _tile_bhattacharyya, True, _in_base),
    "total_variation": _PairwiseRule(_prepare_plain, _tile_total_variation, True, _unchanged, in_base=False),
    "chi_square": _PairwiseRule(_prepare_plain, _tile_chi_square, False, _unchanged, in_base=False),
}
# Built by _renyi_rule for each order; the name is listed for error messages.
_PARAMETRIZED = ("renyi",)
_BY_FUNCTION: dict[Callable[..., Any], str] = {
    kl: "kl",
    js_divergence: "js_divergence",
    js_distance: "js_distance",
    cross_entropy: "cross_entropy",
    hellinger: "hellinger",
    bhattacharyya: "bhattacharyya",
    total_variation: "total_variation",
    chi_square: "chi_square",
    renyi: "renyi",
}


def _custom_rule(func: Callable[..., Any], base: float | None) -> _PairwiseRule:
    """Tiles for a user callable, called on broadcastable blocks."""
    kwargs = {} if base is None else {"base": base}

    def tile(rows: _Prepared, cols: _Prepared, scratch: _Scratch) -> NDArray[np.float64]:
        block = np.asarray(func(rows.probs, cols.probs, **kwargs), dtype=np.float64)
        expected = (rows.probs.shape[0], cols.probs.shape[1])
        if block.shape != expected:
            raise ValueError(
                f"divergence: {getattr(func, '__name__', func)!r} returned shape {block.shape} "
                f"for blocks of shapes {rows.probs.shape} and {cols.probs.shape}; it must "
                f"broadcast and reduce the last axis, giving {expected}"
            )
        return block

    return _PairwiseRule(_prepare_plain, tile, False, lambda m, lb: m, builtin=False)


def _rule_for(divergence: Any, base: float | None, alpha: Any = None) -> _PairwiseRule:
    name = None
    if isinstance(divergence, str):
        if divergence == "entropy":
            raise ValueError("divergence: entropy takes one distribution, it has no pairwise matrix")
        if divergence not in _RULES and divergence not in _PARAMETRIZED:
            raise ValueError(
                f"divergence: unknown name {divergence!r}; choose one of "
                f"{sorted([*_RULES, *_PARAMETRIZED])} or pass a callable"
            )
        name = divergence
    elif divergence is entropy:
        raise ValueError("divergence: entropy takes one distribution, it has no pairwise matrix")
    elif not callable(divergence):
        raise ValueError(f"divergence: must be a name or a callable, got {divergence!r}")
    else:
        name = _BY_FUNCTION.get(divergence)
    if name == "renyi":
        if alpha is None:
            raise ValueError("alpha: the Renyi divergence needs its order, e.g. pairwise('renyi', dists, alpha=2)")
        return _renyi_rule(_check_alpha(alpha))
    if alpha is not None:
        raise ValueError(f"alpha: only the Renyi divergence takes an order, not {getattr(divergence, '__name__', divergence)!r}")
    if name is not None:
        return _RULES[name]
    return _custom_rule(divergence, base)


def _pairwise_set(
    value: ArrayLike, name: str, axis: Any, normalize: bool, atol: float, labels_of: Any = None
) -> NDArray[np.float64]:
    """A checked (N, bins) set of distributions; with ``labels_of`` (the first
    set), labelled bins are put in that set's label order."""
    arr = _as_array(value, name)
    if arr.ndim != 2:
        raise ValueError(
            f"{name}: must be 2-D (distributions x probabilities), got shape {arr.shape}"
        )
    ax = _resolve_axis(axis, 2)
    if labels_of is not None:
        arr = _align(labels_of, value, arr, name, "dists", axes=[ax])
    out = _distributions(arr, name, ax, axis, normalize, atol)
    if out.shape[0] == 0:
        raise ValueError(f"{name}: holds no distributions")
    return np.ascontiguousarray(out)


def pairwise(
    divergence: str | Callable[..., Any],
    dists: ArrayLike,
    *,
    q: ArrayLike | None = None,
    alpha: float | None = None,
    base: float | None = None,
    axis: int = -1,
    normalize: bool = False,
    atol: float = SUM_ATOL,
    chunk_size: int | None = None,
    workers: int | None = None,
    chunks: int | None = None,
) -> NDArray[np.float64] | Any:
    r"""Matrix of a divergence between every pair of distributions.

    .. math::

        M_{ij} = \mathrm{div}(p_i, p_j) \quad\text{or, with } q,\quad
        M_{ij} = \mathrm{div}(p_i, q_j) .

    The matrix is computed by tiles of ``chunk_size`` x ``chunk_size`` pairs
    with array operations over all bins of a tile at once, using the same
    per-bin formulas as the single-pair functions.  Memory beyond the result
    is bounded: about six temporaries (twenty for ``"renyi"``) of ``chunk_size**2 * bins`` doubles
    per worker (1 MB each by default), whatever the number of distributions.
    For symmetric divergences (Jensen-Shannon, Hellinger, Bhattacharyya,
    total variation) without ``q`` only the upper triangle of tiles is
    computed and mirrored, so the result is exactly symmetric with an exact
    zero diagonal.

    Parameters
    ----------
    divergence : str or callable
        ``"kl"``, ``"js_divergence"``, ``"js_distance"``, ``"cross_entropy"``,
        ``"hellinger"``, ``"bhattacharyya"``, ``"total_variation"``,
        ``"chi_square"``, ``"renyi"`` (with ``alpha=``) or the function of
        that name from this module.  Any other callable
        is called as ``divergence(rows, cols)`` (plus ``base=`` if given) on
        blocks of shapes (r, 1, bins) and (1, c, bins) and must return the
        (r, c) values, reducing the last axis.
    dists : array_like, shape (N, bins)
        The distributions (``axis`` says which axis holds the probabilities).
    q : array_like, shape (M, bins), optional
        Second set; the result is then N x M.
    alpha : float, optional
        The order of the Renyi divergence, required with ``"renyi"`` (as in
        :func:`renyi`) and refused with any other divergence.
    base, axis, normalize, atol
        As in :func:`kl`; the Hellinger, total-variation and chi-square
        matrices take no ``base``.
    chunk_size : int, optional
        Distributions per tile side (at most the number of distributions).  Default: about :math:`\sqrt{2^{17}/\mathrm{bins}}`
        (22 for 256 bins, 181 for 4 bins).
    workers : int, optional
        Threads computing tiles (numpy releases the GIL inside its loops),
        taken from anadiv's shared pool. Default:
        :func:`anadiv.get_num_threads` (``ANADIV_NUM_THREADS`` or the CPUs
        available); 1 computes in the calling thread. Refused for a lazy
        result, whose tasks Dask's scheduler runs.
    chunks : int, optional
        Distributions per block of a lazy result: the matrix is returned as
        a Dask array of blocks ``chunks x chunks``, computed only when asked
        (see :mod:`anadiv.pairwise_dask`), for matrices too large to hold.
        Implied when ``dists`` or ``q`` is a Dask array (then its blocks are
        used unless ``chunks`` is given).

    Returns
    -------
    ndarray, shape (N, N) or (N, M)
        A ``dask.array.Array`` of that shape when the result is lazy.

    Raises
    ------
    ValueError
        Message starting with ``divergence``, ``dists``, ``q``, ``alpha``,
        ``base``, ``axis``, ``atol``, ``chunk_size``, ``workers`` or ``chunks``.
        For a lazy result the checks of the probabilities run when it is
        computed.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv.discrete import pairwise
    >>> dists = [[0.10, 0.40, 0.50], [0.80, 0.15, 0.05], [1/3, 1/3, 1/3]]
    >>> np.round(pairwise("js_distance", dists, base=2), 3)
    array([[0.   , 0.648, 0.249],
           [0.648, 0.   , 0.426],
           [0.249, 0.426, 0.   ]])
    >>> np.round(pairwise("kl", dists, base=2), 3)[0, 1]
    np.float64(1.927)
    >>> np.round(pairwise("renyi", dists, alpha=2), 3)[0, 1]
    np.float64(1.805)
    """
    rule = _rule_for(divergence, base, alpha)
    if not rule.in_base and base is not None:
        raise ValueError(
            f"base: {getattr(divergence, '__name__', divergence)} is not a logarithm and takes no base; got {base!r}"
        )
    log_base = _log_base_for_root(base) if rule is _RULES["js_distance"] else _log_base(base)
    atol = _check_atol(atol)
    chunk_size, workers, chunks = (_positive_int(v, name) for v, name in
                                   ((chunk_size, "chunk_size"), (workers, "workers"), (chunks, "chunks")))
    if chunks is not None or is_dask(dists) or is_dask(q):
        return _lazy(divergence, dists, q, rule, alpha, base, axis, normalize, atol, chunk_size, workers, chunks)
    x = _pairwise_set(dists, "dists", axis, normalize, atol)
    if q is None:
        y = x
    else:
        y = _pairwise_set(q, "q", axis, normalize, atol, labels_of=dists)
        if y.shape[1] != x.shape[1]:
            raise ValueError(f"q: has {y.shape[1]} probabilities per distribution but dists has {x.shape[1]}")
    n, bins = x.shape
    m = y.shape[0]
    chunk = max(1, math.isqrt(_TILE_ELEMENTS // bins)) if chunk_size is None else chunk_size
    chunk = min(chunk, max(n, m))  # a larger tile side only sizes the scratch buffers larger
    n_workers = get_num_threads() if workers is None else workers

    bins_first = rule.builtin and bins < _BINS_FIRST_BELOW

    def prepared(z: NDArray[np.float64]) -> _Prepared:
        arrays = rule.prepare(z)
        if bins_first:
            arrays = tuple(np.ascontiguousarray(a.T) for a in arrays)
        return _Prepared(arrays[0], arrays[1:], bins_first)

    rows_prep = prepared(x)
    cols_prep = rows_prep if q is None else prepared(y)
    symmetric = rule.symmetric and q is None
    result = np.empty((n, m))
    tiles = [
        (i, j)
        for i in range(0, n, chunk)
        for j in range(0, m, chunk)
        if not symmetric or j >= i
    ]

    def make_work() -> Callable[[int, int], None]:
        scratch = _Scratch(min(chunk, n) * min(chunk, m) * bins)  # one per thread, reused by its tiles

        def work(lo: int, hi: int) -> None:
            for i, j in tiles[lo:hi]:
                values = rule.tile(
                    rows_prep.block(i, chunk, as_rows=True), cols_prep.block(j, chunk, as_rows=False), scratch
                )
                result[i : i + chunk, j : j + chunk] = values
                if symmetric and j > i:
                    result[j : j + chunk, i : i + chunk] = values.T

        return work

    # the tiles are handed out one at a time on the shared pool (anadiv.set_num_threads
    # and ANADIV_NUM_THREADS govern it; Ctrl-C stops it after the tiles under way)
    run_chunks(make_work, len(tiles), 1, threads=n_workers)
    return rule.finish(result, log_base)


def _positive_int(value: Any, name: str) -> int | None:
    """``value`` as an int when it is a positive integer, None when None; ValueError naming ``name`` otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name}: must be a positive integer, got {value!r}")
    return int(value)


def _lazy(
    divergence: Any, dists: Any, q: Any, rule: _PairwiseRule, alpha: Any, base: Any, axis: Any,
    normalize: bool, atol: float, chunk_size: int | None, workers: int | None, chunks: int | None,
) -> Any:
    """:func:`pairwise` as a lazy Dask array (:mod:`anadiv.pairwise_dask`); the options are checked by the caller."""
    if workers is not None:
        raise ValueError(
            f"workers: a lazy (Dask) matrix is computed by Dask's scheduler, which sets the workers; got {workers!r}"
        )
    ax = _resolve_axis(axis, 2)
    if not is_dask(dists) and not is_dask(q):
        # in memory: checked and aligned (pandas labels) now, split into blocks after
        dists_in = dists
        dists = _pairwise_set(dists, "dists", ax, normalize, atol)
        q = None if q is None else _pairwise_set(q, "q", ax, normalize, atol, labels_of=dists_in)
        ax = -1
    options = {"alpha": alpha, "base": base, "normalize": normalize, "atol": atol, "chunk_size": chunk_size}
    block = functools.partial(_pairwise_block, divergence, options)
    return lazy_pairwise(block, dists, q=q, symmetric=rule.symmetric, axis=ax, chunks=chunks)


def _pairwise_block(
    divergence: Any, options: dict[str, Any], rows: NDArray[np.float64], cols: NDArray[np.float64] | None, cols_name: str
) -> NDArray[np.float64]:
    """One block of a lazy :func:`pairwise`: ``rows`` against ``cols`` (None: against themselves), in memory."""
    normalize, atol = options["normalize"], options["atol"]
    kwargs = {k: v for k, v in options.items() if k not in ("normalize", "atol")}
    x = _pairwise_set(rows, "dists", -1, normalize, atol)
    if cols is None:
        return pairwise(divergence, x, workers=1, **kwargs)
    y = _pairwise_set(cols, cols_name, -1, normalize, atol)
    return pairwise(divergence, x, q=y, workers=1, **kwargs)
