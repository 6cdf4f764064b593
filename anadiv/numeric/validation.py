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

torch tensors and JAX arrays are kept as given (:func:`as_param_array`); the
adapters of :data:`KEPT_LIBRARIES` give the checks what they need of each
library without copying values to the host.
"""

from __future__ import annotations

import math
import numbers
import sys
from typing import Any, Callable, Literal, overload

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


# ------------------------------------------- arrays of other libraries, kept
# A family keeps a torch tensor or a JAX array as given (same library, device
# and dtype), so the closed forms compute in that library and gradients flow.
# What validation needs from such a library is one small adapter each, in the
# table below, keyed by the top-level module of the array's type; the library
# is imported only when one of its arrays arrives.
class ArrayLibrary:
    """What the checks need to know about one array library whose arrays families keep.

    Subclasses fill in the library's own operations; the values never leave
    the device except in :meth:`all_true` (one synchronisation: the ``bool``
    of a reduction) and, on the error path only, :meth:`to_host`.
    """

    #: The library's name, as in messages (and its key in :data:`KEPT_LIBRARIES`).
    name: str = ""

    def __reduce__(self) -> tuple[Any, ...]:
        # the one adapter of the library, found again by name (a family holding tensors pickles and copies)
        return (_library_named, (self.name,))

    def kind(self, x: Any) -> str:
        """The numpy dtype kind of ``x``: ``"f"``, ``"i"``, ``"u"``, ``"b"``, ``"c"``, ..."""
        raise NotImplementedError

    def default_float(self, x: Any) -> Any:
        """``x`` (integers) in the library's default floating dtype."""
        raise NotImplementedError

    def traced(self, x: Any) -> bool:
        """Whether ``x`` is traced by a transform (no concrete values: its checks are skipped)."""
        raise NotImplementedError

    def to_host(self, x: Any) -> np.ndarray:
        """A numpy copy of the values (the error path only)."""
        raise NotImplementedError

    def eps(self, x: Any) -> float:
        """The machine epsilon of ``x``'s floating dtype."""
        raise NotImplementedError

    def amax(self, x: Any, axes: tuple[int, ...]) -> Any:
        """The maximum over ``axes``."""
        raise NotImplementedError

    def extremes(self, x: Any) -> tuple[Any, Any]:
        """``(min, max)`` of a non-empty ``x`` in one pass where the library can, NaN if any element is NaN."""
        raise NotImplementedError

    def cholesky_ok(self, x: Any) -> Any:
        """Per matrix of the batch, whether the Cholesky factorization of ``x`` succeeds (a bool array)."""
        raise NotImplementedError

    def all_true(self, x: Any) -> bool:
        """``bool(all(x))``: the one host synchronisation of a check."""
        return bool(x.all())

    def like(self, x: np.ndarray, ref: Any) -> Any:
        """The numpy array ``x`` as an array of this library, on ``ref``'s device."""
        raise NotImplementedError


class _TorchArrays(ArrayLibrary):
    name = "torch"

    def __init__(self) -> None:
        import torch

        self.torch = torch

    def kind(self, x: Any) -> str:
        dtype = x.dtype
        if dtype.is_floating_point:
            return "f"
        if dtype.is_complex:
            return "c"
        return "b" if dtype == self.torch.bool else "i"

    def default_float(self, x: Any) -> Any:
        return x.to(self.torch.get_default_dtype())

    def traced(self, x: Any) -> bool:
        # torch.func's grad/vmap wrap tensors; torch.compile traces fake ones
        functorch = getattr(self.torch._C, "_functorch", None)
        wrapped = functorch is not None and functorch.is_functorch_wrapped_tensor(x)
        return bool(wrapped) or self.torch.compiler.is_compiling()

    def to_host(self, x: Any) -> np.ndarray:
        x = x.detach()
        if x.dtype not in (self.torch.float32, self.torch.float64):
            x = x.to(self.torch.float64)
        return np.asarray(x.cpu().numpy())

    def eps(self, x: Any) -> float:
        return float(self.torch.finfo(x.dtype).eps)

    def amax(self, x: Any, axes: tuple[int, ...]) -> Any:
        return x.amax(dim=axes)

    def extremes(self, x: Any) -> tuple[Any, Any]:
        out = self.torch.aminmax(x.detach())  # one read of the values, no temporary the size of x
        return out.min, out.max

    def cholesky_ok(self, x: Any) -> Any:
        return self.torch.linalg.cholesky_ex(x).info == 0

    def like(self, x: np.ndarray, ref: Any) -> Any:
        return self.torch.as_tensor(np.array(x), device=ref.device)  # a copy: torch refuses read-only arrays


