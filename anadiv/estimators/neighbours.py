r"""Exact Euclidean k-nearest-neighbour search for the estimators from samples.

The k-nearest-neighbour estimators (:mod:`anadiv.estimators.knn`) need, for
every query point :math:`x_i`, the distances

.. math::

    \rho_{i,1} \le \rho_{i,2} \le \dots \le \rho_{i,k}, \qquad
    \rho_{i,j} = \lVert x_i - y_{(j)} \rVert_2 ,

to its :math:`k` nearest reference points :math:`y_{(j)}`, and they take
:math:`\log \rho`. So the distances must be exact (to rounding of the
difference and the norm), also for near duplicates and for duplicates, which
must come out as exactly ``0.0``.

Two methods, chosen by dimension (``method="auto"``):

* ``"kdtree"``: :class:`scipy.spatial.cKDTree`, which computes every
  distance as a difference then a norm.
* ``"brute"``: all pairs by BLAS. The expansion
  :math:`\lVert x\rVert^2 + \lVert y\rVert^2 - 2\,x\cdot y` loses all the
  digits of a small distance between points far from the origin (and gives
  tiny nonzero or negative values for duplicates), so it only *picks*
  candidates, on centred data: the reference points are cut into groups of
  32, and the :math:`k + 1` groups with the smallest minima (they hold the
  :math:`k` nearest) are the candidates, whose distances are then
  recomputed as a difference then a norm. A rounding
  error bound of the expansion,
  :math:`|\tilde s - s| \le 8 (d + 4)\, \epsilon\, (\lVert x\rVert + \max_j \lVert y_j\rVert)^2`
  (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002,
  section 3.1, for the inner products), certifies for each row that no
  point left out can be nearer than the :math:`k`-th candidate; rows it
  cannot certify (ties at the :math:`k`-th distance, clusters of near
  duplicates) take every point the bound cannot exclude. Among points at
  exactly the same distance, brute force returns the lowest indices.

``method="auto"`` takes brute force from dimension
:data:`BRUTE_FROM_DIM` on, where it was measured faster than the tree
(``benchmarks/bench_knn.py``, ``docs/benchmarks.md``).

Self-exclusion (``exclude_self=True``, the queries *are* the reference
points in the same order) removes row :math:`i`'s own index :math:`i`, by
index, not by dropping the first column: other points identical to
:math:`x_i` are kept, at distance exactly ``0.0``, because the estimators'
tie rule counts them.

Memory. The reference points must fit in memory (a dask array of them is
computed once). The queries may be a dask array: :meth:`NeighbourIndex.chunks`
computes its blocks one at a time, so the queries and the per-point results
never need to be in memory at once. Every block is sized so that its working
memory stays under about 64 MiB.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from ..numeric import blas_threads
from ..numeric.threads import _cpus, get_num_threads, run_chunks
from ..numeric.validation import check_count
from .samples import as_samples, check_same_dim, is_dask

__all__ = ["NeighbourIndex", "BRUTE_FROM_DIM"]

#: The dimension from which ``method="auto"`` uses brute force. Measured
#: (``benchmarks/bench_knn.py``, standard normal samples, k = 1..5, n = 10^4
#: and 10^5, 2 shared cores): the tree is 1.5-5x faster at d = 8 and 12-100x
#: at d <= 4, the two tie at d = 10 (ratios 0.8-1.3), brute force is
#: 1.5-4.5x faster at d = 12, 4-12x at d = 16 and 6-13x at d = 32..64.
BRUTE_FROM_DIM = 11

# working memory of one block (all threads together), in bytes
_BLOCK_BYTES = 64 * 2**20
# candidates for the BLAS pick come in groups of this many points: their
# minima are selected, and the groups' points all get exact distances
_GROUP = 32
_EPS = float(np.finfo(np.float64).eps)


class NeighbourIndex:
    """Exact Euclidean k-nearest-neighbour search over fixed reference points.

    Parameters
    ----------
    points : array_like or dask array, shape (n, d) or (n,)
        The reference points, checked by :func:`~anadiv.estimators.samples.as_samples`.
        A dask array is computed once: the reference points must fit in
        memory. The index keeps a reference to the array: do not modify it.
    method : {"auto", "kdtree", "brute"}
        ``"auto"``: brute force from dimension :data:`BRUTE_FROM_DIM` on,
        the k-d tree below (see the module notes).
    workers : int, optional
        Threads for a search. None: anadiv's thread count at the time of
        each search (:func:`anadiv.get_num_threads`, so
        :func:`anadiv.set_num_threads` is honoured); ``-1``: all cores.

    Attributes
    ----------
    n, d : int
        Number and dimension of the reference points.
    method : str
        The method actually used, ``"kdtree"`` or ``"brute"``.
    points : numpy.ndarray, shape (n, d)
        The checked reference points (float64).

    Examples
    --------
    >>> import numpy as np
    >>> index = NeighbourIndex(np.array([[0.0], [1.0], [1.0], [3.0]]))
    >>> dist, idx = index.query(np.array([[0.9]]), 2)
    >>> dist.round(12).tolist(), sorted(idx[0].tolist())
    ([[0.1, 0.1]], [1, 2])
    >>> dist, idx = index.query(index.points, 1, exclude_self=True)
    >>> dist[:, 0].tolist()  # the two copies of 1.0 find each other at 0.0
    [1.0, 0.0, 0.0, 2.0]
    """

    def __init__(self, points: Any, *, method: str = "auto", workers: int | None = None) -> None:
        if is_dask(points):
            points = points.compute()
        self.points = as_samples(points, "points", minimum=1)
        self.n, self.d = self.points.shape
        self._workers = _check_workers(workers)
        self.method = _choose_method(method, self.d)
        self._backend = _METHODS[self.method](self.points)

    def __repr__(self) -> str:
        return f"NeighbourIndex(n={self.n}, d={self.d}, method={self.method!r})"

    @property
    def workers(self) -> int:
        """The number of threads the next search uses."""
        if self._workers is None:
            return get_num_threads()
        return _cpus() if self._workers == -1 else self._workers

    def query(self, queries: Any, k: int, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest reference points of every query point.

        Parameters
        ----------
        queries : array_like or dask array, shape (m, d) or (m,)
            The query points (a dask array is streamed by :meth:`chunks`).
        k : int
            Number of neighbours, at least 1 and at most ``n`` (``n - 1``
            with ``exclude_self``).
        exclude_self : bool
            The queries are the reference points, in the same order: row
            ``i`` never returns index ``i``, but does return other points
            identical to point ``i`` (at distance ``0.0``).

        Returns
        -------
        dist : numpy.ndarray, shape (m, k)
            float64, ascending along each row.
        idx : numpy.ndarray, shape (m, k)
            int64 indices into the reference points.

        Raises
        ------
        ValueError
            Naming ``k`` (not an integer >= 1, or more than the points
            available), ``queries`` (bad samples, another dimension, or not
            the reference points with ``exclude_self``).
        """
        if is_dask(queries):
            parts = list(self.chunks(queries, k, exclude_self=exclude_self))
            if not parts:
                return np.empty((0, k)), np.empty((0, k), dtype=np.int64)
            return np.concatenate([p[1] for p in parts]), np.concatenate([p[2] for p in parts])
        q = self._checked_queries(queries, exclude_self)
        k = self._check_k(k, exclude_self)
        return self._backend.search(q, k, 0 if exclude_self else None, self.workers)

    def chunks(
        self, queries: Any, k: int, *, exclude_self: bool = False, chunk_size: int | None = None
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """Stream :meth:`query` over consecutive row blocks: ``(first_row, dist, idx)``.

        Parameters
        ----------
        queries : array_like or dask array, shape (m, d) or (m,)
            A dask array is computed one block (of its row chunks) at a
            time, so the queries never need to be in memory at once; each
            block is checked as it arrives.
        k, exclude_self
            As in :meth:`query`.
        chunk_size : int, optional
            Most rows per yielded block (a dask block larger than this is
            cut). None: as many as keep a block's working memory under
            about 64 MiB.

        Returns
        -------
        iterator of (first_row, dist, idx)
            ``first_row`` (int) is the index of the block's first row among
            the queries; ``dist`` and ``idx``, of shape ``(rows, k)``, are
            what :meth:`query` returns for these rows. The arguments are
            checked at the call (``ValueError`` as in :meth:`query`, and
            naming ``chunk_size``); a dask block is checked when it is
            computed.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.arange(10.0)
        >>> index = NeighbourIndex(x)
        >>> [(first, dist[:, 0].tolist()) for first, dist, _ in index.chunks(x, 1, exclude_self=True, chunk_size=4)]
        [(0, [1.0, 1.0, 1.0, 1.0]), (4, [1.0, 1.0, 1.0, 1.0]), (8, [1.0, 1.0])]
        """
        # the arguments are checked here, at the call, not at the first block
        k = self._check_k(k, exclude_self)
        if chunk_size is None:
            # the search's own output and the tree's copy of it, plus the query row
            rows = max(1, _BLOCK_BYTES // (32 * (k + 1) + 8 * self.d))
        else:
            rows = check_count(chunk_size, "chunk_size", 1)
        if not is_dask(queries):
            return self._blocks(self._checked_queries(queries, exclude_self), 0, k, exclude_self, rows)
        check_same_dim(self.points, queries, "queries", "points")
        if queries.ndim == 2:
            queries = queries.rechunk({1: -1})  # whole rows per block
        return self._dask_blocks(queries, k, exclude_self, rows)

    # ---------------------------------------------------------------- helpers
    def _dask_blocks(
        self, queries: Any, k: int, exclude_self: bool, rows: int
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        first = 0
        for i in range(queries.numblocks[0]):
            block = np.asarray(queries.blocks[i].compute())
            if block.shape[0] == 0:
                continue
            block = as_samples(block, "queries", minimum=1)
            if exclude_self:
                self._check_is_reference(block, first)
            yield from self._blocks(block, first, k, exclude_self, rows)
            first += block.shape[0]
        if exclude_self and first != self.n:
            raise ValueError(_NOT_REFERENCE)

    def _blocks(
        self, q: np.ndarray, first: int, k: int, exclude_self: bool, rows: int
    ) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        for lo in range(0, q.shape[0], rows):
            block = q[lo : lo + rows]
            dist, idx = self._backend.search(block, k, first + lo if exclude_self else None, self.workers)
            yield first + lo, dist, idx

    def _checked_queries(self, queries: Any, exclude_self: bool) -> np.ndarray:
        q = as_samples(queries, "queries", minimum=1)
        check_same_dim(self.points, q, "queries", "points")
        if exclude_self:
            if q.shape[0] != self.n:
                raise ValueError(_NOT_REFERENCE)
            self._check_is_reference(q, 0)
        return q

    def _check_is_reference(self, block: np.ndarray, first: int) -> None:
        # one pass over the block: cheap next to the search, and it turns a
        # silent wrong answer (a point excluded that is not the query) into an error
        if first + block.shape[0] > self.n or not np.array_equal(block, self.points[first : first + block.shape[0]]):
            raise ValueError(_NOT_REFERENCE)

    def _check_k(self, k: Any, exclude_self: bool) -> int:
        k = check_count(k, "k", 1)
        available = self.n - bool(exclude_self)
        if k > available:
            which = f"{self.n} reference points less the query itself" if exclude_self else f"{self.n} reference points"
            raise ValueError(f"k: must be at most {available} ({which}), got {k}")
        return k


_NOT_REFERENCE = ("queries: exclude_self=True needs the queries to be the reference points, in the same order "
                  "(query NeighbourIndex.points)")


def _check_workers(workers: Any) -> int | None:
    if workers is None:
        return None
    if isinstance(workers, (bool, np.bool_)) or not isinstance(workers, (int, np.integer)) or not (
        workers == -1 or workers >= 1
    ):
        raise ValueError(f"workers: must be None, -1 (all cores) or an integer >= 1, got {workers!r}")
    return int(workers)


def _choose_method(method: Any, d: int) -> str:
    if method == "auto":
        return "brute" if d >= BRUTE_FROM_DIM else "kdtree"
    if isinstance(method, str) and method in _METHODS:
        return method
    raise ValueError(f"method: must be one of 'auto', {', '.join(map(repr, _METHODS))}, got {method!r}")


# ------------------------------------------------------------------ k-d tree
class _KDTree:
    """scipy's cKDTree; self-exclusion by index among ``k + 1`` neighbours."""

    def __init__(self, points: np.ndarray) -> None:
        from scipy.spatial import cKDTree

        self.tree = cKDTree(points)

    def search(self, q: np.ndarray, k: int, self_first: int | None, workers: int) -> tuple[np.ndarray, np.ndarray]:
        m = q.shape[0]
        if self_first is None:
            dist, idx = self.tree.query(q, k=k, workers=workers)
            return dist.reshape(m, k), idx.reshape(m, k).astype(np.int64, copy=False)
        dist, idx = self.tree.query(q, k=k + 1, workers=workers)
        dist, idx = dist.reshape(m, k + 1), idx.reshape(m, k + 1)
        is_self = idx == np.arange(self_first, self_first + m)[:, None]
        # Point i at distance 0 need not come first among its duplicates, and
        # need not be returned at all when more than k + 1 of them tie: then
        # every returned point is a duplicate and the last one is dropped.
        drop = np.where(is_self.any(axis=1), is_self.argmax(axis=1), k)
        keep = np.ones((m, k + 1), dtype=bool)
        keep[np.arange(m), drop] = False
        return dist[keep].reshape(m, k), idx[keep].reshape(m, k).astype(np.int64, copy=False)


# --------------------------------------------------------------- brute force
class _Brute:
    """All pairs by BLAS on centred data to pick candidates; exact distances of the candidates."""

    def __init__(self, points: np.ndarray) -> None:
        self.points = points
        n, d = points.shape
        self.centre = points.mean(axis=0)
        # padded to whole groups with points at infinite distance (their |y|^2 is inf)
        self.groups = -(-n // _GROUP)
        self.centred = np.zeros((self.groups * _GROUP, d))
        np.subtract(points, self.centre, out=self.centred[:n])
        self.sq_norms = np.einsum("ij,ij->i", self.centred, self.centred)
        self.radius = math.sqrt(float(self.sq_norms.max()))
        self.sq_norms[n:] = np.inf
        # rounding of the BLAS expansion (inner products, norms, the centring) ...
        self.blas_error = 8.0 * (d + 4) * _EPS
        # ... and of the exact squared distances, relative
        self.exact_error = 4.0 * (d + 2) * _EPS

    def search(self, q: np.ndarray, k: int, self_first: int | None, workers: int) -> tuple[np.ndarray, np.ndarray]:
        m = q.shape[0]
        dist = np.empty((m, k))
        idx = np.empty((m, k), dtype=np.int64)
        threads = max(1, min(workers, m))
        split = threads > 1 and blas_threads.can_split()
        threads = threads if split else 1
        # per row and thread: the approximations (float64) and, for a row the
        # bound does not certify, their sum with |x|^2 and a mask; the
        # candidates' indices, differences and squared distances
        per_row = 17 * self.groups * _GROUP + 8 * (k + 1) * _GROUP * (self.points.shape[1] + 3)
        rows = max(1, _BLOCK_BYTES // (threads * per_row))

        def make_work() -> Callable[[int, int], None]:
            def work(lo: int, hi: int) -> None:
                first = None if self_first is None else self_first + lo
                dist[lo:hi], idx[lo:hi] = self._block(q[lo:hi], k, first)

            return work

        if split:
            with blas_threads.one_blas_thread():
                run_chunks(make_work, m, rows, rows, threads=threads)
        else:
            work = make_work()
            for lo in range(0, m, rows):
                work(lo, min(m, lo + rows))
        return dist, idx

    def _block(self, q: np.ndarray, k: int, self_first: int | None) -> tuple[np.ndarray, np.ndarray]:
        b = q.shape[0]
        rows = np.arange(b)
        qc = q - self.centre
        q_sq = np.einsum("ij,ij->i", qc, qc)
        # s = |y|^2 - 2 x.y: the squared distance less |x|^2 (constant in a row)
        s = qc @ self.centred.T
        s *= -2.0
        s += self.sq_norms
        if self_first is not None:
            s[rows, self_first + rows] = np.inf
        picked = k + 1  # groups: the k nearest lie in the k groups of smallest minima
        if picked < self.groups:
            # Selecting among the minima of groups of 32 costs a fraction of an
            # argpartition over all n (the bottleneck of brute force otherwise).
            minima = s.reshape(b, self.groups, _GROUP).min(axis=2)
            order = np.argpartition(minima, picked, axis=1)
            # no point outside the chosen groups is below the next group minimum
            outside = minima[rows, order[:, picked]] + q_sq
            cand = (order[:, :picked, None] * _GROUP + np.arange(_GROUP)).reshape(b, -1)
        else:  # k + 1 groups or fewer: every point is a candidate
            cand = np.broadcast_to(np.arange(s.shape[1]), s.shape)
            outside = np.full(b, np.inf)
        # padding and self are at +inf: kept out of the exact distances
        real = np.isfinite(np.take_along_axis(s, cand, axis=1))
        cand = np.where(real, cand, 0)
        sq = _exact_sq(q, self.points, cand)
        sq[~real] = np.inf
        cand, sq = _sorted_by_distance(cand, sq)
        # every point whose exact squared distance could be <= the k-th
        # candidate's has an approximation below this threshold
        err = self.blas_error * (np.sqrt(q_sq) + self.radius) ** 2
        threshold = sq[:, k - 1] * (1.0 + self.exact_error) + err
        cand, sq = cand[:, :k], sq[:, :k]
        wide = np.flatnonzero(outside <= threshold)
        if wide.size:
            cand[wide], sq[wide] = self._widened(q[wide], s[wide] + q_sq[wide, None], threshold[wide], k)
        return np.sqrt(sq), cand

    def _widened(self, q: np.ndarray, approx: np.ndarray, threshold: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows the bound did not certify: every point it cannot exclude, exactly."""
        row, col = np.nonzero(approx <= threshold[:, None])
        diff = q[row] - self.points[col]
        sq = np.einsum("ij,ij->i", diff, diff)
        order = np.lexsort((col, sq, row))
        row, col, sq = row[order], col[order], sq[order]
        starts = np.searchsorted(row, np.arange(q.shape[0]))
        rank = np.arange(row.size) - starts[row]
        keep = rank < k  # the threshold admits at least the k candidates of each row
        return col[keep].reshape(-1, k), sq[keep].reshape(-1, k)


def _exact_sq(q: np.ndarray, points: np.ndarray, cand: np.ndarray) -> np.ndarray:
    """Squared distances of ``q[i]`` to ``points[cand[i, j]]`` as a difference, then a sum of squares."""
    diff = q[:, None, :] - points[cand]
    return np.einsum("ijk,ijk->ij", diff, diff)


def _sorted_by_distance(cand: np.ndarray, sq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row sorted by distance, ties by index (so the result does not depend on the blocking)."""
    order = np.lexsort((cand, sq), axis=-1)
    return np.take_along_axis(cand, order, axis=1), np.take_along_axis(sq, order, axis=1)


_METHODS: dict[str, type] = {"kdtree": _KDTree, "brute": _Brute}
