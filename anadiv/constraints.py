r"""Parameter constraints: the set of values a family parameter may take.

A :class:`Constraint` is a small object that knows one domain. Every place
that needs to know what a parameter may be asks its constraint:

* :meth:`Constraint.check` validates numeric values (``ValueError`` whose
  message starts with the argument's name): numpy arrays with numpy, torch
  tensors and JAX arrays with their own library's operations on their device
  (one reduction, one host synchronisation; a traced array has its shape
  checked only), with the same messages;
* :meth:`Constraint.check_sympy` refuses a sympy value known to lie outside
  the domain and keeps one whose sign sympy cannot decide;
* :meth:`Constraint.draw` draws test values from a typical range;
* :meth:`Constraint.sympy_assumptions` and :meth:`Constraint.sympy_conditions`
  give the assumptions of the parameter's symbol and the relations a
  derivation is valid under;
* :attr:`Constraint.event_ndim` is the number of rightmost axes that make up
  one value (0 for a scalar, 1 for a vector, 2 for a matrix).

================================  ==============================================  ==========
constraint                        domain                                          event_ndim
================================  ==============================================  ==========
:data:`real`                      :math:`\mathbb{R}` (finite)                     0
:data:`positive`                  :math:`(0, \infty)`                             0
``interval(low, high)``           :math:`(low, high)`; either end may be closed   0
:data:`unit_interval`             :math:`(0, 1)`                                  0
:data:`nonnegative_integer`       :math:`\{0, 1, 2, \dots\}`                      0
``integer_interval(low, high)``   :math:`\{low, \dots, high\}`                    0
:data:`simplex`                   :math:`p_i \ge 0,\ \sum_i p_i = 1`              1
:data:`positive_definite`         symmetric positive-definite matrices            2
``independent(base, ndims=1)``    arrays whose entries each satisfy ``base``      base + ndims
================================  ==============================================  ==========

The bare strings of earlier versions (``"real"``, ``"positive"``,
``"unit_interval"``, ``"vector"``, ``"pd_matrix"``) are still accepted by
:func:`as_constraint`, with a ``DeprecationWarning``, through the one table
:data:`SHORTHANDS`.

This module never imports sympy at import time: the ``*sympy*`` methods
import it when called (only the symbolic path calls them).

Examples
--------
>>> import numpy as np
>>> from anadiv.constraints import positive, simplex, independent
>>> positive.check(2.0, "sigma")
array(2.)
>>> simplex.check(np.array([0.2, 0.3, 0.5]), "probs")
array([0.2, 0.3, 0.5])
>>> independent(positive).event_ndim
1
>>> positive.check(-1.0, "sigma")
Traceback (most recent call last):
...
ValueError: sigma: must be > 0, got -1.0
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

import numpy as np

from .numeric.validation import ArrayLibrary, as_float_array, check_finite, check_positive, kept_library

__all__ = [
    "Constraint",
    "real",
    "positive",
    "interval",
    "unit_interval",
    "nonnegative_integer",
    "integer_interval",
    "simplex",
    "positive_definite",
    "independent",
    "as_constraint",
    "SHORTHANDS",
]


def _number(x: float) -> str:
    """An interval end as written in messages: ``0`` rather than ``0.0``."""
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _first_bad(value: np.ndarray, ok: np.ndarray) -> float:
    return float(value[~ok].ravel()[0])


def _empty(value: Any) -> bool:
    return math.prod(value.shape) == 0


def _namespace(value: Any) -> Any:
    from .numeric.xp import namespace  # deferred: import anadiv stays lean

    return namespace(value)


class Constraint:
    """The domain of one parameter; subclasses say only what differs.

    The defaults describe an unconstrained real scalar. Constraints compare
    equal when they describe the same domain (``independent(real) ==
    independent(real)``).

    Examples
    --------
    >>> from anadiv.constraints import real
    >>> real.sympy_assumptions()
    {'real': True}
    >>> real.event_ndim
    0
    """

    #: Number of rightmost axes that make up one value.
    event_ndim: int = 0
    #: Whether the values are integers (counts).
    is_discrete: bool = False
    #: Range test values are drawn from when the parameter gives none.
    typical: tuple[float, float] = (-3.0, 3.0)

    # ------------------------------------------------------------- identity
    def _key(self) -> tuple[Any, ...]:
        return ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            warnings.warn(
                f"comparing a constraint with the string {other!r} is deprecated; compare with the objects "
                "of anadiv.constraints",
                DeprecationWarning,
                stacklevel=2,
            )
            return SHORTHANDS.get(other) == self
        if type(other) is not type(self):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))

    def __repr__(self) -> str:
        return type(self).__name__.lower()

    # -------------------------------------------------------------- numeric
    def check(self, value: Any, name: str) -> Any:
        """Validate ``value``; return the array the family keeps.

        Parameters
        ----------
        value : array_like, torch.Tensor or JAX array
            Real numbers (a float array is used as it is). A torch tensor or
            a JAX array is checked with its own library's operations, on its
            device (one host synchronisation, the ``bool`` of the reduction;
            the values are copied to the host only to word an error), and
            returned as given. A traced array (under ``jax.jit``,
            ``torch.func`` or ``torch.compile``) has no values: only its
            shape is checked.
        name : str
            The argument's name, which starts every error message.

        Returns
        -------
        numpy.ndarray, torch.Tensor or JAX array
            ``value`` as a float array (for :data:`positive_definite`, an
            immutable copy whose Cholesky factor is remembered); a tensor or
            JAX array as given.

        Raises
        ------
        ValueError
            ``"<name>: ..."`` when a value lies outside the domain (the same
            message for every array library).
        """
        if type(value) is not np.ndarray:
            lib = kept_library(value)
            if lib is not None:
                return self._check_kept(value, name, lib)
            value = as_float_array(value, name)
        return self._check_numpy(value, name)

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        """:meth:`check` for a numpy float array."""
        if value.ndim == 0 and math.isfinite(value):
            return value  # the scalar hot path: one float test
        check_finite(value, name)
        return value

    def _check_shape(self, value: Any, name: str) -> None:
        """The shape test of the domain (any array library); nothing for scalar domains."""

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        """Whether ``value`` lies in the domain: a boolean array of the value's library (reduced by the caller)."""
        if _empty(value):
            return _namespace(value).isfinite(value)
        low, high = lib.extremes(value)  # NaN propagates: both tests fail
        return (low > -math.inf) & (high < math.inf)

    def _check_kept(self, value: Any, name: str, lib: ArrayLibrary) -> Any:
        """:meth:`check` for a torch tensor or JAX array: its own operations, one synchronisation."""
        self._check_shape(value, name)
        if lib.traced(value) or lib.all_true(self._holds(value, lib)):
            return value
        # the error path: the numpy check on a host copy words the same message
        self._check_numpy(lib.to_host(value), name)
        raise ValueError(f"{name}: must lie in the domain {self!r}")  # pragma: no cover - numpy agrees

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        """Test values: a float for ``shape=()``, else an array of ``shape`` (batch + event axes).

        ``typical`` defaults to :attr:`typical`. Plain reals are uniform in it.
        """
        lo, hi = self.typical if typical is None else typical
        if shape == ():
            return float(rng.uniform(lo, hi))
        return rng.uniform(lo, hi, size=shape)

    # ------------------------------------------------------------- symbolic
    def sympy_assumptions(self) -> dict[str, bool]:
        """Assumptions for the sympy symbol standing for the parameter (or for one entry of it)."""
        return {"real": True}

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        """Unevaluated sympy relations that state the constraint for ``symbol``.

        Unevaluated because the symbol's assumptions would turn ``sigma > 0``
        into ``True``; a derivation lists them as the conditions it holds under.
        """
        return []

    def check_sympy(self, value: Any, name: str) -> None:
        """Refuse a sympy value known to break the constraint; keep one sympy cannot decide.

        A number is decided outright (``Integer(-1)`` is not a valid scale);
        an expression is refused only when sympy can tell it breaks the
        constraint (a symbol declared negative for a positive parameter).
        """
        import sympy

        if isinstance(value, (sympy.MatrixBase, sympy.MatrixExpr)):
            raise ValueError(f"{name}: must be a scalar, got a matrix of shape {value.shape}")
        _check_sympy_real(value, name)
        self._check_sympy_domain(value, name)

    def _check_sympy_domain(self, expr: Any, name: str) -> None:
        """Scalar domain test for a finite real sympy expression; nothing for plain reals."""


