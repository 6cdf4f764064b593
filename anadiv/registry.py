r"""The open registry of closed forms, and dispatch along the class hierarchy.

One registry per divergence kind (``"kl"``, ``"cross_entropy"``,
``"entropy"``) holds *rules*: a function for a pair of distribution classes
``(P, Q)`` (one class for an entropy). Rules come from three places
(:attr:`Rule.source`):

* ``"generated"``: the closed forms of :mod:`anadiv._generated._index`,
  keyed there by family names and mapped here to the classes that declare
  those names. Their functions take raw parameter values (P's, then Q's)
  and their modules are imported on first use.
* ``"registered"``: hand-written rules added with
  :func:`register_closed_form`. Their functions take the distribution
  objects.
* ``"derived"``: closed forms of a user's own family (declared outside
  anadiv, so absent from the generated index), derived, rendered and cached
  by :mod:`anadiv.codegen.on_demand` at the first look-up that finds no other
  rule. They take raw parameter values like the generated ones.
* ``"composite"``: anadiv's own rules for wrappers that reduce to their parts'
  closed forms, such as :class:`~anadiv.Independent` (a sum over event
  dimensions). They take the distribution objects too.
* ``"builtin"``: anadiv's own hand-written closed forms for family pairs the
  engine does not derive (:mod:`anadiv.gaussian_pairs`: the Gaussians of
  different covariance structure), registered with
  :func:`register_closed_form` like the user's, listed like the generated
  ones. They take the distribution objects.

Dispatch
--------
A call with distributions of classes :math:`(X, Y)` is matched by every rule
:math:`(P, Q)` with :math:`X \subseteq P` and :math:`Y \subseteq Q`
(``issubclass``), so a subclass of a family uses its parent's closed forms.
A match's distance is

.. math:: d(P, Q) = (\operatorname{mro}(X).\mathrm{index}(P),\ \operatorname{mro}(Y).\mathrm{index}(Q)),

and the most specific match is the one whose distance is smallest in *both*
coordinates. When no match is (one rule is nearer on P's side, another on
Q's), :class:`~anadiv.errors.AmbiguousClosedFormError` is raised naming the
tied rules, rather than a silent choice that would change the numbers; a
rule registered for :math:`(X, Y)` itself settles it. A rule registered for
exactly the classes of a generated one replaces it (and
:func:`unregister_closed_form` brings the generated one back).

Resolved look-ups are cached per ``(kind, X, Y)`` in :data:`RESOLVED` (and
the functions of generated rules in :data:`RAW`, which :mod:`anadiv.api`
reads inline, so the scalar hot path costs one dict look-up); registering or
removing a rule clears both.

Examples
--------
>>> import math
>>> import anadiv
>>> from anadiv import Normal, register_closed_form, unregister_closed_form
>>> class MyNormal(Normal):  # no name of its own: Normal's closed forms apply
...     pass
>>> round(anadiv.kl(MyNormal(0.0, 1.0), Normal(1.0, 2.0)), 6)
0.443147
>>> @register_closed_form("entropy", MyNormal)  # a rule of its own wins over Normal's
... def _entropy_my_normal(p):
...     return 0.5 * math.log(2.0 * math.pi * math.e) + math.log(float(p.sigma))
>>> round(anadiv.entropy(MyNormal(0.0, 2.0)), 6)
2.112086
>>> _ = unregister_closed_form("entropy", MyNormal)
"""

from __future__ import annotations

import importlib
import math
from typing import TYPE_CHECKING, Any, Callable, TypeVar

from ._generated import _index
from .distribution import Distribution
from .errors import AmbiguousClosedFormError
from .kinds import KINDS

if TYPE_CHECKING:
    from .families._base import Family

__all__ = [
    "Rule",
    "RESOLVED",
    "RAW",
    "register_closed_form",
    "unregister_closed_form",
    "resolve",
    "rules",
    "forget",
    "mutually_singular",
]

