"""Argument checks shared by the numeric code.

Every check raises ``ValueError`` whose message starts with the name of the
offending argument, so a user can tell at once which input is wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_symbolic(value: Any) -> bool:
    """True for sympy objects, detected without importing sympy."""
    return type(value).__module__.split(".", 1)[0] == "sympy"


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert to a floating array, keeping float32/float64, promoting ints."""
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy's own message is kept
        raise ValueError(f"{name}: cannot be converted to an array ({exc})") from exc
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{name}: must be real numbers, got dtype {arr.dtype}") from exc
    return arr


def check_finite(arr: np.ndarray, name: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite (got NaN or inf)")


def check_positive(arr: np.ndarray, name: str) -> None:
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name}: must be > 0, got NaN")
    if not np.all(arr > 0):
        bad = np.asarray(arr)[~(np.asarray(arr) > 0)].ravel()[0]
        raise ValueError(f"{name}: must be > 0, got {float(bad)!r}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name}: must be finite, got inf")


def check_real(arr: np.ndarray, name: str) -> None:
    check_finite(arr, name)


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    if not np.all((arr > 0) & (arr < 1)):
        raise ValueError(f"{name}: must lie in (0, 1)")