class _JaxArrays(ArrayLibrary):
    name = "jax"

    def __init__(self) -> None:
        import jax
        import jax.numpy as jnp

        self.jax, self.jnp = jax, jnp

    def kind(self, x: Any) -> str:
        return str(np.dtype(x.dtype).kind)

    def default_float(self, x: Any) -> Any:
        return x.astype(self.jax.dtypes.canonicalize_dtype(self.jnp.float64))

    def traced(self, x: Any) -> bool:
        return isinstance(x, self.jax.core.Tracer)

    def to_host(self, x: Any) -> np.ndarray:
        return np.asarray(x)

    def eps(self, x: Any) -> float:
        return float(self.jnp.finfo(x.dtype).eps)

    def amax(self, x: Any, axes: tuple[int, ...]) -> Any:
        return x.max(axis=axes)

    def extremes(self, x: Any) -> tuple[Any, Any]:
        return x.min(), x.max()

    def cholesky_ok(self, x: Any) -> Any:
        return self.jnp.isfinite(self.jnp.linalg.cholesky(x)).all(axis=(-2, -1))

    def like(self, x: np.ndarray, ref: Any) -> Any:
        return self.jnp.asarray(x)


#: Array libraries whose arrays families keep as given, by the top-level module of the array type.
KEPT_LIBRARIES: dict[str, Callable[[], ArrayLibrary]] = {
    "torch": _TorchArrays,
    "jax": _JaxArrays,
    "jaxlib": _JaxArrays,
}
_LIBRARY_OBJECTS: dict[Callable[[], ArrayLibrary], ArrayLibrary] = {}


def _library_named(name: str) -> ArrayLibrary:
    make = KEPT_LIBRARIES[name]
    lib = _LIBRARY_OBJECTS.get(make)
    if lib is None:
        lib = _LIBRARY_OBJECTS[make] = make()
    return lib


def kept_library(value: Any) -> ArrayLibrary | None:
    """The adapter of ``value``'s library when families keep its arrays as given (torch, JAX); else ``None``.

    Decided from the type's module without importing anything for numpy
    arrays, Python numbers and lists.

    Examples
    --------
    >>> import numpy as np
    >>> kept_library(np.ones(2)) is None
    True
    """
    module = type(value).__module__.partition(".")[0]
    return _library_named(module) if module in KEPT_LIBRARIES else None


def as_param_array(value: Any, name: str) -> Any:
    """A numeric parameter as the family keeps it.

    torch tensors and JAX arrays are kept as given (same library, device and
    dtype; nothing is copied to the host): floating arrays as they are,
    integer arrays in their library's default floating dtype (torch's
    ``torch.get_default_dtype()``, float32 unless changed; JAX's float32, or
    float64 with ``jax_enable_x64``). Boolean and complex arrays are refused
    like numpy ones. Anything else goes through :func:`as_float_array`.

    Raises
    ------
    ValueError
        Naming ``name``, as :func:`as_float_array`.
    """
    if type(value) is np.ndarray and value.dtype.kind == "f":
        return value  # the common numpy case, first
    if type(value) is float:  # the scalar hot path: no library to look up
        return as_float_array(value, name)
    lib = kept_library(value)
    if lib is None:
        return as_float_array(value, name)
    kind = lib.kind(value)
    if kind == "f":
        return value
    if kind in "iu":
        return lib.default_float(value)
    what = _REFUSED_KINDS.get(kind, "value")
    raise ValueError(f"{name}: must be real numbers, got a {lib.name} array of {what}s (dtype {value.dtype})")


def all_true(x: Any) -> bool:
    """Whether every element of a boolean array (numpy, torch, JAX) or a Python bool is true.

    A kept library's array computes the reduction on its device and
    synchronises once; a traced one (under ``jax.jit``, ``torch.func``) has no
    values to test and counts as true (its checks are skipped).
    """
    if isinstance(x, (bool, np.bool_, np.ndarray)):
        return bool(np.all(x))
    lib = kept_library(x)
    if lib is None:
        return bool(np.all(x))
    return True if lib.traced(x) else lib.all_true(x)


def with_library(values: tuple[Any, ...], lib: ArrayLibrary) -> tuple[Any, ...]:
    """Parameter values of two distributions, one holding ``lib``'s arrays: numpy ones moved into ``lib``.

    A 0-d numpy array becomes a Python float (a weak scalar, which keeps the
    arrays' dtype); a larger one an array of ``lib`` on the device of the
    first of ``lib``'s arrays. A torch tensor does not combine with a numpy
    array in arithmetic, so the generated code needs one library.
    """
    ref = next(v for v in values if kept_library(v) is lib)
    out = []
    for v in values:
        if type(v) is np.ndarray:
            v = float(v) if v.ndim == 0 else lib.like(v, ref)
        out.append(v)
    return tuple(out)


def to_numpy(x: Any) -> np.ndarray:
    """A numpy copy of a parameter's values (numpy as is; torch and JAX copied to the host): for messages."""
    lib = kept_library(x)
    return np.asarray(x) if lib is None else lib.to_host(x)