_SOURCES = ("generated", "registered", "composite", "builtin", "derived")
_STATUSES = ("finite", "infinite", "conditional", "partial")

F = TypeVar("F", bound=Callable[..., Any])


class Rule:
    """One closed form in the registry.

    Attributes
    ----------
    kind : str
        ``"kl"``, ``"cross_entropy"`` or ``"entropy"``.
    p, q : type
        The classes the rule is registered for (``q`` is ``None`` for an
        entropy).
    function : callable or None
        The function; ``None`` for a generated rule not imported yet
        (:meth:`load`).
    raw : bool
        True when ``function`` takes raw parameter values (P's, then Q's, in
        constructor order: the generated rules); False when it takes the
        distribution objects.
    source : str
        ``"generated"``, ``"registered"``, ``"composite"``, ``"builtin"`` or
        ``"derived"`` (a user's family, at first use).
    status : str
        ``"finite"``, ``"infinite"`` (always ``inf``), ``"conditional"``
        (``inf`` for some parameter values) or ``"partial"`` (a closed form
        where parameters tie, such as equal trial counts; the function raises
        ``NoClosedFormError`` elsewhere).
    name : str
        The function's name (generated) or ``module.qualname`` (registered).
    """

    __slots__ = ("kind", "p", "q", "function", "raw", "source", "status", "name", "_module")

    def __init__(
        self,
        kind: str,
        p: type,
        q: type | None,
        function: Callable[..., Any] | None,
        *,
        raw: bool,
        source: str,
        status: str,
        name: str,
        module: str | None = None,
    ) -> None:
        self.kind, self.p, self.q, self.function = kind, p, q, function
        self.raw, self.source, self.status, self.name, self._module = raw, source, status, name, module

    def load(self) -> "Rule":
        """Import a generated rule's module (once) and return the rule."""
        self.loaded  # noqa: B018 - the property imports
        return self

    @property
    def loaded(self) -> Callable[..., Any]:
        """The function, a generated rule's module imported first (once)."""
        if self.function is None:
            module = importlib.import_module(f"anadiv._generated.{self._module}")
            self.function = getattr(module, self.name)
        return self.function

    @property
    def classes(self) -> tuple[type, ...]:
        """``(p,)`` for an entropy, ``(p, q)`` otherwise."""
        return (self.p,) if self.q is None else (self.p, self.q)

    def __repr__(self) -> str:
        return f"Rule({_signature(self.kind, self.classes)}, {self.source}, {self.name})"


def label(cls: type) -> str:
    """How listings name a class: a family's registry name if the class declares one, else its name.

    >>> from anadiv import Normal
    >>> label(Normal)
    'normal'
    """
    own = cls.__dict__.get("name")
    return own if isinstance(own, str) and own else cls.__qualname__


def _signature(kind: str, classes: tuple[type, ...]) -> str:
    return f"{kind}({', '.join(c.__name__ for c in classes)})"


# ---------------------------------------------------------------- storage
# kind -> {(P, Q): rule}, Q None for an entropy
_GENERATED: dict[str, dict[tuple[type, type | None], Rule]] = {}
_REGISTERED: dict[str, dict[tuple[type, type | None], Rule]] = {}
_DERIVED: dict[str, dict[tuple[type, type | None], Rule]] = {}

#: ``(kind, X, Y) -> Rule`` for every resolved look-up (``Y`` None for an
#: entropy). Only cleared, never rebound: :mod:`anadiv.api` holds a reference.
RESOLVED: dict[tuple[str, type, type | None], Rule] = {}
#: ``(kind, X, Y) -> function`` for the resolved look-ups whose rule takes raw
#: parameter values: the hot path of :mod:`anadiv.api` gets the function from
#: one dict look-up, without reading the rule's attributes. Cleared with RESOLVED.
RAW: dict[tuple[str, type, type | None], Callable[..., Any]] = {}


