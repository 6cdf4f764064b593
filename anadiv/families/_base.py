"""The base class every distribution family derives from.

A family module declares, in one place:

* its parameters (:class:`Param`: name, constraint, typical range, meaning),
* its numeric log-density and sampler (numpy only: the numeric path never
  imports sympy),
* its support and the points where the density is not smooth (used to split
  quadrature),
* its symbolic log-density and support (sympy, imported only inside the
  ``sym_*`` class methods).

Subclasses register themselves in :data:`FAMILIES` by their ``name``: the
class that declares a name owns it. A subclass that does not declare its own
(``class MyNormal(Normal): pass``) is not registered and dispatches to its
parent's closed forms (:mod:`anadiv.registry`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .._validation import as_float_array, as_sympy, check_finite, check_positive, check_sympy, is_symbolic
from ..distribution import Distribution

#: Every family class, keyed by its lower-case name ("normal", "gamma", ...):
#: the class that declared the name, never a subclass inheriting it.
FAMILIES: dict[str, type["Family"]] = {}

_CONSTRAINTS = ("real", "positive", "unit_interval", "vector", "pd_matrix")


@dataclass(frozen=True)
class Param:
    """One parameter of a family.

    Parameters
    ----------
    name : str
        Argument name, as in the constructor (``"sigma"``).
    constraint : str
        One of ``"real"``, ``"positive"``, ``"unit_interval"``, ``"vector"``,
        ``"pd_matrix"``. Joint constraints (``low < high``) are checked by the
        family's ``_check_joint``.
    typical : tuple of float
        Range the tests draw parameter values from (log-uniformly for
        positive parameters).
    doc : str
        What the parameter means.
    """

    name: str
    constraint: str
    typical: tuple[float, float]
    doc: str = ""

    def __post_init__(self) -> None:
        if self.constraint not in _CONSTRAINTS:
            raise ValueError(f"constraint: unknown constraint {self.constraint!r}")

    def sympy_assumptions(self) -> dict[str, bool]:
        """Assumptions for the sympy symbol standing for this parameter."""
        if self.constraint in ("positive", "unit_interval"):
            return {"positive": True}
        return {"real": True}

    def draw(self, rng: np.random.Generator) -> float:
        """A random value from the typical range."""
        lo, hi = self.typical
        if self.constraint == "positive" and lo > 0:
            return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
        return float(rng.uniform(lo, hi))


class Family(Distribution):
    """A parametric family of distributions with numeric and symbolic views.

    Instances hold parameter values: floats, numpy arrays (a batch that
    broadcasts like numpy) or sympy expressions (a symbolic distribution).
    Parameter values are validated on construction unless ``validate=False``
    is passed (for hot loops): each against its constraint, the batch shapes
    against each other, and the family's joint constraints.

    Whatever ``validate`` says, a parameter must be real numbers or sympy
    objects: strings and bytes (never parsed or evaluated), bools, complex
    numbers, datetime64/timedelta64, ``None`` and numbers too large for
    float64 raise a ``ValueError`` naming the parameter. Once one parameter is
    a sympy object the distribution is symbolic; its other parameters are
    converted exactly (an int becomes a sympy ``Integer``), and a value known
    to break its constraint (a negative number, a symbol declared negative,
    for a positive parameter) is refused, while one of unknown sign is kept.
    """

    #: Lower-case name used by the registry, the CLI and generated modules.
    name: ClassVar[str] = ""
    #: Parameters in constructor order.
    parameters: ClassVar[tuple[Param, ...]] = ()
    #: 0 for univariate families, 1 for vector-valued ones.
    event_ndim: ClassVar[int] = 0
    #: scipy.stats name of the matching distribution, for interoperability.
    scipy_name: ClassVar[str | None] = None
    #: Name of the parameter that shifts the distribution (x -> x + c), if any.
    #: Divergences between two location families depend on the difference of
    #: their locations only; code generation uses it to keep that difference exact.
    location: ClassVar[str | None] = None
    #: Every parameter that moves with a shift of the variable, when that is not
    #: one location (a Uniform's ``low`` and ``high``); defaults to ``(location,)``.
    shifted: ClassVar[tuple[str, ...] | None] = None

    @classmethod
    def shifted_parameters(cls) -> tuple[str, ...]:
        """Names of the parameters that move by ``c`` when the variable does."""
        if cls.shifted is not None:
            return cls.shifted
        return (cls.location,) if cls.location else ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Only a class that declares ``name`` itself claims it: a subclass
        # inheriting its parent's name is a variant of that family, not a
        # second family of the same name.
        if cls.__dict__.get("name"):
            if cls.name in FAMILIES and FAMILIES[cls.name] is not cls:
                raise TypeError(f"family name {cls.name!r} registered twice")
            FAMILIES[cls.name] = cls

    def __init__(self, *args: Any, validate: bool = True, **kwargs: Any) -> None:
        names = [p.name for p in self.parameters]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} parameters ({', '.join(names)}), got {len(args)}")
        values = dict(zip(names, args))
        for key, val in kwargs.items():
            if key not in names:
                raise TypeError(f"{type(self).__name__}: unknown parameter {key!r}; expected {', '.join(names)}")
            if key in values:
                raise TypeError(f"{type(self).__name__}: parameter {key!r} given twice")
            values[key] = val
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{type(self).__name__}: missing parameter(s) {', '.join(missing)}")
        self.symbolic: bool = any(is_symbolic(v) for v in values.values())
        if self.symbolic:
            # Never sympy.sympify: it parses (and evaluates) strings.
            params = {p.name: self._convert_symbolic(p, values[p.name]) for p in self.parameters}
            if validate:
                for p in self.parameters:
                    check_sympy(params[p.name], p.constraint, p.name)
                self._check_joint_symbolic(params)
        else:
            params = {p.name: self._convert(p, values[p.name]) for p in self.parameters}
            if validate:
                for p in self.parameters:
                    self._check_param(p, params[p.name])
                if not self.event_ndim:
                    for v in params.values():
                        if v.ndim:  # scalars (the hot path) always broadcast
                            self._check_broadcast(params)
                            break
                self._check_joint(params)
        self._params: dict[str, Any] = params

    # ------------------------------------------------------------------ values
    @staticmethod
    def _convert(param: Param, value: Any) -> np.ndarray:
        return as_float_array(value, param.name)

    @staticmethod
    def _check_param(param: Param, value: np.ndarray) -> None:
        if param.constraint == "positive":
            check_positive(value, param.name)
        elif param.constraint == "unit_interval":
            check_finite(value, param.name)
            if not np.all((value > 0) & (value < 1)):
                raise ValueError(f"{param.name}: must lie in (0, 1)")
        else:
            check_finite(value, param.name)

    def _check_broadcast(self, params: dict[str, np.ndarray]) -> None:
        """Batch shapes must broadcast; the message names the first two that do not."""
        try:
            np.broadcast_shapes(*(v.shape for v in params.values()))
        except ValueError:
            items = list(params.items())
            for i, (n1, v1) in enumerate(items):
                for n2, v2 in items[i + 1 :]:
                    try:
                        np.broadcast_shapes(v1.shape, v2.shape)
                    except ValueError:
                        raise ValueError(
                            f"{n1}, {n2}: shapes {v1.shape} and {v2.shape} do not broadcast against each other "
                            f"in {type(self).__name__}"
                        ) from None
            raise  # pragma: no cover - some pair always fails when all of them together do

    def _check_joint(self, params: dict[str, np.ndarray]) -> None:
        """Constraints linking several parameters; override where needed."""

    @classmethod
    def _convert_symbolic(cls, param: Param, value: Any) -> Any:
        converted = as_sympy(value, param.name)
        if cls.event_ndim == 0:
            import sympy

            if not isinstance(converted, sympy.Expr) or isinstance(converted, sympy.MatrixExpr):
                if not is_symbolic(value):
                    got = f"shape {np.shape(value)}"
                elif hasattr(value, "shape"):
                    got = f"a {type(value).__name__} of shape {tuple(value.shape)}"
                else:
                    got = f"a {type(value).__name__}"
                raise ValueError(
                    f"{param.name}: a symbolic {cls.__name__} takes scalar parameters (numbers or sympy "
                    f"expressions), got {got}"
                )
        return converted

    def _check_joint_symbolic(self, params: dict[str, Any]) -> None:
        """Joint constraints that sympy can decide for symbolic parameters; override where needed."""

    def __getattr__(self, item: str) -> Any:
        params = self.__dict__.get("_params")
        if params is not None and item in params:
            return params[item]
        raise AttributeError(f"{type(self).__name__!s} has no attribute {item!r}")

    @property
    def params(self) -> dict[str, Any]:
        """Parameter values by name, in constructor order."""
        return dict(self._params)

    @property
    def param_values(self) -> tuple[Any, ...]:
        """Parameter values in constructor order."""
        return tuple(self._params[p.name] for p in self.parameters)

    @property
    def batch_shape(self) -> tuple[int, ...]:
        """Broadcast shape of the parameters (excluding event dimensions)."""
        if self.symbolic:
            return ()
        return np.broadcast_shapes(*(np.shape(v) for v in self.param_values))

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            if isinstance(v, np.ndarray) and v.ndim == 0:
                return repr(float(v))
            if isinstance(v, np.ndarray):
                return f"array(shape={v.shape})"
            return str(v)

        inner = ", ".join(f"{k}={fmt(v)}" for k, v in self._params.items())
        return f"{type(self).__name__}({inner})"

    # ----------------------------------------------------------------- numeric
    def logpdf(self, x: Any) -> np.ndarray:
        """Log-density at ``x`` (``-inf`` outside the support), broadcasting."""
        self._require_numeric("logpdf")
        # A Python float is a "weak" scalar under numpy 2 promotion, so float32
        # parameters keep float32 (the type ``float`` itself would force float64).
        x = np.asarray(x, dtype=np.result_type(0.0, *self.param_values))
        return self._np_logpdf(x, *self.param_values)

    def pdf(self, x: Any) -> np.ndarray:
        """Density at ``x``."""
        return np.exp(self.logpdf(x))

    def sample(self, size: int | tuple[int, ...] = (), rng: np.random.Generator | int | None = None) -> np.ndarray:
        """Draw samples of shape ``size + batch_shape (+ event shape)``.

        ``rng`` is a ``numpy.random.Generator`` or a seed.
        """
        self._require_numeric("sample")
        rng = np.random.default_rng(rng)
        size = (size,) if np.isscalar(size) else tuple(size)
        return self._np_sample(rng, size + self.batch_shape, *self.param_values)

    def support(self) -> tuple[np.ndarray, np.ndarray]:
        """Numeric support ``(low, high)`` (may be infinite), broadcast to the batch."""
        self._require_numeric("support")
        return self._np_support(*self.param_values)

    def breakpoints(self) -> tuple[np.ndarray, ...]:
        """Interior points where the density is not smooth or peaks sharply.

        Quadrature splits its range at these points (a Laplace's location,
        a Gamma's mode, ...).
        """
        self._require_numeric("breakpoints")
        return self._np_breakpoints(*self.param_values)

    def _require_numeric(self, what: str) -> None:
        if self.symbolic:
            raise TypeError(f"{what} needs numeric parameters; {self!r} is symbolic")

    # Subclasses implement these as static methods on plain arrays.
    @staticmethod
    def _np_logpdf(x: np.ndarray, *params: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _np_sample(rng: np.random.Generator, size: tuple[int, ...], *params: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    @staticmethod
    def _np_support(*params: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    @staticmethod
    def _np_breakpoints(*params: np.ndarray) -> tuple[np.ndarray, ...]:
        return ()

    # ------------------------------------------------------------------ random
    @classmethod
    def random_params(cls, rng: np.random.Generator) -> tuple[float, ...]:
        """One random valid parameter point from the typical ranges."""
        return tuple(p.draw(rng) for p in cls.parameters)

    # ---------------------------------------------------------------- symbolic
    @classmethod
    def symbols(cls, suffix: str = "") -> tuple[Any, ...]:
        """sympy symbols for the parameters, with assumptions from constraints.

        ``suffix`` distinguishes P's parameters from Q's (``mu_1``, ``mu_2``).
        """
        import sympy

        out = []
        for p in cls.parameters:
            name = f"{cls._latex_name(p.name)}_{suffix}" if suffix else cls._latex_name(p.name)
            out.append(sympy.Symbol(name, **p.sympy_assumptions()))
        return tuple(out)

    @staticmethod
    def _latex_name(name: str) -> str:
        return name

    @classmethod
    def sym_logpdf(cls, x: Any, *params: Any) -> Any:
        """Symbolic log-density at ``x`` (valid on the support)."""
        raise NotImplementedError

    @classmethod
    def sym_support(cls, *params: Any) -> Any:
        """Symbolic support as a sympy ``Interval``."""
        raise NotImplementedError
