r"""Data against a density: the log-density at the sample points, and the cross-entropy as a sample mean.

:func:`cross_entropy_samples` is :math:`H(P, Q) = -E_P[\log q]` from samples
of P; :func:`log_density_at` is the one place that evaluates a density at
data (checking that Q is a density of the data's dimension). A dask array of
samples is reduced blockwise by dask's scheduler (it never has to fit in
memory, and runs on a cluster).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .result import Estimate
from .samples import as_samples, is_dask

__all__ = ["cross_entropy_samples", "log_density_at"]


def _density_dim(q: Any, name: str) -> int:
    """Q's dimension (0 for univariate); ValueError unless Q is a density anadiv can evaluate."""
    from .quadrature import _dim, _measure  # the one definition of a distribution's dimension and measure

    dim = _dim(q, name)
    if _measure(q) != "lebesgue":
        raise ValueError(f"{name}: is a mass function ({type(q).__name__}); samples against a density need a "
                         "continuous Q (for discrete data use anadiv.discrete or histogram estimators)")
    return dim


def _check_dims(dim: int, d: int, name_q: str, name_x: str) -> None:
    if max(dim, 1) != d:
        raise ValueError(f"{name_x}: samples have dimension {d}, but {name_q} has dimension {max(dim, 1)}")


def _logpdf(q: Any, block: np.ndarray, dim: int) -> np.ndarray:
    with np.errstate(all="ignore"):
        lq = np.asarray(q.logpdf(block[:, 0] if dim == 0 else block), dtype=np.float64)
    if np.isnan(lq).any():
        raise FloatingPointError("q: its log-density is NaN at a sample point")
    return lq


def log_density_at(q: Any, x: Any, name_q: str = "q", name_x: str = "x") -> np.ndarray:
    """``log q(x_i)`` for each sample point, shape ``(n,)``; checks Q and the samples.

    Examples
    --------
    >>> from anadiv import Normal
    >>> log_density_at(Normal(0.0, 1.0), [0.0, 1.0]).round(4)
    array([-0.9189, -1.4189])
    """
    dim = _density_dim(q, name_q)
    if is_dask(x):
        x = x.compute()
    xs = as_samples(x, name_x, minimum=1)
    _check_dims(dim, xs.shape[1], name_q, name_x)
    return _logpdf(q, xs, dim)


def cross_entropy_samples(x: Any, q: Any) -> Estimate:
    r"""Cross-entropy :math:`H(P, Q) = -\frac1n \sum_i \log q(x_i)` from samples of P.

    Parameters
    ----------
    x : array_like or dask array, shape (n,) or (n, d)
        Samples of P; a dask array is reduced block by block.
    q : Family or Mixture
        A density of the samples' dimension.

    Returns
    -------
    Estimate
        The sample mean with its standard error (``method="sample mean"``);
        ``inf`` when a sample lies where ``q = 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv import Normal
    >>> x = np.random.default_rng(0).normal(0.0, 1.0, 10_000)
    >>> est = cross_entropy_samples(x, Normal(0.0, 1.0))
    >>> bool(abs(est.value - 1.4189385) < 4 * est.stderr)
    True
    """
    if is_dask(x):
        return _cross_entropy_dask(x, q)
    lq = log_density_at(q, x)
    return _from_sums(len(lq), float(np.sum(lq)), float(np.sum(lq * lq)) if np.isfinite(lq).all() else math.inf,
                      bool(np.any(lq == -np.inf)))


def _from_sums(n: int, s: float, s2: float, outside: bool) -> Estimate:
    if outside:
        return Estimate(math.inf, 0.0, n, "support")
    if n < 2:
        raise ValueError(f"x: need at least 2 samples, got {n}")
    mean = s / n
    var = max(s2 / n - mean * mean, 0.0) * n / (n - 1)
    return Estimate(-mean, math.sqrt(var / n), n, "sample mean")


def _cross_entropy_dask(x: Any, q: Any) -> Estimate:
    """Blockwise: each block is checked and evaluated where it lives; only three sums come back."""
    from dask.base import compute

    dim = _density_dim(q, "q")
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"x: samples must have shape (n,) or (n, d), got shape {x.shape}")
    _check_dims(dim, int(x.shape[1]), "q", "x")
    if x.chunks[1] != (x.shape[1],):
        x = x.rechunk({1: -1})

    def block_sums(b: np.ndarray) -> np.ndarray:
        b = np.asarray(b, dtype=np.float64)
        if not np.isfinite(b).all():
            return np.array([[np.nan, np.nan, np.nan, np.nan]])
        lq = _logpdf(q, b, dim)
        out = bool(np.any(lq == -np.inf))
        fin = np.where(np.isfinite(lq), lq, 0.0)
        return np.array([[len(b), fin.sum(), (fin * fin).sum(), float(out)]])

    parts = x.map_blocks(block_sums, dtype=np.float64, chunks=((1,) * x.numblocks[0], (4,)))
    (tot,) = compute(parts.sum(axis=0))
    n, s, s2, out = (float(v) for v in tot)
    if math.isnan(n):
        raise ValueError("x: samples must be finite (a block has NaN or inf)")
    return _from_sums(int(n), s, s2, out > 0)