def _check_sympy_real(expr: Any, name: str) -> None:
    import sympy

    if not isinstance(expr, sympy.Expr):
        raise ValueError(f"{name}: must be a sympy expression, got {type(expr).__name__} ({expr})")
    if expr.has(sympy.nan, sympy.zoo, sympy.oo, -sympy.oo):
        raise ValueError(f"{name}: must be finite, got {expr}")
    if expr.is_extended_real is False:
        raise ValueError(f"{name}: must be real, got {expr}")


class Real(Constraint):
    """Any finite real number (see :data:`real`)."""


class Positive(Constraint):
    r"""Finite numbers :math:`> 0` (see :data:`positive`); test values are drawn log-uniformly."""

    typical = (0.3, 3.0)

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        if value.ndim == 0 and 0.0 < float(value) < math.inf:
            return value
        check_positive(value, name)
        return value

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        if _empty(value):
            return _namespace(value).isfinite(value)
        low, high = lib.extremes(value)  # NaN propagates: both tests fail
        return (low > 0) & (high < math.inf)

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        lo, hi = self.typical if typical is None else typical
        if lo <= 0:  # a range reaching 0 cannot be log-uniform
            return super().draw(rng, (lo, hi), shape)
        if shape == ():
            return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        return np.exp(rng.uniform(np.log(lo), np.log(hi), size=shape))

    def sympy_assumptions(self) -> dict[str, bool]:
        return {"positive": True}

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        import sympy

        return [sympy.StrictGreaterThan(symbol, 0, evaluate=False)]

    def _check_sympy_domain(self, expr: Any, name: str) -> None:
        if expr.is_positive is False:
            raise ValueError(f"{name}: must be > 0, got {expr}")


