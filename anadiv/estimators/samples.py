"""Checked sample arrays: the one entry point of every estimator from data.

Every estimator that takes samples (k-nearest-neighbour, histograms, the
one-dimensional spacing and Wasserstein estimators) reads them through
:func:`as_samples`, so one kind of bad input gets one message, naming the
argument:

* a sample is an array of shape ``(n,)`` (``n`` points in one dimension) or
  ``(n, d)`` (``n`` points in ``d`` dimensions); lists, pandas objects and
  CPU tensors are converted with :func:`numpy.asarray`;
* NaN or infinite values, fewer points than the estimator needs, strings,
  booleans and complex numbers are refused (``ValueError``);
* two samples must have the same dimension (:func:`check_same_dim`).

Dask arrays are kept lazy (:func:`is_dask`): they are checked block by block
by the estimator that streams them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..numeric.validation import as_float_array
from ..numeric.xp import is_dask

__all__ = ["as_samples", "check_same_dim", "is_dask", "is_sample_array"]


def is_sample_array(x: Any) -> bool:
    """True when ``x`` is data (an array, a list of numbers, a dask array), not a distribution.

    Distributions (anadiv families, mixtures, scipy frozen distributions) are
    objects with a ``logpdf``/``log_prob``-like method; data is anything
    numpy can read as an array of one or more dimensions.
    """
    if is_dask(x):
        return True
    if isinstance(x, np.ndarray):
        return x.ndim >= 1
    if isinstance(x, (list, tuple)):
        return len(x) > 0
    mod = type(x).__module__.split(".", 1)[0]
    if mod == "pandas":
        return True
    return mod == "torch" and getattr(x, "ndim", 0) >= 1 and hasattr(x, "numpy")


def as_samples(x: Any, name: str, *, minimum: int = 2) -> np.ndarray:
    """The sample ``x`` as a float array of shape ``(n, d)``, checked.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        The points: a one-dimensional array is ``n`` points on the line.
    name : str
        The argument's name, used in every error message.
    minimum : int
        The fewest points the estimator can use.

    Returns
    -------
    numpy.ndarray, shape (n, d)
        float64 (float32 input is promoted: neighbour distances and their
        logarithms are summed over many points).

    Raises
    ------
    ValueError
        Naming ``name``: not numbers, not one- or two-dimensional, fewer than
        ``minimum`` points, no coordinates, or a NaN or infinite value (with
        the index of the first).

    Examples
    --------
    >>> as_samples([0.5, 1.0, 2.0], "x").shape
    (3, 1)
    >>> as_samples([[0.0, float("nan")], [1.0, 2.0]], "x")
    Traceback (most recent call last):
    ...
    ValueError: x: samples must be finite; point 0 has nan
    """
    mod = type(x).__module__.split(".", 1)[0]
    if mod == "torch":
        x = x.detach().cpu().numpy()
    arr = as_float_array(x, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    elif arr.ndim != 2:
        raise ValueError(f"{name}: samples must have shape (n,) or (n, d), got shape {arr.shape}")
    n, d = arr.shape
    if d == 0:
        raise ValueError(f"{name}: samples must have at least one coordinate, got shape {arr.shape}")
    if n < minimum:
        raise ValueError(f"{name}: need at least {minimum} samples, got {n}")
    finite = np.isfinite(arr)
    if not finite.all():
        i = int(np.argmin(finite.all(axis=1)))
        bad = arr[i][~finite[i]][0]
        raise ValueError(f"{name}: samples must be finite; point {i} has {bad}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def check_same_dim(x: np.ndarray, y: Any, name_y: str, name_x: str = "x") -> None:
    """``ValueError`` naming ``name_y`` unless ``y`` has as many coordinates as ``x``."""
    dx = x.shape[1] if x.ndim == 2 else 1
    dy = y.shape[1] if getattr(y, "ndim", 1) == 2 else 1
    if dx != dy:
        raise ValueError(f"{name_y}: samples have dimension {dy}, but {name_x} has dimension {dx}")
