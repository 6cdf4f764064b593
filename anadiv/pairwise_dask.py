r"""The pairwise divergence matrix as a lazy Dask array, block by block.

:func:`anadiv.discrete.pairwise` returns this when ``dists`` (or ``q``) is a
Dask array, or when it is given ``chunks``. A matrix over 100,000
histograms has 10^10 entries (80 GB of float64): it is never formed whole.
Block ``(I, J)`` of the result is the numpy :func:`~anadiv.discrete.pairwise`
of the ``I``-th block of distributions against the ``J``-th, one task each,
so the matrix can be reduced (nearest neighbours, a histogram of the
values), sliced, or written to a chunked store (``result.to_zarr(path)``)
on any Dask scheduler, a ``dask.distributed`` cluster included, with memory
bounded by a few blocks per worker.

For a symmetric divergence without ``q`` only the blocks on and above the
diagonal are computed; block ``(J, I)`` is the transpose of ``(I, J)``. The
result is then exactly symmetric, with an exact zero diagonal, as the numpy
result is. The checks of the inputs (negative entries, sums, NaN) run inside
the tasks: a bad block raises its ``ValueError``, naming ``dists`` or ``q``,
when the result is computed.

Examples
--------
>>> import numpy as np
>>> import dask.array as da
>>> from anadiv.discrete import pairwise
>>> dists = np.random.default_rng(0).dirichlet(np.ones(8), size=1000)
>>> lazy = pairwise("js_divergence", da.from_array(dists, chunks=250))
>>> lazy.shape, lazy.numblocks
((1000, 1000), (4, 4))
>>> nearest = lazy.map_blocks(lambda b: b + np.where(b == 0, np.inf, 0)).min(axis=1).compute()
>>> bool(np.allclose(lazy[:3].compute(), pairwise("js_divergence", dists)[:3], rtol=1e-13, atol=0))
True
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .numeric.xp import is_dask

__all__ = ["lazy_pairwise"]


def _as_lazy(value: Any, name: str, axis: int, chunks: int | None) -> Any:
    """``value`` as a 2-D Dask array of distributions x bins, bins in one chunk."""
    import dask.array as da

    arr = value if is_dask(value) else da.from_array(np.asarray(value, dtype=np.float64), chunks=-1)
    if arr.ndim != 2:
        raise ValueError(f"{name}: must be 2-D (distributions x probabilities), got shape {arr.shape}")
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"{name}: probabilities must be real numbers, got dtype {arr.dtype}")
    if axis in (0, -2):
        arr = arr.T
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: holds no distributions")
    rows = arr.chunks[0] if chunks is None else int(chunks)
    return arr.rechunk((rows, -1))


def lazy_pairwise(
    block: Callable[[np.ndarray, np.ndarray | None, str], np.ndarray],
    dists: Any,
    *,
    q: Any = None,
    symmetric: bool,
    axis: int,
    chunks: int | None,
) -> Any:
    """The lazy matrix of :func:`anadiv.discrete.pairwise` (see the module notes).

    ``block(rows, cols, cols_name)`` computes one block in memory: the
    distributions ``rows`` against ``cols`` (None: ``rows`` against
    themselves), the columns named ``cols_name`` in its errors; it must be
    picklable to run on a cluster. ``dists`` and ``q`` are Dask arrays or
    in-memory float arrays already checked (as is ``chunks``), with the probabilities along
    ``axis``; ``symmetric`` says whether the divergence is symmetric.
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    if chunks is None:  # a numpy set takes the block size of the Dask one
        given = dists if is_dask(dists) else q
        chunks = max(given.chunks[0] if axis not in (0, -2) else given.chunks[1])
    x = _as_lazy(dists, "dists", axis, chunks)
    y = x if q is None else _as_lazy(q, "q", axis, chunks)
    if y.shape[1] != x.shape[1]:
        raise ValueError(f"q: has {y.shape[1]} probabilities per distribution but dists has {x.shape[1]}")
    mirrored = symmetric and q is None
    name = "anadiv-pairwise-" + tokenize(block, x.name, y.name, mirrored)
    layer: dict[Any, Any] = {}
    for i in range(x.numblocks[0]):
        for j in range(y.numblocks[0]):
            if mirrored and j < i:
                layer[(name, i, j)] = (np.transpose, (name, j, i))
            elif q is None and i == j:
                layer[(name, i, j)] = (block, (x.name, i, 0), None, "dists")
            else:
                layer[(name, i, j)] = (block, (x.name, i, 0), (y.name, j, 0), "dists" if q is None else "q")
    graph = HighLevelGraph.from_collections(name, layer, dependencies=[x] if q is None else [x, y])
    return da.Array(graph, name, chunks=(x.chunks[0], y.chunks[0]), dtype=np.float64)