class Interval(Constraint):
    """Finite numbers between ``low`` and ``high``, each end open or closed (see :func:`interval`)."""

    def __init__(self, low: float, high: float, *, low_closed: bool = False, high_closed: bool = False,
                 _name: str | None = None) -> None:
        low, high = float(low), float(high)
        if not (math.isfinite(low) and math.isfinite(high) and low < high):
            raise ValueError(f"low, high: need finite low < high, got {low!r}, {high!r}")
        self.low, self.high = low, high
        self.low_closed, self.high_closed = bool(low_closed), bool(high_closed)
        self.typical = (low, high)
        self._name = _name

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high, self.low_closed, self.high_closed)

    @property
    def text(self) -> str:
        """The interval as written in messages: ``(0, 1)``, ``[0, 1)``, ..."""
        left = "[" if self.low_closed else "("
        right = "]" if self.high_closed else ")"
        return f"{left}{_number(self.low)}, {_number(self.high)}{right}"

    def __repr__(self) -> str:
        return self._name or f"interval{self.text}"

    def _inside(self, value: np.ndarray) -> np.ndarray:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return above & below

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        check_finite(value, name)
        ok = self._inside(value)
        if not np.all(ok):
            raise ValueError(f"{name}: must lie in {self.text}, got {_first_bad(value, ok)!r}")
        return value

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        if _empty(value):
            return _namespace(value).isfinite(value)
        low, high = lib.extremes(value)  # finite ends: inside them is finite; NaN fails both tests
        return self._inside(low) & self._inside(high)

    def sympy_assumptions(self) -> dict[str, bool]:
        if self.low > 0 or (self.low == 0 and not self.low_closed):
            return {"positive": True}
        if self.low == 0:
            return {"nonnegative": True}
        if self.high < 0 or (self.high == 0 and not self.high_closed):
            return {"negative": True}
        if self.high == 0:
            return {"nonpositive": True}
        return {"real": True}

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        import sympy

        lower = sympy.GreaterThan if self.low_closed else sympy.StrictGreaterThan
        upper = sympy.LessThan if self.high_closed else sympy.StrictLessThan
        return [lower(symbol, _sympy_end(self.low), evaluate=False), upper(symbol, _sympy_end(self.high), evaluate=False)]

    def _check_sympy_domain(self, expr: Any, name: str) -> None:
        above = expr - _sympy_end(self.low)
        below = _sympy_end(self.high) - expr
        outside = (
            (above.is_nonnegative if self.low_closed else above.is_positive) is False
            or (below.is_nonnegative if self.high_closed else below.is_positive) is False
        )
        if outside:
            raise ValueError(f"{name}: must lie in {self.text}, got {expr}")


