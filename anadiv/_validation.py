"""Argument checks shared by the numeric code.

Every check raises ``ValueError`` whose message starts with the name of the
offending argument, so a user can tell at once which input is wrong.
"""

from __future__ import annotations

import math
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


# ------------------------------------------------ estimator / quadrature knobs
# Shared by anadiv.estimate and anadiv.quadrature (and anything else that takes
# a sample count, a tolerance or a seed), so one argument gets one message.
def check_count(value: Any, name: str, minimum: int, maximum: int | None = None) -> int:
    """An integer in ``[minimum, maximum]``; floats are accepted when integral."""
    bound = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum:.0e}]"
    msg = f"{name}: must be an integer {bound}, got {value!r}"
    if isinstance(value, (bool, np.bool_)) or is_symbolic(value):
        raise ValueError(msg)
    try:
        as_int = int(value)
    except (TypeError, ValueError, OverflowError):
        # int('abc'), int(None), int(inf), int(nan)
        raise ValueError(msg) from None
    try:
        integral = as_int == value
    except Exception:  # exotic __eq__
        integral = False
    if not integral or as_int < minimum or (maximum is not None and as_int > maximum):
        raise ValueError(msg)
    return as_int


def check_tol(value: Any, name: str, *, allow_none: bool = True, positive: bool = False) -> float | None:
    """A finite real tolerance (``>= 0``, or ``> 0`` with ``positive``); strings are never parsed."""
    if value is None and allow_none:
        return None
    kind = "> 0" if positive else ">= 0"
    msg = f"{name}: must be a finite number {kind}, got {value!r}"
    if isinstance(value, (str, bytes, bool, np.bool_, complex, np.complexfloating)) or is_symbolic(value):
        raise ValueError(msg)
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(msg) from None
    if not math.isfinite(v) or v < 0 or (positive and v == 0):
        raise ValueError(msg)
    return v


def check_seed(seed: Any, name: str = "seed") -> Any:
    """None, a non-negative integer (or a sequence of them), or a numpy Generator/BitGenerator/SeedSequence."""
    if seed is None or isinstance(seed, (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)):
        return seed
    msg = (f"{name}: must be None, a non-negative integer, a sequence of them, or a numpy Generator, "
           f"got {seed!r}")
    if isinstance(seed, (bool, np.bool_, str, bytes)):
        raise ValueError(msg)
    if isinstance(seed, (int, np.integer)):
        if seed < 0:
            raise ValueError(msg)
        return int(seed)
    if isinstance(seed, (list, tuple, np.ndarray)):
        arr = np.asarray(seed)
        if arr.ndim == 1 and arr.size and arr.dtype.kind in "iu" and np.all(arr >= 0):
            return seed
    raise ValueError(msg)
