"""Stand-in (replaced by the neighbour-search branch): exact kNN over fixed reference points."""

from __future__ import annotations

from typing import Any, Iterator

import numpy as np
from scipy.spatial import cKDTree


class NeighbourIndex:
    def __init__(self, points: Any, *, method: str = "auto", workers: int | None = None) -> None:
        self.points = np.asarray(points, dtype=np.float64)
        self.n, self.d = self.points.shape
        self.method = "kdtree"
        self.workers = -1 if workers is None else workers
        self._tree = cKDTree(self.points)

    def query(self, queries: Any, k: int, *, exclude_self: bool = False) -> tuple[np.ndarray, np.ndarray]:
        q = np.asarray(queries, dtype=np.float64)
        kk = k + 1 if exclude_self else k
        d, i = self._tree.query(q, k=kk, workers=self.workers)
        d, i = d.reshape(len(q), kk), i.reshape(len(q), kk)
        if not exclude_self:
            return d, i.astype(np.int64)
        rows = np.arange(len(q))
        is_self = i == rows[:, None]
        drop = np.where(is_self.any(axis=1), np.argmax(is_self, axis=1), kk - 1)
        keep = np.ones_like(is_self)
        keep[rows, drop] = False
        return d[keep].reshape(len(q), k), i[keep].reshape(len(q), k).astype(np.int64)

    def chunks(self, queries: Any, k: int, *, exclude_self: bool = False,
               chunk_size: int | None = None) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        d, i = self.query(queries, k, exclude_self=exclude_self)
        yield 0, d, i