def _sympy_end(x: float) -> Any:
    import sympy

    return sympy.Integer(int(x)) if float(x).is_integer() else sympy.Float(x)


class IntegerInterval(Constraint):
    """Integers from ``low`` to ``high`` inclusive; ``high`` may be infinite (see :func:`integer_interval`)."""

    is_discrete = True

    def __init__(self, low: int, high: float = math.inf, _name: str | None = None) -> None:
        if not _integral(low) or not (_integral(high) or high == math.inf) or high < low:
            raise ValueError(f"low, high: need integers low <= high (high may be inf), got {low!r}, {high!r}")
        self.low = int(low)
        self.high = high if high == math.inf else int(high)
        self.typical = (float(self.low), float(self.high if high != math.inf else self.low + 10))
        self._name = _name

    def _key(self) -> tuple[Any, ...]:
        return (self.low, self.high)

    @property
    def text(self) -> str:
        """The domain as written in messages."""
        if self.high == math.inf:
            return "a non-negative integer" if self.low == 0 else f"an integer >= {self.low}"
        return f"an integer in [{self.low}, {self.high}]"

    def __repr__(self) -> str:
        return self._name or f"integer_interval({self.low}, {self.high})"

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        check_finite(value, name)
        ok = (value == np.floor(value)) & (value >= self.low) & (value <= self.high)
        if not np.all(ok):
            raise ValueError(f"{name}: must be {self.text}, got {_first_bad(value, ok)!r}")
        return value

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        xp = _namespace(value)
        return xp.isfinite(value) & (value == xp.floor(value)) & (value >= self.low) & (value <= self.high)

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        """Integers uniform in ``typical`` (clipped to the domain): an ``int`` for ``shape=()``."""
        lo, hi = self.typical if typical is None else typical
        lo, hi = int(max(math.ceil(lo), self.low)), int(min(math.floor(hi), self.high))
        if shape == ():
            return int(rng.integers(lo, hi, endpoint=True))
        return rng.integers(lo, hi, size=shape, endpoint=True)

    def sympy_assumptions(self) -> dict[str, bool]:
        sign = {"positive": True} if self.low > 0 else {"nonnegative": True} if self.low == 0 else {}
        return {"integer": True, **sign}

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        import sympy

        out = [sympy.GreaterThan(symbol, self.low, evaluate=False)]
        if self.high != math.inf:
            out.append(sympy.LessThan(symbol, self.high, evaluate=False))
        return out

    def _check_sympy_domain(self, expr: Any, name: str) -> None:
        if (
            expr.is_integer is False
            or (expr - self.low).is_nonnegative is False
            or (self.high != math.inf and (self.high - expr).is_nonnegative is False)
        ):
            raise ValueError(f"{name}: must be {self.text}, got {expr}")


def _integral(x: Any) -> bool:
    if isinstance(x, (bool, np.bool_)):
        return False
    return isinstance(x, numbers.Integral) or (isinstance(x, float) and x.is_integer())


