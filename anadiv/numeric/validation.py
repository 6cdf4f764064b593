"""Argument checks shared by the numeric code.

Every check raises ``ValueError`` whose message starts with the name of the
offending argument, so a user can tell at once which input is wrong.

What counts as a number: Python ints and floats, :class:`fractions.Fraction`
(any :class:`numbers.Real`), :class:`decimal.Decimal`, numpy integer and
floating scalars, and arrays or (regular) nested lists of them. Refused, whatever the argument: strings and
bytes (never parsed, let alone evaluated), bools (``True`` is almost always a
slip, not the number 1), complex numbers, ``datetime64``/``timedelta64``,
``None`` and other objects, and values too large for float64 (a Python int
such as ``10**400``). sympy objects are recognised by :func:`is_symbolic`;
this module never imports sympy except in :func:`as_sympy`, which only the
symbolic path calls.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Literal, overload

import numpy as np

# dtype kinds that are never real numbers, with the words used in messages
_REFUSED_KINDS = {
    "b": "bool",
    "c": "complex number",
    "M": "datetime64 value",
    "m": "timedelta64 value",
    "U": "string",
    "S": "bytes value",
    "V": "raw (void) value",
}


def is_symbolic(value: Any) -> bool:
    """True for sympy objects, detected without importing sympy."""
    return type(value).__module__.split(".", 1)[0] == "sympy"


def as_float_array(value: Any, name: str) -> np.ndarray:
    """Convert to a floating array, keeping float32/float64, promoting ints.

    Raises
    ------
    ValueError
        Naming ``name``, for anything but real numbers (see the module
        docstring), for nested lists of unequal lengths, and for values too
        large for float64.
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists, objects whose __array__ fails, ...
        hint = "; nested lists of unequal lengths?" if isinstance(value, (list, tuple)) else ""
        raise ValueError(f"{name}: cannot be converted to an array of numbers{hint} ({_first_line(exc)})") from None
    kind = arr.dtype.kind
    if kind == "f":  # the common case first: nothing to convert
        return arr
    if kind in "iu":
        return arr.astype(np.float64)
    if kind == "O":  # Python ints beyond int64, Fractions, Decimals, None, mixtures
        return _from_objects(arr, name)
    what = _REFUSED_KINDS.get(kind, "value")
    if arr.ndim == 0:
        raise ValueError(f"{name}: must be a real number, got a {what}{_shown(value)}")
    raise ValueError(f"{name}: must be real numbers, got an array of {what}s (dtype {arr.dtype})")


def _from_objects(arr: np.ndarray, name: str) -> np.ndarray:
    out = np.empty(arr.shape, dtype=np.float64)
    flat = out.reshape(-1)
    noun = "a real number" if arr.ndim == 0 else "real numbers"
    for i, item in enumerate(arr.reshape(-1)):
        flat[i] = _real(item, name, noun)
    return out


def _is_decimal(item: Any) -> bool:
    # without importing decimal (import anadiv stays lean): only a Decimal's module has it loaded
    decimal = sys.modules.get("decimal")
    return decimal is not None and isinstance(item, decimal.Decimal)


def _real(item: Any, name: str, noun: str = "real numbers") -> float:
    """One element of an object array as a float, or a ValueError naming ``name``."""
    if isinstance(item, (bool, np.bool_)):
        raise ValueError(f"{name}: must be {noun}, got a bool ({item!r})")
    if not (isinstance(item, numbers.Real) or _is_decimal(item)):
        if is_symbolic(item):
            raise ValueError(
                f"{name}: sympy values inside a list or array are not supported; pass one sympy expression, "
                "or a sympy.Matrix for a vector parameter"
            )
        what = "None" if item is None else f"a {type(item).__name__}{_shown(item)}"
        raise ValueError(f"{name}: must be {noun}, got {what}")
    try:
        x = float(item)
    except OverflowError:
        x = math.inf
    except (TypeError, ValueError) as exc:  # a signalling Decimal NaN, an exotic Real
        raise ValueError(f"{name}: cannot be converted to float64 ({_first_line(exc)})") from None
    if math.isinf(x) and not _is_infinite(item):
        raise ValueError(f"{name}: {_magnitude(item)} is too large for float64 (largest about 1.8e308)")
    return x


def _is_infinite(item: Any) -> bool:
    if _is_decimal(item):
        return item.is_infinite()
    if isinstance(item, numbers.Rational):  # ints and Fractions are finite
        return False
    try:
        return math.isinf(item)
    except (TypeError, ValueError, OverflowError):
        return False


def _magnitude(item: Any) -> str:
    """A short description of a huge number (``str`` of a 5000-digit int fails)."""
    try:
        if isinstance(item, numbers.Integral):
            exponent = math.log10(abs(int(item)))
        elif isinstance(item, numbers.Rational):
            exponent = math.log10(abs(item.numerator)) - math.log10(item.denominator)
        else:
            return f"{item!s:.40}"
    except (ValueError, OverflowError):
        return "the value"
    sign = "-" if item < 0 else ""
    return f"{sign}{type(item).__name__} of about 10**{int(exponent)}"


def _shown(value: Any) -> str:
    """`` (value)`` for a short scalar, for the message; nothing for arrays."""
    if isinstance(value, (np.ndarray, list, tuple)):
        return ""
    text = repr(value)
    return f" ({text})" if len(text) <= 40 else ""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def as_sympy(value: Any, name: str) -> Any:
    """A parameter of a symbolic distribution as a sympy object, never by parsing text.

    sympy objects are returned as they are. Numbers are checked like
    :func:`as_float_array` (strings, bools, complex, ... are refused) and
    converted exactly: ints to ``Integer``, Fractions to ``Rational``, floats
    and Decimals to ``Float``; a 1-D array or list becomes a column
    ``Matrix``, a 2-D one a ``Matrix``.
    """
    if is_symbolic(value):
        return value
    import sympy  # only the symbolic path gets here

    as_float_array(value, name)  # the type and range checks; the floats are not used
    arr = np.asarray(value)
    if arr.ndim == 0:
        return _sympy_number(arr.item())
    if arr.ndim > 2:
        raise ValueError(f"{name}: a symbolic parameter is a scalar, a vector or a matrix, got shape {arr.shape}")
    rows = arr.tolist()  # Python ints stay ints (exact), floats stay floats
    if arr.ndim == 1:
        return sympy.Matrix([_sympy_number(v) for v in rows])
    return sympy.Matrix([[_sympy_number(v) for v in row] for row in rows])


def _sympy_number(item: Any) -> Any:
    import sympy

    if isinstance(item, numbers.Integral):
        return sympy.Integer(int(item))
    if isinstance(item, numbers.Rational):
        return sympy.Rational(int(item.numerator), int(item.denominator))
    if _is_decimal(item):
        return sympy.Float(str(item))
    return sympy.Float(float(item))


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


# ------------------------------------------------ estimator / quadrature knobs
# Shared by the estimators (anadiv.estimators) (and anything else that takes
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


@overload
def check_tol(value: Any, name: str, *, allow_none: Literal[False], positive: bool = False) -> float: ...


@overload
def check_tol(value: Any, name: str, *, allow_none: bool = True, positive: bool = False) -> float | None: ...


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
