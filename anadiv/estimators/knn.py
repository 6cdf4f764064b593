r"""k-nearest-neighbour estimators of entropy and KL from samples.

Three estimators, one machinery:

* :func:`entropy_knn`: the Kozachenko-Leonenko entropy of a sample,
* :func:`kl_knn`: the two-sample KL of Wang, Kulkarni & Verdu (2009) and
  Perez-Cruz (2008),
* :func:`kl_knn_density`: samples from P against a density Q that anadiv can
  evaluate, :math:`\mathrm{KL}(P\|Q) = -H(P) - E_P[\log q]`, with the entropy
  from the neighbours and the cross-entropy as a sample mean.

The density at a sample point is read from the distance to its k-th nearest
neighbour: the mass of the ball of that radius has a Beta law whose log has
mean :math:`\psi(k) - \psi(n)`, which gives the digamma constants below. The
estimators are consistent for any fixed k, and asymptotically unbiased, but
biased at finite n (most in high dimension: see the measured tables in the
docs); a negative KL estimate can happen and is returned as is, with
:attr:`~anadiv.estimators.result.Estimate.warning` saying why.

Ties (rounded data) follow one rule, no random jitter: a point's rank is
raised past its exact duplicates, ``k_i = max(k, z_i + 1)`` for ``z_i`` other
points at distance 0, and the digamma term uses ``k_i`` (the estimator of
Wang, Kulkarni & Verdu with point-dependent ``k_i``, ``l_i``). The estimate is
finite and reproducible for any data with enough distinct points.

The standard error is the exact delete-one jackknife, computed from one extra
neighbour per point (deleting a point only moves the k-th neighbour of the
points that had it among their first k to their (k+1)-th); for two samples the
variances of the two one-sample jackknifes add. The bootstrap is not used:
resampling with replacement duplicates points, which a neighbour estimator
sees as ties at distance 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import digamma, gammaln

from ..numeric.validation import check_count
from .neighbours import NeighbourIndex
from .result import Estimate
from .samples import as_samples, check_same_dim, is_dask

__all__ = ["DEFAULT_K", "default_k", "entropy_knn", "kl_knn", "kl_knn_density", "kl_density_knn"]

#: The neighbour rank used when none is given, by dimension: the rank of smallest root-mean-square error of
#: the two-sample KL measured at n = 2000 on Gaussian pairs (benchmarks/knn_study.py, docs/data.md): the
#: variance falls with k, the bias grows with k and with the dimension.
DEFAULT_K = {1: 5, 2: 3, 3: 3, 4: 3}
#: ... and for five dimensions or more.
DEFAULT_K_HIGH = 1


def default_k(d: int) -> int:
    """The default neighbour rank in ``d`` dimensions (:data:`DEFAULT_K`).

    Examples
    --------
    >>> default_k(1), default_k(2), default_k(10)
    (5, 3, 1)
    """
    return DEFAULT_K.get(d, DEFAULT_K_HIGH)

_NEGATIVE = ("the k-nearest-neighbour KL estimate is negative: the KL itself is >= 0, but the estimator is only "
             "asymptotically unbiased, and a small divergence is estimated with a spread of about its "
             "standard error (and a bias that grows with the dimension)")


def _log_ball_volume(d: int) -> float:
    """log of the volume of the Euclidean unit ball in d dimensions."""
    return 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))


@dataclass
class _Groups:
    """Distinct points with their multiplicities (identity when there are no duplicates)."""

    points: np.ndarray  # (u, d)
    counts: np.ndarray  # (u,) int64
    index: NeighbourIndex | None  # None for points that are only queries, never searched

    @classmethod
    def of(cls, x: np.ndarray, workers: Any) -> "_Groups":
        # + 0.0 turns -0.0 into 0.0: np.unique compares rows by their bytes
        uniq, counts = np.unique(x + 0.0, axis=0, return_counts=True)
        return cls(uniq, counts.astype(np.int64), NeighbourIndex(uniq, workers=workers))

    @classmethod
    def plain(cls, x: np.ndarray, index: NeighbourIndex | None) -> "_Groups":
        return cls(x, np.ones(len(x), dtype=np.int64), index)


@dataclass
class _Ranked:
    """Per query group: ``e = d log(R) - psi(k_i)`` and the jackknife changes of ``sum_i c_i e_i``."""

    e: np.ndarray  # (u,)
    # change of sum_i c_i e_i when one point of each reference group is deleted
    # (the deleted point's own term excluded: the caller removes it)
    delta: np.ndarray  # (groups of the reference,)


def _untied(dist: np.ndarray, k: int, tol: float) -> bool:
    """True when no row has a tie (within ``tol``) around its k-th distance, nor a zero there.

    ``dist`` holds the first k + 1 distances: the k-th must be positive and
    differ from the (k-1)-th and the (k+1)-th. (A tie of the (k+1)-th with the
    (k+2)-th alone, a null event for continuous data, would change the jackknife
    of that row by a half rank; data with ties anywhere near rank k takes the
    exact path.)
    """
    cols = dist[:, max(k - 2, 0):k + 1]
    return bool(cols[:, -2].min() > tol) and bool((np.diff(cols, axis=1) > tol).all())


def _fast(dist: np.ndarray, ids: np.ndarray, groups: int, k: int, d: int, weights: np.ndarray | None = None) -> _Ranked:
    """Continuous data: rank k exactly, and a deletion within the first k moves it to the (k+1)-th."""
    log_rho = np.log(dist[:, k - 1])
    shift = d * (np.log(dist[:, k]) - log_rho)
    if weights is not None:
        shift = shift * weights
    delta = np.bincount(ids[:, :k].ravel(), weights=np.repeat(shift, k), minlength=groups)
    return _Ranked(d * log_rho - digamma(k), delta)


def _streamed(index: NeighbourIndex, queries: np.ndarray, k: int, d: int, tol: float, exclude_self: bool,
              weights: np.ndarray | None = None) -> _Ranked | None:
    """The untied fast path over blocks of queries (memory bounded by the block); None at the first tie."""
    e = np.empty(len(queries))
    delta = np.zeros(index.n)
    for start, dist, ids in index.chunks(queries, k + 1, exclude_self=exclude_self):
        if not _untied(dist, k, tol):
            return None
        stop = start + len(dist)
        block = _fast(dist, ids, index.n, k, d, None if weights is None else weights[start:stop])
        e[start:stop] = block.e
        delta += block.delta
    return _Ranked(e, delta)


def _rule(dist: np.ndarray, counts: np.ndarray, k: int, d: int, tol: float) -> np.ndarray:
    """``e = d log R - psi(k_i)`` from sorted neighbour lists with multiplicities (the tie rule).

    ``R`` is the k-th distance, or the first positive one when that is 0;
    ``k_i`` is the mid-rank of the points at distance ``R``: those closer,
    plus the mean rank ``(t + 1)/2`` of the ``t`` at exactly ``R``. Distances
    within ``tol`` of each other are ties (rounded decimals are not exactly
    equidistant in binary: 0.3 - 0.2 != 0.4 - 0.3), within ``tol`` of 0 duplicates.
    """
    rows = np.arange(len(dist))
    cum = np.cumsum(counts, axis=1)
    rho_k = dist[rows, np.argmax(cum >= k, axis=1)]
    first_pos = dist[rows, np.argmax((dist > tol) & (counts > 0), axis=1)]
    radius = np.where(rho_k > tol, rho_k, first_pos)
    below = np.sum(counts * (dist < radius[:, None] - tol), axis=1)
    at = np.sum(counts * (np.abs(dist - radius[:, None]) <= tol), axis=1)
    return d * np.log(radius) - digamma(below + 0.5 * (at + 1))


def _complete(dist: np.ndarray, counts: np.ndarray, k: int, exhaustive: bool, tol: float) -> np.ndarray:
    """Rows whose list holds every point any one deletion can bring into play.

    A deletion moves the k-th distance at most to the (k+1)-th, and the first
    positive distance (rank ``z + 1`` after ``z`` zeros) at most to rank
    ``z + 2``: the list must hold every point up to the larger of the two, ties
    included (its last distance beyond it).
    """
    if exhaustive:
        return np.ones(len(dist), dtype=bool)
    cum = np.cumsum(counts, axis=1)
    need = np.maximum(k + 1, counts[:, 0] + 2)
    reaches = cum[:, -1] >= need
    reach = dist[np.arange(len(dist)), np.argmax(cum >= need[:, None], axis=1)]
    return reaches & (dist[:, -1] > reach + tol)


def _tied(ref: "_Groups", queries: np.ndarray, qcounts: np.ndarray, zero_self: bool, k: int, d: int,
          name: str, tol: float) -> _Ranked:
    """Ties: lists of distinct reference points with multiplicities, each deletion re-ranked exactly."""
    index = ref.index
    assert index is not None  # a reference is always searched
    u, groups = len(queries), len(ref.counts)
    e = np.empty(u)
    delta = np.zeros(groups)
    pending = np.arange(u)
    width = k + 3
    while len(pending):
        avail = groups - 1 if zero_self else groups
        kq = min(width, avail)
        if zero_self:
            # a subset of the rows: their own groups are excluded by index, not by position
            dist, ids = index.query(queries[pending], kq + 1)
            own = ids == pending[:, None]
            drop = np.where(own.any(axis=1), np.argmax(own, axis=1), kq)
            keep = np.ones(dist.shape, dtype=bool)
            keep[np.arange(len(pending)), drop] = False
            dist, ids = dist[keep].reshape(len(pending), kq), ids[keep].reshape(len(pending), kq)
            zero_d = np.zeros(len(pending))
            zero_id = pending
            zero_c = ref.counts[pending] - 1
            weight_zero = qcounts[pending] - 1  # the other copies of the deleted point's own group
        else:
            dist, ids = index.query(queries[pending], kq)
            is_zero = dist[:, 0] == 0.0
            zero_d = np.zeros(len(pending))
            zero_id = np.where(is_zero, ids[:, 0], -1)
            zero_c = np.where(is_zero, ref.counts[ids[:, 0]], 0)
            weight_zero = qcounts[pending]
            # drop the zero column (or the last, keeping the shape)
            keep = np.ones(dist.shape, dtype=bool)
            keep[np.arange(len(pending)), np.where(is_zero, 0, kq - 1)] = False
            dist = dist[keep].reshape(len(pending), kq - 1)
            ids = ids[keep].reshape(len(pending), kq - 1)
        D = np.column_stack([zero_d, dist])
        C = np.column_stack([zero_c, ref.counts[ids]])
        done = _complete(D, C, k, kq == avail, tol)
        if not done.any() and kq == avail:
            raise ValueError(f"{name}: too few distinct points for k = {k}")
        if not (np.cumsum(C[done], axis=1)[:, -1] >= k + 1).all():
            raise ValueError(f"{name}: too few distinct points for k = {k} (each point needs k + 1 others)")
        first_pos = D[done][np.arange(done.sum()), np.argmax((D[done] > tol) & (C[done] > 0), axis=1)]
        if not (first_pos > tol).all():
            raise ValueError(f"{name}: all points of a sample coincide, or distinct points are closer than "
                             "float64 can resolve")
        Dd, Cd, rows = D[done], C[done], pending[done]
        ed = _rule(Dd, Cd, k, d, tol)
        e[rows] = ed
        ids_d = np.column_stack([zero_id[done], ids[done]])
        weights = np.column_stack([weight_zero[done], np.repeat(qcounts[rows][:, None], ids.shape[1], axis=1)])
        for j in range(Dd.shape[1]):
            has = Cd[:, j] > 0
            if not has.any():
                continue
            Cj = Cd.copy()
            Cj[:, j] -= 1
            change = (_rule(Dd, Cj, k, d, tol) - ed) * weights[:, j]
            sel = has & (ids_d[:, j] >= 0) & (change != 0)
            delta += np.bincount(ids_d[sel, j], weights=change[sel], minlength=groups)
        pending = pending[~done]
        width *= 2
    return _Ranked(e, delta)


def _self_ranked(x: np.ndarray, k: int, workers: Any, name: str, tol: float) -> tuple["_Groups", _Ranked]:
    """Each point against the rest of its own sample."""
    d = x.shape[1]
    index = NeighbourIndex(x, workers=workers)
    ranked = _streamed(index, x, k, d, tol, True)
    if ranked is not None:
        return _Groups.plain(x, index), ranked
    groups = _Groups.of(x, workers)
    if len(groups.points) < 2:
        raise ValueError(f"{name}: all samples are identical; no neighbour estimate exists")
    return groups, _tied(groups, groups.points, groups.counts, True, k, d, name, tol)


def _cross_ranked(queries: "_Groups", y: np.ndarray, k: int, workers: Any, name: str,
                  tol: float) -> tuple["_Groups", _Ranked]:
    """Each (distinct) point of x against the sample y."""
    d = y.shape[1]
    index = NeighbourIndex(y, workers=workers)
    plain = bool((queries.counts == 1).all())
    ranked = _streamed(index, queries.points, k, d, tol, False, None if plain else queries.counts)
    if ranked is not None:
        return _Groups.plain(y, index), ranked
    ref = _Groups.of(y, workers)
    return ref, _tied(ref, queries.points, queries.counts, False, k, d, name, tol)


def _jackknife_var(theta: np.ndarray, counts: np.ndarray) -> float:
    """Delete-one jackknife variance from the leave-one-out values of each group (weights: its size)."""
    n = counts.sum()
    mean = float(np.dot(counts, theta) / n)
    return float((n - 1) / n * np.dot(counts, (theta - mean) ** 2))


def _scaled(*samples: np.ndarray) -> tuple[list[np.ndarray], int, float]:
    """The samples times one power of two (exact), so squared distances neither overflow nor underflow,
    and the tolerance of a tie: the rounding of a distance between coordinates of that size."""
    top = max(float(np.abs(s).max()) for s in samples)
    e = 0
    if top != 0.0 and not 1e-100 < top < 1e100:
        e = -math.frexp(top)[1]
        samples = tuple(np.ldexp(s, e) for s in samples)
        top = math.ldexp(top, e)
    d = samples[0].shape[1]
    # decimals are off by up to an ulp each in binary: a few ulps of the largest coordinate
    return list(samples), e, 4.0 * float(np.finfo(np.float64).eps) * top * math.sqrt(d)


def _check_k(k: Any, n: int, name: str, d: int) -> int:
    k = default_k(d) if k is None else check_count(k, "k", 1)
    if k + 1 >= n:
        raise ValueError(f"k: must be at most n - 2 = {n - 2} for {n} points in {name}, got {k}")
    return k


#: From this dimension on, the measured bias outgrows the standard error at moderate n (docs/data.md).
BIAS_DIMENSION = 5


def _finish(value: float, var: float, n: int, negative_possible: bool, d: int) -> Estimate:
    stderr = math.sqrt(max(var, 0.0))
    notes = []
    if negative_possible and value < 0:
        notes.append(_NEGATIVE)
    if d >= BIAS_DIMENSION:
        notes.append(f"in {d} dimensions the k-nearest-neighbour estimate has a bias that its interval does "
                     "not include, larger than the standard error from about n = 10,000 on (measured on "
                     "Gaussian pairs: docs/data.md, 'Bias by dimension')")
    return Estimate(value, stderr, n, "knn", warning="; ".join(notes))


def entropy_knn(x: Any, *, k: int | None = None, workers: int | None = None) -> Estimate:
    r"""Differential entropy of a sample, by k-nearest neighbours (Kozachenko-Leonenko).

    .. math::

        \hat H = \psi(n) - \frac1n\sum_i \psi(k_i) + \log V_d + \frac dn \sum_i \log \rho_{k_i}(i),

    with :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th nearest
    other point, :math:`V_d` the volume of the unit ball, and
    :math:`k_i = \max(k, z_i + 1)` raised past the :math:`z_i` exact duplicates
    of :math:`x_i` (the tie rule). Kozachenko & Leonenko (1987); the digamma
    form is the bias-corrected one of Kraskov, Stoegbauer & Grassberger (2004).

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P (a dask array is read into memory: the tree needs it).
    k : int, optional
        Neighbour rank (default :func:`default_k` of the dimension).
    workers : int, optional
        Threads for the neighbour search (default: anadiv's thread count).

    Returns
    -------
    Estimate
        In nats, with the delete-one jackknife standard error (``method="knn"``).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal(4000)
    >>> est = entropy_knn(x)
    >>> bool(abs(est.value - 1.4189385) < 4 * est.stderr)  # H(N(0, 1))
    True
    """
    x = _materialised(x, "x")
    n, d = x.shape
    k = _check_k(k, n, "x", d)
    (xs,), e2, tol = _scaled(x)
    groups, ranked = _self_ranked(xs, k, workers, "x", tol)
    c = groups.counts
    base = float(_log_ball_volume(d)) - d * e2 * math.log(2.0)
    s = float(np.dot(c, ranked.e))
    value = float(digamma(n)) + base + s / n
    loo = float(digamma(n - 1)) + base + (s - ranked.e + ranked.delta) / (n - 1)
    return _finish(value, _jackknife_var(loo, c), n, False, d)


def kl_knn(x: Any, y: Any, *, k: int | None = None, workers: int | None = None) -> Estimate:
    r"""KL(P || Q) from a sample ``x`` of P and a sample ``y`` of Q, by k-nearest neighbours.

    .. math::

        \widehat{\mathrm{KL}} = \psi(m + 1) - \psi(n)
            + \frac1n\sum_i \Big[\psi(k_i) - \psi(l_i) + d \log\frac{\nu_{l_i}(i)}{\rho_{k_i}(i)}\Big],

    with :math:`\rho_k(i)` the distance from :math:`x_i` to its k-th nearest
    other point of ``x`` and :math:`\nu_l(i)` to its l-th nearest point of
    ``y`` (``l = k``), the ranks raised past exact ties (module docstring).
    Wang, Kulkarni & Verdu, IEEE Trans. Inf. Theory 55 (2009); Perez-Cruz,
    ISIT (2008). Consistent for fixed k; biased at finite n, most in high
    dimension (docs: measured bias by dimension), and can be negative.

    Parameters
    ----------
    x, y : array_like, shape (n,) or (n, d) and (m,) or (m, d)
        Samples of P and of Q, of the same dimension.
    k : int, optional
        Neighbour rank in both samples (default :func:`default_k` of the dimension).
    workers : int, optional
        Threads for the neighbour search (default: anadiv's thread count).

    Returns
    -------
    Estimate
        In nats; ``stderr`` is the two-sample delete-one jackknife
        (Arvesen 1969), ``warning`` explains a negative value.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> x, y = rng.normal(0, 1, 5000), rng.normal(1, 1, 5000)
    >>> est = kl_knn(x, y)
    >>> bool(abs(est.value - 0.5) < 4 * est.stderr)  # KL(N(0,1) || N(1,1)) = 0.5
    True
    """
    x = _materialised(x, "x")
    y = _materialised(y, "y")
    check_same_dim(x, y, "y")
    n, d = x.shape
    m = len(y)
    k = _check_k(k, n, "x", d)
    if k + 1 > m:
        raise ValueError(f"k: must be at most m - 1 = {m - 1} for {m} points in y, got {k}")
    (xs, ys), _, tol = _scaled(x, y)
    gx, rx = _self_ranked(xs, k, workers, "x", tol)
    gy, ry = _cross_ranked(gx, ys, k, workers, "y", tol)
    cx, cy = gx.counts, gy.counts
    sx, sy = float(np.dot(cx, rx.e)), float(np.dot(cx, ry.e))
    value = float(digamma(m + 1) - digamma(n)) + (sy - sx) / n
    # delete one x of each group: its own terms go, its neighbours' rho move
    loo_x = float(digamma(m + 1) - digamma(n - 1)) + ((sy - ry.e) - (sx - rx.e + rx.delta)) / (n - 1)
    # delete one y of each group: the nu of the x points that had it move
    loo_y = float(digamma(m) - digamma(n)) + ((sy + ry.delta) - sx) / n
    var = _jackknife_var(loo_x, cx) + _jackknife_var(loo_y, cy)
    return _finish(value, var, n, True, d)


def kl_knn_density(x: Any, q: Any, *, k: int | None = None, workers: int | None = None) -> Estimate:
    r"""KL(P || Q) from a sample ``x`` of P and a density Q: ``-H(P) - E_P[log q]``.

    .. math::

        \widehat{\mathrm{KL}} = -\hat H_{\mathrm{KL}}(x) - \frac1n\sum_i \log q(x_i),

    with :math:`\hat H_{\mathrm{KL}}` the Kozachenko-Leonenko entropy
    (:func:`entropy_knn`) and the cross-entropy a sample mean. Its standard
    error is the delete-one jackknife of the whole difference (the two terms
    share the sample, and their errors are correlated).

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of P.
    q : Family or Mixture
        A density anadiv can evaluate (``q.logpdf``), of the sample's
        dimension. A mass function is refused (the data would be discrete:
        use the histogram or :mod:`anadiv.discrete` estimators).
    k : int, optional
        Neighbour rank for the entropy (default :func:`default_k` of the dimension).
    workers : int, optional
        Threads for the neighbour search.

    Returns
    -------
    Estimate
        In nats; ``inf`` (``method="support"``) when a sample lies where
        ``q = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Normal
    >>> x = np.random.default_rng(2).normal(0.0, 1.0, 4000)
    >>> est = kl_knn_density(x, Normal(1.0, 2.0))  # KL = 0.4431...
    >>> bool(abs(est.value - 0.4431472) < 4 * est.stderr)
    True
    """
    from .against_density import log_density_at  # local: only this estimator evaluates a density

    lq_all = log_density_at(q, x, "q", "x")
    x = _materialised(x, "x")
    n, d = x.shape
    k = _check_k(k, n, "x", d)
    if np.any(lq_all == -np.inf):
        return Estimate(math.inf, 0.0, n, "support")
    (xs,), e2, tol = _scaled(x)
    groups, ranked = _self_ranked(xs, k, workers, "x", tol)
    c = groups.counts
    if len(groups.points) == n:
        lq = lq_all
    else:
        # log q of each distinct point: the first occurrence (duplicates share it)
        lq = log_density_at(q, groups.points * 2.0 ** -e2, "q", "x")
    base = float(_log_ball_volume(d)) - d * e2 * math.log(2.0)
    s, sl = float(np.dot(c, ranked.e)), float(np.dot(c, lq))
    value = -(float(digamma(n)) + base + s / n) - sl / n
    loo = -(float(digamma(n - 1)) + base + (s - ranked.e + ranked.delta) / (n - 1)) - (sl - lq) / (n - 1)
    return _finish(value, _jackknife_var(loo, c), n, True, d)


def _materialised(x: Any, name: str) -> np.ndarray:
    """The checked sample in memory (a dask array is computed: a tree needs every point)."""
    if is_dask(x):
        x = x.compute()
    return as_samples(x, name, minimum=3)


def kl_density_knn(p: Any, y: Any, *, n: int | None = None, k: int | None = None, seed: Any = None,
                   workers: int | None = None) -> Estimate:
    r"""KL(P || Q) from a distribution P and a sample ``y`` of Q.

    .. math::

        \widehat{\mathrm{KL}} = \frac1n\sum_i \Big[\log p(x_i) + \psi(m + 1) + \log V_d
            + d \log \nu_{l_i}(i) - \psi(l_i)\Big], \qquad x_i \sim P,

    the log-density of Q at fresh draws of P read from their k-th nearest
    point of ``y`` (as in :func:`kl_knn`), and that of P exact. Its variance
    adds the spread over the draws (independent given ``y``) and the
    delete-one jackknife over ``y``.

    Parameters
    ----------
    p : Family or Mixture
        A density anadiv can evaluate and sample.
    y : array_like, shape (m,) or (m, d)
        Samples of Q.
    n : int, optional
        Draws of P (default ``max(m, 10_000)``: the error is then set by ``m``).
    k : int, optional
        Neighbour rank in ``y`` (default :func:`default_k` of the dimension).
    seed : int or numpy Generator, optional
        For the draws of P.
    workers : int, optional
        Threads for the neighbour search.

    Returns
    -------
    Estimate
        In nats (``method="knn"``).

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Normal
    >>> y = np.random.default_rng(3).normal(1.0, 1.0, 5000)
    >>> est = kl_density_knn(Normal(0.0, 1.0), y, seed=0)  # KL = 0.5
    >>> bool(abs(est.value - 0.5) < 4 * est.stderr)
    True
    """
    from ..numeric.validation import check_seed
    from .against_density import log_density_at

    ys = _materialised(y, "y")
    m, d = ys.shape
    k = default_k(d) if k is None else check_count(k, "k", 1)
    if k + 1 > m:
        raise ValueError(f"k: must be at most m - 1 = {m - 1} for {m} points in y, got {k}")
    n = max(m, 10_000) if n is None else check_count(n, "n", 2)
    rng = np.random.default_rng(check_seed(seed))
    x = np.asarray(p.sample(n, rng=rng), dtype=np.float64)
    lp = log_density_at(p, x, "p", "y")  # also checks that P is a density of y's dimension
    x = x.reshape(n, d)
    (xs, yscaled), e2, tol = _scaled(x, ys)
    gy, ry = _cross_ranked(_Groups.plain(xs, None), yscaled, k, workers, "y", tol)
    base = float(digamma(m + 1)) + _log_ball_volume(d) - d * e2 * math.log(2.0)
    terms = lp + ry.e
    value = base + float(terms.mean())
    var_draws = float(terms.var(ddof=1)) / n
    loo_y = float(digamma(m)) + _log_ball_volume(d) - d * e2 * math.log(2.0) + (terms.sum() + ry.delta) / n
    return _finish(value, var_draws + _jackknife_var(loo_y, gy.counts), n, True, d)