class Simplex(Constraint):
    r"""Probability vectors: :math:`p_i \ge 0`, :math:`\sum_i p_i = 1` over the last axis (see :data:`simplex`).

    The sum may differ from 1 by round-off: ``sqrt(eps)`` relative (about
    1.5e-8 in float64, 3.5e-4 in float32).
    """

    event_ndim = 1
    #: range of the positive weights a test vector is normalised from
    typical = (0.1, 1.0)

    def _check_shape(self, value: Any, name: str) -> None:
        if value.ndim < 1:
            raise ValueError(f"{name}: must have shape (..., k), got a scalar")

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        xp = _namespace(value)
        entries = xp.isfinite(value) & (value >= 0)
        sums = xp.abs(xp.sum(value, axis=-1) - 1.0) <= math.sqrt(lib.eps(value))
        return entries.all() & sums.all()

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        check_finite(value, name)
        self._check_shape(value, name)
        ok = value >= 0
        if not np.all(ok):
            raise ValueError(f"{name}: must be non-negative, got {_first_bad(value, ok)!r}")
        sums = np.sum(value, axis=-1)
        error = np.abs(sums - 1.0)
        if not np.all(error <= np.sqrt(np.finfo(value.dtype).eps)):
            worst = float(np.ravel(sums)[int(np.argmax(error))])
            raise ValueError(f"{name}: must sum to 1 over the last axis, got a sum of {worst!r}")
        return value

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        """Positive weights drawn like :data:`positive` from ``typical``, normalised over the last axis."""
        if len(shape) < 1 or shape[-1] < 1:
            raise ValueError(f"shape: a simplex needs an event shape (..., k) with k >= 1, got {shape}")
        weights = positive.draw(rng, self.typical if typical is None else typical, shape)
        return weights / np.sum(weights, axis=-1, keepdims=True)

    def sympy_assumptions(self) -> dict[str, bool]:
        return {"nonnegative": True}

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        import sympy

        if not isinstance(symbol, sympy.MatrixBase):
            return []
        out = [sympy.GreaterThan(p, 0, evaluate=False) for p in symbol]
        return out + [sympy.Eq(sympy.Add(*symbol), 1, evaluate=False)]

    def check_sympy(self, value: Any, name: str) -> None:
        import sympy

        if isinstance(value, sympy.MatrixExpr) and not isinstance(value, sympy.MatrixBase):
            return  # a MatrixSymbol: nothing sympy could refute
        if isinstance(value, sympy.IndexedBase):
            return  # a vector over K symbolic coordinates (the Bregman route's symbols): the same
        if not isinstance(value, sympy.MatrixBase) or 1 not in value.shape:
            raise ValueError(f"{name}: must be a vector (a one-column sympy.Matrix), got {value}")
        for p in value:
            _check_sympy_real(p, name)
            if p.is_nonnegative is False:
                raise ValueError(f"{name}: must be non-negative, got {p}")
        total = sympy.Add(*value)
        if total.is_number and any(p.has(sympy.Float) for p in value):
            off = abs(float(total) - 1.0) > np.sqrt(np.finfo(np.float64).eps)  # the numeric rule
        else:
            off = (total - 1).is_zero is False
        if off:
            raise ValueError(f"{name}: must sum to 1, got a sum of {total}")