def _generated(kind: str) -> dict[tuple[type, type | None], Rule]:
    table = _GENERATED.get(kind)
    if table is None:
        # Imported here: the families package imports this module (Independent registers its rules).
        from .families._base import FAMILIES

        table = {}
        for key, (module, fname, status) in _index.REGISTRY.get(kind, {}).items():
            names = (key, None) if isinstance(key, str) else key  # a str: one family (an entropy)
            p = FAMILIES.get(names[0])
            q = FAMILIES.get(names[1]) if names[1] is not None else None
            if p is None or (names[1] is not None and q is None):
                continue  # pragma: no cover - the index names only families anadiv declares
            table[(p, q)] = Rule(kind, p, q, None, raw=True, source="generated", status=status, name=fname, module=module)
        _GENERATED[kind] = table
    return table


def _effective(kind: str) -> dict[tuple[type, type | None], Rule]:
    """Generated rules, with the registered ones replacing those of the same classes."""
    merged = dict(_DERIVED.get(kind, {}))
    merged.update(_generated(kind))
    merged.update(_REGISTERED.get(kind, {}))
    return merged


# -------------------------------------------------------------- validation
def _check_kind(kind: Any) -> str:
    if kind not in KINDS:
        raise ValueError(f"kind: must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
    return kind


def _check_class(cls: Any, arg: str) -> type:
    if not isinstance(cls, type):
        what = f"an instance of {type(cls).__name__}; pass the class itself" if isinstance(cls, Distribution) else repr(cls)
        raise TypeError(f"{arg}: expected a distribution class (Normal, Mixture, ...), got {what}")
    if not issubclass(cls, Distribution):
        raise TypeError(f"{arg}: {cls.__name__} is not a subclass of anadiv.Distribution, so anadiv never dispatches on it")
    return cls


def _check_classes(kind: str, P: Any, Q: Any) -> tuple[type, type | None]:
    _check_kind(kind)
    p = _check_class(P, "P")
    if KINDS[kind].arity == 1:
        if Q is not None:
            raise TypeError(f"Q: an {kind} rule is for one class, got Q={Q!r}")
        return p, None
    if Q is None:
        raise TypeError(f"Q: a {kind} rule is for a pair of classes; pass Q")
    return p, _check_class(Q, "Q")


# ------------------------------------------------------------ registration
def register_closed_form(
    kind: str, P: type, Q: type | None = None, *, status: str = "finite", source: str = "registered"
) -> Callable[[F], F]:
    r"""Register a closed form for a pair of distribution classes (a decorator).

    The decorated function receives the **distribution objects** (``p, q``,
    or ``p`` alone for an entropy) and returns the value, e.g. a float for
    scalar parameters and an array for a batch; :func:`anadiv.kl` returns it
    as is. It is used for ``kl(p, q)`` whenever ``type(p)`` derives from
    ``P`` and ``type(q)`` from ``Q`` and no more specific rule matches
    (:mod:`anadiv.registry`, "Dispatch"). Shape checks are the rule's job
    (a message naming the argument, like ``"q: ..."``). Distributions with
    sympy parameters go to the symbolic engine before any rule is consulted.

    Parameters
    ----------
    kind : {"kl", "cross_entropy", "entropy"}
        :math:`KL(P \| Q)`, :math:`H(P, Q) = -E_P[\log q]` or
        :math:`H(P) = -E_P[\log p]`.
    P, Q : type
        Subclasses of :class:`anadiv.Distribution` (``Q`` omitted for an
        entropy). A rule for exactly the classes of an existing one replaces
        it.
    status : {"finite", "infinite", "conditional"}, default "finite"
        What :func:`anadiv.closed_form_pairs` reports: always finite, always
        ``inf``, or ``inf`` for some parameter values.
    source : {"registered", "composite", "builtin"}, default "registered"
        ``"composite"`` marks a rule that reduces a wrapper to its parts'
        closed forms; :func:`anadiv.closed_form_pairs` lists those only when
        asked (``composite=True``). ``"builtin"`` marks anadiv's own
        hand-written closed forms (listed like the generated ones).

    Returns
    -------
    callable
        The decorator; it registers the function and returns it unchanged.

    Raises
    ------
    ValueError
        For an unknown ``kind``, ``status`` or ``source``.
    TypeError
        Naming ``P`` or ``Q`` when it is not a Distribution subclass (or ``Q``
        is missing or superfluous), ``function`` when what is decorated is
        not callable.

    Examples
    --------
    >>> import numpy as np
    >>> import anadiv
    >>> from anadiv import Exponential, register_closed_form, unregister_closed_form
    >>> class Rate(Exponential):  # a variant of Exponential with a rule of its own
    ...     pass
    >>> @register_closed_form("kl", Rate, Rate)
    ... def _kl_rate(p, q):  # KL(Exp(a) || Exp(b)) = log(a/b) + b/a - 1
    ...     a, b = np.asarray(p.rate), np.asarray(q.rate)
    ...     return float(np.log(a / b) + b / a - 1.0)
    >>> round(anadiv.kl(Rate(2.0), Rate(1.0)), 6)
    0.193147
    >>> _ = unregister_closed_form("kl", Rate, Rate)
    """
    p, q = _check_classes(kind, P, Q)
    if status not in _STATUSES:
        raise ValueError(f"status: must be one of {', '.join(_STATUSES)}, got {status!r}")
    if source not in ("registered", "composite", "builtin"):
        raise ValueError(f"source: must be 'registered', 'composite' or 'builtin', got {source!r}")

    def decorate(function: F) -> F:
        if not callable(function):
            raise TypeError(f"function: expected a callable taking the distributions, got {function!r}")
        name = f"{getattr(function, '__module__', None) or '?'}.{getattr(function, '__qualname__', repr(function))}"
        _REGISTERED.setdefault(kind, {})[(p, q)] = Rule(kind, p, q, function, raw=False, source=source, status=status, name=name)
        _clear()
        return function

    return decorate


def unregister_closed_form(kind: str, P: type, Q: type | None = None) -> Callable[..., Any]:
    """Remove a rule added with :func:`register_closed_form` and return its function.

    A generated rule it replaced applies again. Generated rules themselves
    cannot be removed.

    Raises
    ------
    ValueError
        Naming ``P`` when no rule is registered for exactly these classes.

    Examples
    --------
    >>> from anadiv import Normal, register_closed_form, unregister_closed_form
    >>> class Tagged(Normal):
    ...     pass
    >>> rule = register_closed_form("entropy", Tagged)(lambda p: 0.0)
    >>> unregister_closed_form("entropy", Tagged) is rule
    True
    """
    p, q = _check_classes(kind, P, Q)
    rule = _REGISTERED.get(kind, {}).pop((p, q), None)
    if rule is None:
        raise ValueError(f"P: no rule registered for {_signature(kind, (p,) if q is None else (p, q))}")
    _clear()
    return rule.loaded


# ------------------------------------------------------------------ lookup
def _clear() -> None:
    RAW.clear()
    RESOLVED.clear()


def resolve(kind: str, X: type, Y: type | None = None) -> Rule | None:
    """The most specific rule for distributions of classes ``X`` (and ``Y``), or ``None``.

    The rule is loaded (a generated module imported) and cached in
    :data:`RESOLVED`.

    Raises
    ------
    AmbiguousClosedFormError
        When several rules match and none is nearest on both sides.

    Examples
    --------
    >>> from anadiv import Normal
    >>> resolve("kl", Normal, Normal).name
    'kl_normal_normal'
    """
    key = (kind, X, Y)
    rule = RESOLVED.get(key)
    if rule is not None:
        return rule
    _load_rule_modules()
    xmro = {c: i for i, c in enumerate(X.__mro__)}
    ymro: dict[type | None, int] = {c: i for i, c in enumerate(Y.__mro__)} if Y is not None else {None: 0}
    matches = [
        (xmro[p], ymro[q], r) for (p, q), r in _effective(kind).items() if p in xmro and q in ymro
    ]
    if not matches:
        derived = _singular(kind, X, Y) or _derive(kind, X, Y)
        if derived is None:
            return None
        matches = [(0, 0, derived)]
    best = min(matches, key=lambda m: (m[0], m[1]))
    if any(m[1] < best[1] for m in matches):
        tied = sorted(
            (m for m in matches if not any(o[0] <= m[0] and o[1] <= m[1] and o is not m for o in matches)),
            key=lambda m: (m[0], m[1]),
        )
        shown = ", ".join(f"{_signature(kind, m[2].classes)} [{m[2].source}]" for m in tied)
        classes = (X,) if Y is None else (X, Y)
        raise AmbiguousClosedFormError(
            f"{_signature(kind, classes)} matches several closed forms and none is more specific on both sides: "
            f"{shown}; register one for exactly these classes with "
            f"anadiv.register_closed_form({kind!r}, {', '.join(c.__name__ for c in classes)})"
        )
    rule = best[2].load()
    RESOLVED[key] = rule
    if rule.raw:
        RAW[key] = rule.loaded
    return rule


def mutually_singular(X: type, Y: type | None) -> bool:
    """Whether ``X`` has a mass function and ``Y`` a density, or the other way round.

    Each then puts its mass where the other has none (the integers have
    Lebesgue measure zero; a density's continuum has no atoms), so a kind
    whose result is infinite when the supports say so (KL, cross-entropy)
    is ``inf`` for every parameter value.
    """
    mx, my = getattr(X, "measure", None), getattr(Y, "measure", None)
    return mx is not None and my is not None and mx != my


def infinite_by_measure(*params: Any) -> Any:
    """``inf`` in the parameters' broadcast shape and float type, on their array library."""
    from .numeric.xp import namespace

    xp = namespace(*params)
    return xp.full(xp.inf, *params)


def _singular(kind: str, X: type, Y: type | None) -> Rule | None:
    """The one rule of every pair of a mass function and a density: ``inf``, not a generated function each.

    The code generator writes no function for such pairs (there would be one per
    discrete and continuous family, each returning ``inf``); the engine still
    derives ``oo`` for them, from the measures.
    """
    if Y is None or not KINDS[kind].infinite_from_supports or not mutually_singular(X, Y):
        return None
    return Rule(kind, X, Y, infinite_by_measure, raw=True, source="builtin", status="infinite",
                name="infinite_by_measure")


def _indexed_names() -> frozenset[str]:
    """The family names the generated index has closed forms for."""
    names: set[str] = set()
    for table in _index.REGISTRY.values():
        for key in table:
            names.update((key,) if isinstance(key, str) else key)
    return frozenset(names)


def _derive(kind: str, X: type, Y: type | None) -> Rule | None:
    """A closed form derived at first use for a pair with a user's own family, or None.

    Only for families registered under their own name of which at least one
    is not in the generated index (anadiv's families never reach the engine
    from here: their pairs without a closed form stay without one).
    """
    from .families._base import FAMILIES, Family

    classes = tuple(c for c in ((X,) if Y is None else (X, Y))
                    if issubclass(c, Family) and c.__dict__.get("name") and FAMILIES.get(c.name) is c and not c.event_ndim)
    if len(classes) != (1 if Y is None else 2):
        return None
    if KINDS[kind].route is None or not any(c.is_own_family() for c in classes):
        return None
    if all(c.name in _indexed_names() for c in classes):
        return None  # pragma: no cover - an own family's name is never in the index
    # by name: the renderer sits above this module (and imports sympy on a cache miss only)
    found = importlib.import_module("anadiv.codegen.on_demand").closed_form(kind, classes, check=_check_derived)
    if found is None:
        return None
    function, status = found
    rule = Rule(kind, X, Y, function, raw=True, source="derived", status=status, name=function.__name__)
    _DERIVED.setdefault(kind, {})[(X, Y)] = rule
    return rule


#: points per derived closed form at which it is compared with quadrature before it is cached
CHECK_POINTS = 3


def _check_derived(kind: str, classes: tuple[type[Family], ...], function: Callable[..., Any]) -> str | None:
    """Compare a closed form derived at first use with quadrature; the disagreement found, or None.

    anadiv's generated closed forms are checked by its test suite against
    quadrature and mpmath; a user's family has no such tests, so its closed
    forms are checked here, once, before they are cached: at
    :data:`CHECK_POINTS` parameter points drawn (seeded by the family names)
    from each family's typical ranges, against
    :func:`anadiv.estimators.quadrature.divergence_quad`. A point where
    quadrature itself fails is skipped.
    """
    import zlib

    import numpy as np

    from .estimators.quadrature import divergence_quad
    from .errors import QuadratureError

    rng = np.random.default_rng(zlib.crc32(("/".join(c.name for c in classes) + kind).encode()))
    for _ in range(CHECK_POINTS):
        points = [c.random_params(rng) for c in classes]
        try:
            dists = [c(*pt) for c, pt in zip(classes, points)]
        except ValueError:
            continue  # joint constraints the independent draws broke
        value = float(function(*(v for pt in points for v in pt)))
        try:
            ref = divergence_quad(kind, *dists)
        except (QuadratureError, ValueError, ArithmeticError):
            continue
        truth, err = float(ref.value), float(getattr(ref, "error", 0.0) or 0.0)
        if math.isinf(truth) and value == truth:
            continue
        if not abs(value - truth) <= max(1e-8 * abs(truth), 10.0 * err, 1e-10):
            shown = ", ".join(repr(d) for d in dists)
            return f"{kind}({shown}): the derived closed form gives {value!r}, quadrature {truth!r} (+- {err:.2g})"
    return None


def forget(cls: type) -> None:
    """Drop the derived rules involving ``cls`` and every resolved look-up (tests, redefined families).

    Examples
    --------
    >>> from anadiv import Normal
    >>> forget(Normal)  # nothing derived for it: only the look-up caches are cleared
    """
    for table in _DERIVED.values():
        for key in [k for k in table if cls in k]:
            del table[key]
    _clear()


def rules(kind: str) -> list[Rule]:
    """Every rule in effect for ``kind`` (generated, registered, composite), sorted by class labels.

    Examples
    --------
    >>> any(r.name == "kl_normal_normal" for r in rules("kl"))
    True
    """
    _check_kind(kind)
    _load_rule_modules()
    return sorted(
        _effective(kind).values(), key=lambda r: (label(r.p), label(r.q) if r.q is not None else "")
    )


#: anadiv's modules that register rules (composite or hand-written), imported before the rules
#: are listed or first looked up: a LowRankMultivariateNormal finds its closed forms in
#: anadiv.gaussian_pairs without the program importing that module.
_COMPOSITE_MODULES = ("anadiv.independent", "anadiv.gaussian_pairs", "anadiv.gaussian_renyi", "anadiv.renyi_pairs",
                      "anadiv.wishart_pairs",
                      "anadiv.total_variation_pairs")
_LOADED: list[bool] = []


def _load_rule_modules() -> None:
    """Import :data:`_COMPOSITE_MODULES` once (their rules register on import).

    A listing or a look-up must not depend on whether the program has used
    Independent yet; loaded by name: the modules sit above this one.
    """
    if _LOADED:
        return
    _LOADED.append(True)
    for module in _COMPOSITE_MODULES:
        importlib.import_module(module)
