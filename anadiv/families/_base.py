"""The base class every distribution family derives from.

A family module declares, in one place:

* its parameters (:class:`Param`: name, constraint, typical range, meaning),
* its numeric log-density and sampler (numpy only: the numeric path never
  imports sympy),
* its support and the points where the density is not smooth (used to split
  quadrature),
* its symbolic log-density and support (sympy, imported only inside the
  ``sym_*`` class methods),
* what the rest of anadiv needs to know about it, as hooks with generic
  fallbacks here (see "Hooks" in :class:`Family`): its representation and
  derivation routes for the expectation engine, its quantile function and
  mean/variance (the estimators), its scipy and torch counterparts, whether
  it is Gaussian, and, for exponential families, its natural parameters,
  sufficient statistics and log-normalizer.

Subclasses register themselves in :data:`FAMILIES` by their ``name``: the
class that declares a name owns it. A subclass that does not declare its own
(``class MyNormal(Normal): pass``) is not registered and dispatches to its
parent's closed forms (:mod:`anadiv.registry`).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Mapping, NoReturn, TypeAlias

import numpy as np

from ..numeric.validation import as_float_array, as_param_array, as_sympy, is_symbolic, kept_library
from ..constraints import Constraint, as_constraint
from ..distribution import Distribution

#: Every family class, keyed by its lower-case name ("normal", "gamma", ...):
#: the class that declared the name, never a subclass inheriting it.
FAMILIES: dict[str, type["Family"]] = {}

#: A parameter's value: a number, an array (a batch that broadcasts like numpy) or a sympy expression.
ParamValue: TypeAlias = Any


class _Unset:
    """The default of a parameter that may be given under an alias instead (``Normal(loc=0, scale=1)``)."""

    def __repr__(self) -> str:
        return "UNSET"


#: Marks a parameter not given; the families' explicit ``__init__`` signatures use it as the default of a
#: parameter that has aliases, so either name may be passed.
UNSET: Any = _Unset()


@dataclass(frozen=True)
class Param:
    """One parameter of a family.

    Parameters
    ----------
    name : str
        Argument name, as in the constructor (``"sigma"``).
    constraint : Constraint
        The parameter's domain, from :mod:`anadiv.constraints`
        (``positive``, ``independent(real)``, ``simplex``, ...). The strings
        of earlier versions (``"positive"``, ...) are a deprecated shorthand.
        Joint constraints (``low < high``) are checked by the family's
        ``_check_joint``.
    typical : tuple of float, optional
        Range the tests draw parameter values from (log-uniformly for
        positive parameters, the eigenvalues of a positive-definite matrix);
        defaults to the constraint's.
    doc : str
        What the parameter means.
    aliases : tuple of str
        Other names the constructor accepts for it: torch's and scipy's names
        when they are a pure rename (``Normal``'s ``mu`` is ``loc`` in both).
    reparametrizations : tuple of (str, str)
        Keywords of torch or scipy that mean a function of this parameter, not
        the parameter itself (a Gamma's scipy ``scale`` is ``1/rate``), each
        with how to convert it. They are refused, with that advice: converting
        would round (``1/scale`` is not exact in floating point) and hide which
        parameter the distribution holds.

    Examples
    --------
    >>> import numpy as np
    >>> from anadiv.families import Param
    >>> from anadiv.constraints import positive
    >>> p = Param("rate", positive, (0.2, 5.0), "events per unit time")
    >>> 0.2 <= p.draw(np.random.default_rng(0)) <= 5.0
    True
    """

    name: str
    constraint: Constraint
    typical: tuple[float, float] | None = None
    doc: str = ""
    aliases: tuple[str, ...] = ()
    reparametrizations: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        # frozen: the normalised fields are set through object.__setattr__
        constraint = as_constraint(self.constraint, stacklevel=4)  # warn at the Param(...) line
        object.__setattr__(self, "constraint", constraint)
        if self.typical is None:
            object.__setattr__(self, "typical", constraint.typical)

    def sympy_assumptions(self) -> dict[str, bool]:
        """Assumptions for the sympy symbol standing for this parameter."""
        return self.constraint.sympy_assumptions()

    def draw(self, rng: np.random.Generator, shape: tuple[int, ...] = ()) -> Any:
        """A random value from the typical range (an array of ``shape`` when given)."""
        return self.constraint.draw(rng, self.typical, shape)


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
    #: The adapter of the array library (torch, JAX) whose arrays this instance holds
    #: (:func:`anadiv.numeric.validation.kept_library`); ``None`` for numpy and sympy values.
    _library: Any = None
    #: Reference measure of the density: ``"lebesgue"`` (a density on the real
    #: line) or ``"counting"`` (a probability mass function on the integers of
    #: the support, which ``sym_support`` gives as a ``sympy.Range``). The
    #: symbolic engine integrates over the support or sums over it.
    measure: ClassVar[str] = "lebesgue"

    # ------------------------------------------------------------------ hooks
    # Facts about the family that the engine, the estimators, quadrature,
    # interop and the generated tests read from the class. A hook that a family
    # cannot provide is set to ``None`` in its class body: an explicit "there is
    # none", which :meth:`undeclared_hooks` tells apart from a forgotten hook.

    #: Quantile function ``_np_quantile(u, *params)`` (numpy, broadcasting), the
    #: inverse of the cdf on (0, 1); ``None`` where there is none in closed form.
    _np_quantile: ClassVar[Callable[..., np.ndarray] | None] = None
    #: ``_np_mean_var(*params) -> (mean, variance)`` (numpy; a vector family gives
    #: the mean vector and covariance matrix), returning ``None`` where the
    #: variance is infinite for these parameters; ``None`` (the attribute) where
    #: the mean never exists.
    _np_mean_var: ClassVar[Callable[..., tuple[Any, Any] | None] | None] = None
    #: ``_scipy_frozen(*params)``: the equal frozen ``scipy.stats`` distribution
    #: (scipy imported inside); ``None`` where scipy has none.
    _scipy_frozen: ClassVar[Callable[..., Any] | None] = None
    #: Name of the equal ``torch.distributions`` class (``"Normal"``) and
    #: ``_torch_params(*params) -> dict`` its keyword arguments; ``None``: torch has none.
    torch_name: ClassVar[str | None] = None
    _torch_params: ClassVar[Callable[..., dict[str, Any]] | None] = None
    #: ``_from_torch(obj) -> parameter values`` from a torch object of class ``torch_name``, for a family whose
    #: ``_torch_params`` is no renaming of its parameters; ``None``: ``_torch_params`` in reverse
    #: (:mod:`anadiv.families._torch_objects`).
    _from_torch: ClassVar[Callable[..., tuple[Any, ...]] | None] = None
    #: A Gaussian family: ``_np_gaussian(*params) -> (mean vector, covariance
    #: matrix)`` for unbatched parameters. Mixtures, control variates, QMC and
    #: the Gaussian-mixture code use the exact Gaussian algebra for such components.
    is_gaussian: ClassVar[bool] = False
    _np_gaussian: ClassVar[Callable[..., tuple[np.ndarray, np.ndarray]] | None] = None
    #: An exponential family: ``sym_natural_params``, ``sym_sufficient_statistics``,
    #: ``sym_log_normalizer`` and ``sym_log_base_measure`` are declared.
    exponential_family: ClassVar[bool] = False
    #: How the expectation engine derives ``E_P[g(X)]`` per basis-term kind
    #: (``"pow"``, ``"logpow"``, ``"exp"``, ``"abs"``, ``"logquad"``, ``"log1m"``): a route
    #: name of :data:`anadiv.symbolic.expectations.ROUTE_FUNCTIONS` (``"mgf"``,
    #: ``"mellin"``, ``"direct"``, ...) or a callable ``route(cls, term) -> Moment``.
    #: ``None``: the generic routes (direct integration against the density,
    #: ``E|X - c|`` from the partial integral).
    expectation_routes: ClassVar[Mapping[str, Any] | None] = None

    #: ``_np_log_neg_logpdf(x, *params)``: ``log(-log p(x))`` where ``log p`` itself
    #: overflows float64 (far in a tail whose log-density falls faster than any
    #: power), exact to rounding there; quadrature integrates ``p (-log q)`` through
    #: it. ``None``: the log-density never overflows before the density underflows.
    _np_log_neg_logpdf: ClassVar[Callable[..., np.ndarray] | None] = None
    #: Hooks every family must declare (implemented, or set to ``None`` for "none").
    DECLARED_HOOKS: ClassVar[tuple[str, ...]] = ("_np_quantile", "_np_mean_var", "_scipy_frozen", "torch_name")
    #: Methods every family must implement (no fallback exists).
    REQUIRED_HOOKS: ClassVar[tuple[str, ...]] = ("_np_logpdf", "_np_sample", "_np_support", "sym_logpdf", "sym_support")
    _EXPONENTIAL_FAMILY_HOOKS: ClassVar[tuple[str, ...]] = (
        "sym_natural_params", "sym_sufficient_statistics", "sym_log_normalizer", "sym_log_base_measure",
    )

    #: Numeric hooks a user's own family may leave out: derived from ``sym_logpdf``
    #: and ``sym_support`` (see :meth:`is_own_family`). anadiv's families declare them.
    DERIVED_HOOKS: ClassVar[tuple[str, ...]] = ("_np_logpdf", "_np_sample", "_np_support")

    @classmethod
    def is_own_family(cls) -> bool:
        """Whether this is a user's own family: declared outside anadiv, with ``sym_logpdf`` and ``sym_support``.

        Such a family needs nothing else: its numeric log-density, support and
        sampler are derived (:data:`DERIVED_HOOKS`), the hooks of
        :data:`DECLARED_HOOKS` default to ``None``, and its closed forms are
        derived and cached at first use (:mod:`anadiv.codegen.on_demand`).

        Examples
        --------
        >>> from anadiv import Normal
        >>> Normal.is_own_family()
        False
        """
        module = cls.__module__ or ""
        return (
            not (module == "anadiv" or module.startswith("anadiv."))
            and cls._declares("sym_logpdf")
            and cls._declares("sym_support")
        )

    @classmethod
    def _declares(cls, hook: str) -> bool:
        """Whether a subclass (not the base) sets ``hook``, to a value or to ``None``."""
        for klass in cls.__mro__:
            if klass is Family:
                return False
            if hook in vars(klass):
                return True
        return False

    @classmethod
    def undeclared_hooks(cls) -> list[str]:
        """Hooks this family should declare and does not, each with what it is for.

        Empty for a complete family; the generated tests iterate over
        :data:`FAMILIES` and fail with this list.

        Returns
        -------
        list of str
            ``"<hook>: <what needs it>"`` for each missing hook.

        Examples
        --------
        >>> from anadiv import Normal
        >>> Normal.undeclared_hooks()
        []
        """
        missing = []
        own = cls.is_own_family()
        needs = {
            "_np_logpdf": "the numeric log-density",
            "_np_sample": "the sampler",
            "_np_support": "the numeric support",
            "sym_logpdf": "the symbolic log-density (the engine)",
            "sym_support": "the symbolic support (the engine)",
            "_np_quantile": "the quantile function for method='qmc' (or None: there is none)",
            "_np_mean_var": "mean and variance for method='control' (or None: the mean does not exist)",
            "_scipy_frozen": "the scipy.stats counterpart the tests compare with (or None: scipy has none)",
            "torch_name": "the torch.distributions counterpart (or None: torch has none)",
        }
        for hook in cls.REQUIRED_HOOKS + cls.DECLARED_HOOKS:
            if own and hook in cls.DERIVED_HOOKS + cls.DECLARED_HOOKS:
                continue  # derived from the sympy declarations, or None by default
            if not cls._declares(hook):
                missing.append(f"{hook}: {needs[hook]}")
        if not cls.name:
            missing.append("name: the registry key")
        if not cls.parameters:
            missing.append("parameters: the Param specs")
        if cls.scipy_name and not (cls._declares("_from_scipy_params") or cls._declares("_from_scipy_frozen")):
            missing.append("_from_scipy_params: the reverse of _scipy_frozen that from_scipy uses (scipy_name is set)")
        if cls.torch_name and not cls._declares("_torch_params"):
            missing.append("_torch_params: torch's keyword arguments (torch_name is set)")
        if cls.is_gaussian and not cls._declares("_np_gaussian"):
            missing.append("_np_gaussian: mean vector and covariance (is_gaussian is set)")
        if cls.exponential_family:
            for hook in cls._EXPONENTIAL_FAMILY_HOOKS:
                if not cls._declares(hook):
                    missing.append(f"{hook}: exponential_family is set")
        return missing

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
        if "parameters" in cls.__dict__:
            _check_aliases(cls)
            if "__init__" not in cls.__dict__ and cls.__init__ is not Family.__init__:
                # new parameters under a family's explicit constructor (which names the parent's): the generic one
                cls.__init__ = Family.__init__  # type: ignore[method-assign]
        if cls.__dict__.get("name"):
            old = FAMILIES.get(cls.name)
            if old is not None and old is not cls and not _redefinition(old, cls):
                raise TypeError(f"family name {cls.name!r} registered twice")
            FAMILIES[cls.name] = cls

    def __new__(cls, *args: Any, **kwargs: Any) -> "Family":
        # before the explicit constructors bind their arguments: too many values, an unknown keyword or a
        # reparametrization (a Gamma's scipy ``scale``) get a message that lists the parameters and their aliases
        if cls.parameters and len(args) > len(cls.parameters):
            names = [p.name for p in cls.parameters]
            raise TypeError(f"{cls.__name__} takes {len(names)} parameters ({', '.join(names)}), got {len(args)}")
        if kwargs and cls.parameters:
            known = _alias_table(cls)[2]
            for key in kwargs:
                if key not in known:
                    _refuse_keyword(cls, key)
        return super().__new__(cls)

    def __init__(self, *args: Any, validate: bool = True, **kwargs: Any) -> None:
        names = [p.name for p in self.parameters]
        if len(args) > len(names):
            raise TypeError(f"{type(self).__name__} takes {len(names)} parameters ({', '.join(names)}), got {len(args)}")
        values = {n: v for n, v in zip(names, args) if v is not UNSET}
        if kwargs:
            self._bind_keywords(names, values, kwargs)
        missing = [n for n in names if n not in values]
        if missing:
            raise TypeError(f"{type(self).__name__}: missing parameter(s) {', '.join(missing)}")
        self.symbolic: bool = any(is_symbolic(v) for v in values.values())
        if self.symbolic:
            # Never sympy.sympify: it parses (and evaluates) strings.
            params = {p.name: self._convert_symbolic(p, values[p.name]) for p in self.parameters}
            if validate:
                for p in self.parameters:
                    p.constraint.check_sympy(params[p.name], p.name)
                self._check_joint_symbolic(params)
        else:
            params = {p.name: self._convert(p, values[p.name]) for p in self.parameters}
            # Python numbers beside torch tensors or JAX arrays stay Python floats (weak scalars: they keep
            # the arrays' dtype and device in the generated code); numpy parameters are all numpy arrays.
            kept: frozenset[str] = frozenset()
            for v in params.values():
                if type(v) is not np.ndarray:
                    self._library = lib = kept_library(v)
                    if lib is not None:
                        kept = _one_library(values, params, lib, v)
                    break
            if validate:
                for p in self.parameters:
                    checked = self._check_param(p, params[p.name])
                    if checked is not None and p.name not in kept:  # None: an override that returns nothing
                        params[p.name] = checked
                if not self.event_ndim:
                    for v in params.values():
                        # scalars (the hot path) always broadcast; a Python float beside tensors has no ndim
                        if (v.ndim if type(v) is np.ndarray else np.ndim(v)):
                            self._check_broadcast(params)
                            break
                self._check_joint(params)
        self._params: dict[str, Any] = params

    @classmethod
    def _from_checked(cls, values: tuple[Any, ...], library: Any) -> "Family":
        """An instance holding ``values`` (in constructor order) as they are: arrays of ``library`` that their
        own library has checked (a torch object's parameters), Python numbers made floats. No conversion, no
        check: the front doors' fast way from a torch object to its family."""
        self = object.__new__(cls)
        self.symbolic = False
        self._library = library
        self._params = {
            p.name: float(v) if isinstance(v, (int, float)) else v for p, v in zip(cls.parameters, values)
        }
        return self

    @classmethod
    def _bind_keywords(cls, names: list[str], values: dict[str, Any], kwargs: dict[str, Any]) -> None:
        """Add the keyword arguments to ``values``, each under its parameter's name (aliases resolved)."""
        spelled = {n: n for n in values}  # how each parameter was given, for the messages
        for key, val in kwargs.items():
            if val is UNSET:
                continue
            name = key if key in names else _alias_table(cls)[0].get(key)
            if name is None:
                _refuse_keyword(cls, key)
            if name in values:
                if spelled[name] == key:
                    raise TypeError(f"{cls.__name__}: parameter {key!r} given twice")
                raise TypeError(f"{cls.__name__}: parameter {name!r} given twice, as {spelled[name]!r} and {key!r} "
                                f"(one is an alias of the other)")
            values[name] = val
            spelled[name] = key

    @classmethod
    def aliases(cls) -> dict[str, str]:
        """The keyword aliases the constructor accepts, each with the parameter it names.

        Examples
        --------
        >>> from anadiv import Normal
        >>> Normal.aliases()
        {'loc': 'mu', 'scale': 'sigma'}
        """
        return dict(_alias_table(cls)[0])

    # ------------------------------------------------------------------ values
    @staticmethod
    def _convert(param: Param, value: Any) -> Any:
        # torch tensors and JAX arrays are kept as given (integers in their default float dtype)
        return as_param_array(value, param.name)

    @staticmethod
    def _check_param(param: Param, value: np.ndarray) -> np.ndarray | None:
        """The value to keep (checked against the parameter's constraint)."""
        return param.constraint.check(value, param.name)

    def _check_broadcast(self, params: dict[str, np.ndarray]) -> None:
        """Batch shapes must broadcast; the message names the first two that do not."""
        try:
            np.broadcast_shapes(*(np.shape(v) for v in params.values()))
        except ValueError:
            items = list(params.items())
            for i, (n1, v1) in enumerate(items):
                for n2, v2 in items[i + 1 :]:
                    try:
                        np.broadcast_shapes(np.shape(v1), np.shape(v2))
                    except ValueError:
                        raise ValueError(
                            f"{n1}, {n2}: shapes {tuple(np.shape(v1))} and {tuple(np.shape(v2))} do not broadcast "
                            f"against each other "
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
        shapes = [s for s in map(np.shape, self._params.values()) if s]
        if not shapes:
            return ()
        first = tuple(shapes[0])
        if all(s == first for s in shapes[1:]):  # the common case, without numpy's general broadcasting
            return first
        return np.broadcast_shapes(*shapes)

    def __repr__(self) -> str:
        def fmt(v: Any) -> str:
            if isinstance(v, np.ndarray) and v.ndim == 0:
                return repr(float(v))
            if isinstance(v, np.ndarray):
                return f"array(shape={v.shape})"
            if kept_library(v) is not None:  # never a host copy of a tensor's values
                return f"{type(v).__name__}(shape={tuple(v.shape)}, dtype={v.dtype})"
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
        shape = (int(size),) if isinstance(size, (int, np.integer)) else tuple(size)
        return self._np_sample(rng, shape + self.batch_shape, *self.param_values)

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

    def quantile(self, u: Any) -> np.ndarray:
        r"""Quantile function (inverse cdf) :math:`F^{-1}(u)` for ``u`` in (0, 1), broadcasting.

        Parameters
        ----------
        u : array_like
            Probabilities in (0, 1).

        Returns
        -------
        numpy.ndarray
            The points :math:`x` with :math:`P(X \le x) = u`.

        Raises
        ------
        NotImplementedError
            When the family has no quantile function in closed form
            (``_np_quantile`` is ``None``).
        ValueError
            ``u: ...`` when ``u`` has values outside [0, 1].

        Examples
        --------
        >>> from anadiv import Exponential
        >>> float(Exponential(2.0).quantile(0.5))  # doctest: +ELLIPSIS
        0.3465...
        """
        self._require_numeric("quantile")
        fn = type(self)._np_quantile
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} has no quantile function (its _np_quantile is None)")
        u = as_float_array(u, "u")
        if np.any((u < 0) | (u > 1)):
            raise ValueError("u: probabilities must lie in [0, 1]")
        with np.errstate(divide="ignore"):
            return fn(u, *self.param_values)

    def mean_variance(self) -> tuple[np.ndarray, np.ndarray] | None:
        r"""Mean and variance :math:`(E[X], \operatorname{Var}[X])` in closed form.

        A vector family gives the mean vector and the covariance matrix.

        Returns
        -------
        tuple of numpy.ndarray, or None
            ``None`` when the variance is infinite for these parameters
            (a Student t with ``df <= 2``).

        Raises
        ------
        NotImplementedError
            When the mean never exists (Cauchy: ``_np_mean_var`` is ``None``).

        Examples
        --------
        >>> from anadiv import Gamma
        >>> [float(v) for v in Gamma(3.0, 2.0).mean_variance()]
        [1.5, 0.75]
        """
        self._require_numeric("mean_variance")
        fn = type(self)._np_mean_var
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} has no mean (its _np_mean_var is None)")
        return fn(*self.param_values)

    def to_scipy(self) -> Any:
        """The equal frozen ``scipy.stats`` distribution (the reverse of :func:`anadiv.from_scipy`).

        Raises
        ------
        NotImplementedError
            When scipy has no counterpart (``_scipy_frozen`` is ``None``).

        Examples
        --------
        >>> from anadiv import Gamma
        >>> float(Gamma(2.0, 4.0).to_scipy().mean())
        0.5
        """
        self._require_numeric("to_scipy")
        fn = type(self)._scipy_frozen
        if fn is None:
            raise NotImplementedError(f"{type(self).__name__} has no scipy.stats counterpart")
        return fn(*self.param_values)

    def to_torch(self) -> Any:
        """The equal ``torch.distributions`` object, with float64 tensor parameters (imports torch).

        Parameters that are already torch tensors are handed over as they are
        (their dtype, device and gradients kept).

        Raises
        ------
        NotImplementedError
            When torch has no counterpart (``torch_name`` is ``None``).

        Examples
        --------
        >>> from anadiv import Normal
        >>> Normal(0.0, 2.0).to_torch()  # doctest: +SKIP
        Normal(loc: 0.0, scale: 2.0)
        """
        if self.symbolic:
            raise TypeError(f"to_torch needs numeric parameters; {self!r} is symbolic")
        cls = type(self)
        if cls.torch_name is None or cls._torch_params is None:
            raise NotImplementedError(f"{cls.__name__} has no torch.distributions counterpart")
        import torch
        import torch.distributions

        # copies: torch refuses read-only arrays (a validated covariance is one)
        tensors = [v if isinstance(v, torch.Tensor) else torch.from_numpy(np.array(v, dtype=np.float64))
                   for v in self.param_values]
        return getattr(torch.distributions, cls.torch_name)(**cls._torch_params(*tensors))

    def _require_numeric(self, what: str) -> None:
        if self.symbolic:
            raise TypeError(f"{what} needs numeric parameters; {self!r} is symbolic")
        for v in self._params.values():
            lib = None if type(v) is np.ndarray else kept_library(v)
            if lib is not None:
                raise TypeError(
                    f"{what} computes with numpy; {type(self).__name__} holds {lib.name} arrays (the closed forms "
                    f"anadiv.kl, entropy and cross_entropy take them): build it from numpy values for {what}"
                )

    # anadiv's families implement these as static methods on plain arrays. A
    # user's own family (declared outside anadiv with sym_logpdf and sym_support)
    # may leave them out: these fallbacks derive them from the sympy declarations
    # (anadiv/families/_derived.py; the printed code is cached, sympy imported
    # only when it is not). ``*params: Any``: each family names its own
    # parameters (``mu, sigma``), which a type checker accepts as an override.
    @classmethod
    def _np_logpdf(cls, x: np.ndarray, *params: Any) -> np.ndarray:
        return _derived_hooks(cls, "_np_logpdf").logpdf(cls, x, *params)

    @classmethod
    def _np_sample(cls, rng: np.random.Generator, size: tuple[int, ...], *params: Any) -> np.ndarray:
        return _derived_hooks(cls, "_np_sample").sample(cls, rng, size, *params)

    @classmethod
    def _np_support(cls, *params: Any) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = _derived_hooks(cls, "_np_support").support(cls, *params)
        shape = np.broadcast_shapes(*(np.shape(p) for p in params))
        return np.broadcast_to(lo, shape), np.broadcast_to(hi, shape)

    @staticmethod
    def _np_breakpoints(*params: Any) -> tuple[np.ndarray, ...]:
        return ()

    # ------------------------------------------------------------------ random
    @classmethod
    def random_params(cls, rng: np.random.Generator) -> tuple[Any, ...]:
        """One random valid parameter point from the typical ranges (floats; arrays for a vector family)."""
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

    # ------------------------------------------------- symbolic: the engine
    @classmethod
    def sym_representation(cls) -> Any:
        """``X = transform(Y)`` with ``Y`` of a simple base density, for the expectation engine.

        Returns an :class:`anadiv.symbolic.expectations.Representation`, or
        ``None`` (this default): the engine then integrates against
        ``exp(sym_logpdf)`` over ``sym_support`` directly.
        """
        return None

    # ------------------------------------------ symbolic: exponential families
    # log p(x) = eta(theta) . T(x) - A(eta) + log h(x)
    @classmethod
    def sym_natural_params(cls, *params: Any) -> tuple[Any, ...]:
        """Natural parameters ``eta(theta)`` (exponential families)."""
        raise NotImplementedError(f"{cls.__name__} declares no exponential-family form")

    @classmethod
    def sym_sufficient_statistics(cls, x: Any) -> tuple[Any, ...]:
        """Sufficient statistics ``T(x)``, in the order of :meth:`sym_natural_params`."""
        raise NotImplementedError(f"{cls.__name__} declares no exponential-family form")

    @classmethod
    def sym_log_normalizer(cls, *eta: Any) -> Any:
        """Log-normalizer ``A(eta)`` as a function of the natural parameters."""
        raise NotImplementedError(f"{cls.__name__} declares no exponential-family form")

    @classmethod
    def sym_log_base_measure(cls, x: Any) -> Any:
        """``log h(x)``, the part of the log-density free of the parameters."""
        raise NotImplementedError(f"{cls.__name__} declares no exponential-family form")

    # ------------------------------------------------------------------ scipy
    @classmethod
    def _from_scipy_params(cls, shapes: dict[str, Any], loc: Any, scale: Any) -> tuple[Any, ...]:
        """Parameters from a univariate scipy distribution's shapes, ``loc`` and ``scale``."""
        raise NotImplementedError(f"{cls.__name__} has no converter from scipy.stats")

    @classmethod
    def _from_scipy_frozen(cls, frozen: Any) -> tuple[Any, ...]:
        """Parameters equal to a frozen scipy distribution (the reverse of ``_scipy_frozen``).

        Univariate families only declare :meth:`_from_scipy_params`; this
        binds scipy's positional and keyword arguments for them.
        """
        from ._scipy import shapes_loc_scale

        return cls._from_scipy_params(*shapes_loc_scale(frozen))


def _one_library(given: dict[str, Any], params: dict[str, Any], lib: Any, ref: Any) -> frozenset[str]:
    """Where some parameter is a torch tensor or JAX array (``ref``, of ``lib``): every parameter in that library.

    Python numbers stay Python floats (the generated code broadcasts them as
    weak scalars, keeping the arrays' dtype and device; their checks run on the
    converted value, which is then dropped: their names are returned); numpy
    arrays become ``lib``'s arrays on ``ref``'s device (a tensor does not
    combine with a numpy array in arithmetic).
    """
    names = []
    for name, value in given.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            params[name] = float(params[name])
            names.append(name)
        elif type(params[name]) is np.ndarray:
            params[name] = lib.like(params[name], ref)
    return frozenset(names)


_ALIAS_TABLES: dict[type, tuple[dict[str, str], dict[str, tuple[str, str]], frozenset[str]]] = {}


def _alias_table(cls: type[Family]) -> tuple[dict[str, str], dict[str, tuple[str, str]], frozenset[str]]:
    """A family class's ``(alias -> parameter, refused keyword -> (parameter, how to convert), every keyword
    the constructor takes)`` (cached)."""
    table = _ALIAS_TABLES.get(cls)
    if table is None:
        aliases = {a: p.name for p in cls.parameters for a in p.aliases}
        refused = {k: (p.name, how) for p in cls.parameters for k, how in p.reparametrizations}
        known = frozenset([*(p.name for p in cls.parameters), *aliases, "validate"])
        table = _ALIAS_TABLES[cls] = (aliases, refused, known)
    return table


def _refuse_keyword(cls: type[Family], key: str) -> NoReturn:
    """Raise the ``TypeError`` for a keyword the family does not take (advice for a reparametrization)."""
    refused = _alias_table(cls)[1].get(key)
    if refused is not None:
        raise TypeError(f"{cls.__name__}: {key!r} is no alias of {refused[0]!r} but a reparametrization "
                        f"({refused[1]}); {_expected(cls)}")
    raise TypeError(f"{cls.__name__}: unknown parameter {key!r}; {_expected(cls)}")


def _expected(cls: type[Family]) -> str:
    """What the constructor takes, for the message of an unknown keyword."""
    aliases = _alias_table(cls)[0]
    text = f"expected {', '.join(p.name for p in cls.parameters)}"
    if aliases:
        text += f" (aliases: {', '.join(f'{a}={n}' for a, n in aliases.items())})"
    return text


def _check_aliases(cls: type[Family]) -> None:
    """A family's aliases name one parameter each and never another parameter's name."""
    names = [p.name for p in cls.parameters]
    seen: dict[str, str] = {}
    for p in cls.parameters:
        for key in (*p.aliases, *(k for k, _ in p.reparametrizations)):
            if key in names or key in seen or key == "validate":
                other = key if key in names else seen.get(key, key)
                raise TypeError(f"{cls.__name__}: keyword {key!r} of parameter {p.name!r} is already {other!r}'s")
            seen[key] = p.name
    _ALIAS_TABLES.pop(cls, None)


def _derived_hooks(cls: type[Family], hook: str) -> Any:
    """The module deriving a user's own family's numeric hooks; an error naming ``hook`` for any other family."""
    if not (isinstance(cls, type) and issubclass(cls, Family) and cls.is_own_family()):
        raise NotImplementedError(
            f"{hook}: {getattr(cls, '__name__', cls)} implements no {hook} and cannot derive it "
            "(a family declared outside anadiv derives it from its sym_logpdf and sym_support)"
        )
    from . import _derived

    return _derived


def _redefinition(old: type[Family], new: type[Family]) -> bool:
    """A user's own family declared again where it was (a notebook cell run twice, a reloaded module).

    The new class takes the name; its closed forms are derived afresh (their
    cache key holds the class's code, see :mod:`anadiv.codegen.on_demand`).
    """
    if not (old.is_own_family() and old.__module__ == new.__module__ and old.__qualname__ == new.__qualname__):
        return False
    # the engine caches some derivations by family name: they belong to the old class
    expectations = sys.modules.get("anadiv.symbolic.expectations")
    if expectations is not None:  # not loaded: nothing cached (and no reason to import sympy)
        expectations.clear_name_caches()
    return True