class PositiveDefinite(Constraint):
    """Symmetric positive-definite matrices over the last two axes (see :data:`positive_definite`).

    Symmetry allows round-off: ``max|A - A.T| <= sqrt(eps) * max|A|`` per
    matrix (about 1.5e-8 relative in float64, 3.5e-4 in float32), the
    tolerance a product such as ``B @ B.T`` needs. Positive definiteness is
    decided by a Cholesky factorization, which the validated copy keeps.
    """

    event_ndim = 2
    #: range of the eigenvalues of test matrices
    typical = (0.3, 3.0)

    def __repr__(self) -> str:
        return "positive_definite"

    def _check_shape(self, value: Any, name: str) -> None:
        if value.ndim < 2 or value.shape[-1] != value.shape[-2]:
            raise ValueError(f"{name}: must be square with shape (..., d, d), got shape {tuple(value.shape)}")

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        # the numpy rules on the value's device: finite, symmetric to sqrt(eps) relative, Cholesky succeeds
        xp = _namespace(value)
        if value.shape[-1] == 0 or math.prod(value.shape) == 0:
            return xp.isfinite(value)
        finite = xp.isfinite(value).all()
        scale = lib.amax(xp.abs(value), (-2, -1))
        asym = lib.amax(xp.abs(value - value.swapaxes(-1, -2)), (-2, -1))
        symmetric = asym <= math.sqrt(lib.eps(value)) * scale
        return finite & symmetric.all() & lib.cholesky_ok(value).all()

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        check_finite(value, name)
        self._check_shape(value, name)
        asymmetric, worst = _asymmetry(value)
        if asymmetric:
            raise ValueError(f"{name}: must be symmetric (max |{name} - {name}.T| = {worst:.3g})")
        # The factorization decides positive definiteness; the immutable copy
        # remembers its factor, so the family's kl, logpdf and sample reuse it.
        from .numeric.linalg import factored_copy  # deferred: import anadiv stays lean

        frozen, _ = factored_copy(value, name)
        return frozen

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        """Matrices ``Q diag(lambda) Q^T``: eigenvalues log-uniform in ``typical``, ``Q`` a random rotation."""
        if len(shape) < 2 or shape[-1] != shape[-2]:
            raise ValueError(f"shape: a positive-definite matrix needs an event shape (..., d, d), got {shape}")
        eig = positive.draw(rng, self.typical if typical is None else typical, shape[:-1])
        q, r = np.linalg.qr(rng.standard_normal(shape))
        q = q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]
        cov = (q * eig[..., None, :]) @ np.swapaxes(q, -1, -2)
        return 0.5 * (cov + np.swapaxes(cov, -1, -2))

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        return []  # not a relation sympy can state for a MatrixSymbol

    def check_sympy(self, value: Any, name: str) -> None:
        import sympy

        if isinstance(value, sympy.MatrixBase):
            _check_sympy_matrix(value, name)
            for entry in value:
                _check_sympy_real(entry, name)
            return
        if isinstance(value, sympy.MatrixExpr):
            return  # a MatrixSymbol: the engine derives under its assumptions
        raise ValueError(f"{name}: must be a d x d matrix (sympy.Matrix or MatrixSymbol), got {value}")


def _check_sympy_matrix(value: Any, name: str) -> None:
    rows, cols = value.shape
    if rows != cols:
        raise ValueError(f"{name}: must be square, got shape {value.shape}")
    if value.free_symbols:
        return  # signs of the entries unknown: the engine derives under its assumptions
    if all(entry.is_Rational for entry in value):  # exact entries: exact answers
        if not value.is_symmetric():
            raise ValueError(f"{name}: must be symmetric")
        if value.is_positive_definite is False:
            raise ValueError(f"{name}: must be positive definite")
        return
    # Floats: the numeric rule (round-off asymmetry up to sqrt(eps) relative is forgiven).
    try:
        arr = np.array(value.evalf(), dtype=np.float64)
    except (TypeError, ValueError):
        return  # entries that are not real numbers are refused entry by entry
    scale = float(np.max(np.abs(arr))) if arr.size else 0.0
    if float(np.max(np.abs(arr - arr.T), initial=0.0)) > np.sqrt(np.finfo(np.float64).eps) * scale:
        raise ValueError(f"{name}: must be symmetric")
    try:
        np.linalg.cholesky(arr)
    except np.linalg.LinAlgError:
        raise ValueError(f"{name}: must be positive definite") from None


# The symmetry test of large batches, in chunks small enough for the
# temporaries to stay in cache and split across threads. A thread's part
# should cover at least _MIN_PART_ENTRIES entries; within a part, matrices
# are checked in chunks of about _CHUNK_ENTRIES.
_MIN_PART_ENTRIES = 50_000
_CHUNK_ENTRIES = 32_768


def _asymmetry(cov: np.ndarray) -> tuple[bool, float]:
    """Whether some matrix has ``max|cov - cov.T| > sqrt(eps) * max|cov|``, and the largest ``|cov - cov.T|``."""
    d = cov.shape[-1]
    if d == 0 or cov.size == 0:
        return False, 0.0
    from .numeric.threads import run_parts  # deferred: import anadiv stays lean

    flat = cov.reshape((-1, d, d))
    rtol = float(np.sqrt(np.finfo(cov.dtype).eps))
    step = max(1, _CHUNK_ENTRIES // (d * d))

    def part(lo: int, hi: int) -> tuple[bool, float]:
        bad, worst = False, 0.0
        buffer = np.empty((min(step, hi - lo), d, d), dtype=cov.dtype)
        for start in range(lo, hi, step):
            a = flat[start : min(hi, start + step)]
            diff = buffer[: len(a)]
            scale = np.maximum(a.max(axis=(-2, -1)), -a.min(axis=(-2, -1)))
            np.subtract(a, np.swapaxes(a, -1, -2), out=diff)
            asym = np.abs(diff, out=diff).max(axis=(-2, -1))
            bad = bad or bool(np.any(asym > rtol * scale))
            worst = max(worst, float(asym.max()))
        return bad, worst

    results = run_parts(part, len(flat), max(1, _MIN_PART_ENTRIES // (d * d)))
    return any(r[0] for r in results), max(r[1] for r in results)


class Independent(Constraint):
    """Arrays of ``ndims`` more axes whose entries each satisfy ``base`` (see :func:`independent`)."""

    def __init__(self, base: Constraint, ndims: int = 1) -> None:
        if not isinstance(base, Constraint):
            base = as_constraint(base)
        if not isinstance(ndims, int) or isinstance(ndims, bool) or ndims < 1:
            raise ValueError(f"ndims: must be an integer >= 1, got {ndims!r}")
        self.base, self.ndims = base, ndims
        self.event_ndim = base.event_ndim + ndims
        self.is_discrete = base.is_discrete
        self.typical = base.typical

    def _key(self) -> tuple[Any, ...]:
        return (self.base, self.ndims)

    def __repr__(self) -> str:
        return f"independent({self.base!r})" if self.ndims == 1 else f"independent({self.base!r}, {self.ndims})"

    def _check_shape(self, value: Any, name: str) -> None:
        if value.ndim < self.event_ndim:
            axes = "d" if self.event_ndim == 1 else ", ".join(f"d{i + 1}" for i in range(self.event_ndim))
            got = "a scalar" if value.ndim == 0 else f"shape {tuple(value.shape)}"
            raise ValueError(f"{name}: must have shape (..., {axes}), got {got}")
        self.base._check_shape(value, name)

    def _holds(self, value: Any, lib: ArrayLibrary) -> Any:
        return self.base._holds(value, lib)

    def _check_numpy(self, value: np.ndarray, name: str) -> np.ndarray:
        self._check_shape(value, name)
        return self.base._check_numpy(value, name)

    def draw(self, rng: np.random.Generator, typical: tuple[float, float] | None = None,
             shape: tuple[int, ...] = ()) -> Any:
        """Independent draws of ``base``; ``shape=()`` gives one entry (as ``base`` draws it)."""
        return self.base.draw(rng, typical, shape)

    def sympy_assumptions(self) -> dict[str, bool]:
        return self.base.sympy_assumptions()

    def sympy_conditions(self, symbol: Any) -> list[Any]:
        import sympy

        if isinstance(symbol, sympy.MatrixBase):
            return [c for entry in symbol for c in self.base.sympy_conditions(entry)]
        if isinstance(symbol, sympy.MatrixExpr):
            return []  # entries of a MatrixSymbol have no names to state relations on
        return self.base.sympy_conditions(symbol)  # one coordinate's scalar symbol

    def check_sympy(self, value: Any, name: str) -> None:
        import sympy

        if isinstance(value, sympy.MatrixBase):
            for entry in value:
                self.base.check_sympy(entry, name)
        elif not isinstance(value, sympy.MatrixExpr):  # a MatrixSymbol has nothing to check
            self.base.check_sympy(value, name)  # a scalar: one coordinate, or broadcast


# ------------------------------------------------------------- the instances
#: Any finite real number.
real: Constraint = Real()
#: Finite numbers > 0; test values are drawn log-uniformly from the typical range.
positive: Constraint = Positive()
#: The open interval (0, 1), such as a probability that is neither 0 nor 1.
unit_interval: Constraint = Interval(0, 1, _name="unit_interval")
#: The counts 0, 1, 2, ... (a Poisson rate's support, a Binomial's ``total_count``).
nonnegative_integer: Constraint = IntegerInterval(0, _name="nonnegative_integer")
#: Probability vectors over the last axis (a Categorical's ``probs``).
simplex: Constraint = Simplex()
#: Symmetric positive-definite matrices over the last two axes (a covariance).
positive_definite: Constraint = PositiveDefinite()


def interval(low: float, high: float, *, low_closed: bool = False, high_closed: bool = False) -> Constraint:
    r"""Numbers between ``low`` and ``high``; both ends are open unless said closed.

    .. math:: \{x : low < x < high\}, \text{ with } \le \text{ at a closed end}

    Examples
    --------
    >>> from anadiv.constraints import interval
    >>> c = interval(0, 1, high_closed=True)
    >>> c
    interval(0, 1]
    >>> c.check(1.0, "p")
    array(1.)
    """
    if low == 0 and high == 1 and not low_closed and not high_closed:
        return unit_interval
    return Interval(low, high, low_closed=low_closed, high_closed=high_closed)


def integer_interval(low: int, high: float = math.inf) -> Constraint:
    r"""The integers :math:`low, low+1, \dots, high` (both ends included; ``high`` may be ``inf``).

    Examples
    --------
    >>> from anadiv.constraints import integer_interval
    >>> integer_interval(1, 6).check(3.0, "face")
    array(3.)
    >>> integer_interval(1, 6).check(7.0, "face")
    Traceback (most recent call last):
    ...
    ValueError: face: must be an integer in [1, 6], got 7.0
    """
    if low == 0 and high == math.inf:
        return nonnegative_integer
    return IntegerInterval(low, high)


def independent(base: Constraint, ndims: int = 1) -> Constraint:
    r"""Arrays whose entries each satisfy ``base``, with ``ndims`` more event axes.

    A vector of means is ``independent(real)``, a vector of scales
    ``independent(positive)``: :math:`x \in C^{d}` for ``base`` :math:`C`.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv.constraints import independent, positive
    >>> independent(positive).check(np.array([1.0, 2.0]), "scale")
    array([1., 2.])
    >>> independent(positive).check(np.array([1.0, -2.0]), "scale")
    Traceback (most recent call last):
    ...
    ValueError: scale: must be > 0, got -2.0
    """
    return Independent(base, ndims)


#: The bare strings of earlier versions, kept as a deprecated shorthand.
SHORTHANDS: dict[str, Constraint] = {
    "real": real,
    "positive": positive,
    "unit_interval": unit_interval,
    "vector": independent(real),
    "pd_matrix": positive_definite,
}


def as_constraint(value: Constraint | str, stacklevel: int = 2) -> Constraint:
    """A :class:`Constraint` as it is; a shorthand string through :data:`SHORTHANDS` (deprecated).

    Raises
    ------
    ValueError
        ``"constraint: ..."`` for an unknown string or another type.

    Examples
    --------
    >>> import warnings
    >>> from anadiv.constraints import as_constraint, positive_definite
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     as_constraint("pd_matrix") is positive_definite
    True
    """
    if isinstance(value, Constraint):
        return value
    if isinstance(value, str):
        if value not in SHORTHANDS:
            raise ValueError(f"constraint: unknown constraint {value!r}")
        warnings.warn(
            f"the constraint string {value!r} is deprecated; use anadiv.constraints "
            f"({SHORTHANDS[value]!r})",
            DeprecationWarning,
            stacklevel=stacklevel + 1,
        )
        return SHORTHANDS[value]
    raise ValueError(f"constraint: must be a Constraint from anadiv.constraints, got {value!r}")
