"""Closed-form divergences: dispatch a pair of distributions to generated code.

``kl(p, q)`` looks up the classes ``(type(p), type(q))`` in the closed-form
registry (:mod:`anadiv.registry`: the generated closed forms of
:mod:`anadiv._generated._index`, produced by ``python -m anadiv.codegen``
from the symbolic engine's derivations, plus rules added with
:func:`anadiv.register_closed_form`), along the classes' hierarchy. A
generated function is called with P's parameter values then Q's; a
registered rule with the distributions. Numeric parameters give a float
(scalar parameters) or an array (batched parameters); sympy parameters are
handed to the symbolic engine, imported only then. This module never
imports sympy.

Examples
--------
>>> from anadiv import Normal, kl
>>> round(kl(Normal(0.0, 1.0), Normal(1.0, 2.0)), 6)
0.443147
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from . import registry
from .distribution import Distribution
from .errors import NoClosedFormError
from .families import FAMILIES, Family
from .families._scipy_objects import ScipyDistribution, as_distribution, common_reduction, is_scipy_object
from .families._torch_objects import from_torch, is_torch_distribution
from .kinds import KINDS
from .numeric.validation import with_library
from .registry import RAW as _RAW
from .typing import ClosedFormFunction, DivergenceValue, FamilyKey

__all__ = [
    "kl",
    "entropy",
    "cross_entropy",
    "kl_function",
    "entropy_function",
    "cross_entropy_function",
    "closed_form_pairs",
    "ClosedForm",
]


class ClosedForm(NamedTuple):
    """One registry entry: ``q`` is ``None`` for an entropy.

    ``p`` and ``q`` are family names (``"normal"``), or a class's name for a
    rule registered on a class without a name of its own. ``status`` is
    ``"finite"``, ``"infinite"`` (supports differ: always ``inf``) or
    ``"conditional"`` (``inf`` for some parameter values) or ``"partial"`` (a
    closed form where the trial counts are equal; the function raises
    ``NoClosedFormError`` elsewhere). ``function`` is the
    generated function's name, or ``module.qualname`` of a registered rule.
    ``source`` says where the rule comes from: ``"generated"`` (the derived
    closed forms), ``"registered"`` (:func:`anadiv.register_closed_form`),
    ``"composite"`` (anadiv's rules for wrappers such as ``Independent``) or
    ``"builtin"`` (anadiv's hand-written closed forms, :mod:`anadiv.gaussian_pairs`).
    """

    kind: str
    p: str
    q: str | None
    status: str
    function: str
    source: str = "generated"


# ------------------------------------------------------------------ lookup
def _class(obj: Any) -> type | None:
    """The class a key element stands for: a class, an instance's class, or the family of a name."""
    if isinstance(obj, str):
        return FAMILIES.get(obj.lower())
    return obj if isinstance(obj, type) else type(obj)


def _describe(kind: str, key: Any) -> str:
    items = key if isinstance(key, tuple) else (key,)
    shown = []
    for n in items:
        cls = _class(n)
        shown.append(cls.__name__ if cls is not None else str(n).title().replace("_", ""))
    return KINDS[kind].show(shown)


def _function(kind: str, key: Any) -> registry.Rule:
    """The registry's rule for ``key``: classes, instances or family names (a tuple of two but for entropies).

    The one look-up of this module; the dispatch itself (hierarchy, caching)
    is :func:`anadiv.registry.resolve`.
    """
    items = key if isinstance(key, tuple) else (key,)
    classes = [c for c in map(_class, items) if c is not None]
    rule = registry.resolve(kind, *classes) if len(classes) == len(items) else None
    if rule is None:
        raise NoClosedFormError(f"no closed form for {_describe(kind, key)} in the registry; use {KINDS[kind].instead()}")
    return rule


def _raw(kind: str, key: Any) -> Callable[..., Any]:
    """The function of ``key``'s rule, which must take raw parameter values (a generated closed form)."""
    rule = _function(kind, key)
    if not rule.raw:
        call = f"{kind}(p)" if KINDS[kind].arity == 1 else f"{kind}(p, q)"
        # a rule of distribution objects: the user's (register_closed_form) or anadiv's own
        origin = {"builtin": "one of anadiv's rules of distribution objects",
                  "composite": "a composite rule of anadiv"}.get(rule.source, "a rule registered with anadiv.register_closed_form")
        raise TypeError(
            f"{kind}_function: {_describe(kind, key)} is {origin} "
            f"({rule.name}); it takes the distributions, not raw parameter values: call anadiv.{call}"
        )
    return rule.loaded


# -------------------------------------------------------------- validation
def _check_family(obj: Any, arg: str) -> None:
    if isinstance(obj, type):
        raise ValueError(f"{arg}: expected a distribution such as {obj.__name__}(...), got the class {obj.__name__}")
    if not isinstance(obj, Distribution):
        # a Mixture, an Independent & co. pass: the registry look-up reports a missing closed form
        raise ValueError(f"{arg}: expected an anadiv distribution (Normal(...), ...), got {type(obj).__name__}")


def _check_pair(p: Family, q: Family) -> None:
    """Shapes: batch shapes broadcast, event dimensions agree (names ``q``)."""
    if not (type(p).event_ndim or type(q).event_ndim):
        # fast path for scalar parameters (the common hot case): nothing to check
        if not any(np.ndim(v) for v in (*p.param_values, *q.param_values)):
            return
    pshape, qshape = p.batch_shape, q.batch_shape
    if pshape != qshape and pshape and qshape:
        try:
            np.broadcast_shapes(pshape, qshape)
        except ValueError:
            raise ValueError(f"q: batch shape {qshape} does not broadcast with p's batch shape {pshape}") from None
    if type(p).event_ndim or type(q).event_ndim:
        pd, qd = getattr(p, "dim", None), getattr(q, "dim", None)
        if pd != qd:
            raise ValueError(f"q: dimension {qd} differs from p's dimension {pd}")


def _finish(out: Any) -> Any:
    # A 0-d numpy result is returned as a Python float; batches stay arrays, tensors (0-d too) stay tensors.
    if type(out) is np.ndarray:
        return float(out) if out.ndim == 0 else out
    return float(out) if isinstance(out, (float, np.generic)) else out


def _symbolic(kind: str, *dists: Family) -> Any:
    """The engine's closed form; values after the distributions are the kind's own parameters."""
    # the kind's symbolic route imports the engine (and sympy) only now
    k = KINDS[kind]
    n = k.arity
    d = k.derive(*dists[:n])
    if len(dists) > n:
        extra = d.symbols[n] if len(d.symbols) > n else ()
        d = d.substitute(dict(zip(extra, dists[n:])))
    return d.total


def _log_scale_weight(kind: str) -> float:
    """How the kind's value moves per ``log a`` when P and Q both go through ``x -> a x + b``.

    Both log-densities drop by ``log a``, so the integrand ``h(log p, log q)``
    moves by this weight times ``log a``: 0 for KL and the f-divergences (a
    function of ``log q - log p``), 1 for the entropy and the cross-entropy.
    """
    k = KINDS[kind]
    with np.errstate(all="ignore"):
        one, zero = np.float64(-1.0), np.float64(0.0)
        return float(k.integrand(one, one) - k.integrand(zero, zero))


def _through_scipy(kind: str, dists: tuple[Any, ...], validate: bool, *extra: Any) -> Any:
    """The closed form for scipy objects (or adapters on them): their families, else one shift and scale removed.

    A scipy object with an anadiv family is that family. One without (an
    adapter on scipy's methods) has a closed form only where removing the shift
    (and, if need be, the scale) that all the distributions share leaves
    families: ``KL(expon(loc=1), expon(loc=1, scale=2)) = KL(Exponential(1), Exponential(0.5))``.
    """
    names = ("p", "q")
    dists = tuple(as_distribution(d, names[i]) for i, d in enumerate(dists))
    adapters = [d for d in dists if isinstance(d, ScipyDistribution)]
    if not adapters:
        return _divergence(kind, *dists, validate, *extra) if len(dists) == 2 else entropy(dists[0], validate=validate)
    k = KINDS[kind]
    if len(dists) == 2 and k.infinite_from_supports and registry.mutually_singular(type(dists[0]), type(dists[1])):
        return float("inf")  # a mass function against a density
    # an expectation of the log-densities only: the Wasserstein distance scales with the map
    exact = k.expectation and (not k.maps_moment or _log_scale_weight(kind) == 0.0)
    reduced = common_reduction(*dists) if exact else None
    if reduced is not None:
        families, log_scale = reduced
        if len(families) == 2:
            value = _divergence(kind, *families, validate, *extra)
        else:
            value = entropy(families[0], validate=validate)
        return _finish(value + _log_scale_weight(kind) * log_scale) if log_scale else value
    shown = k.show([repr(d) if isinstance(d, ScipyDistribution) else type(d).__name__ for d in dists])
    raise NoClosedFormError(
        f"no closed form for {shown}: scipy.stats.{adapters[0].scipy_distribution} has no anadiv family, and "
        f"no shift or scale shared by the distributions reduces them to families; "
        f"use {k.instead()}, which take scipy objects as they are"
    )


def _divergence(kind: str, p: Any, q: Any, validate: bool, *extra: Any) -> Any:
    """The closed form of ``kind`` for ``p`` and ``q``; ``extra``: the kind's own parameter values (Renyi's order)."""
    if not (isinstance(p, Family) and isinstance(q, Family)):
        if is_torch_distribution(p) or is_torch_distribution(q):
            # torch objects: their families, holding the objects' own tensors
            return _divergence(kind, from_torch(p, "p"), from_torch(q, "q"), validate, *extra)
        if is_scipy_object(p) or is_scipy_object(q):
            return _through_scipy(kind, (p, q), validate, *extra)
        # classes and foreign objects fail here; a Mixture fails the registry look-up
        _check_family(p, "p")
        _check_family(q, "q")
        # generated rules are for families only, so what matches here takes the distributions
        return _function(kind, (type(p), type(q))).loaded(p, q, *extra)
    if p.symbolic or q.symbolic:
        return _symbolic(kind, p, q, *extra)
    key = (kind, type(p), type(q))
    func = _RAW.get(key)
    if func is None:  # first call for these classes, or a rule that takes the distributions
        if isinstance(p, ScipyDistribution) or isinstance(q, ScipyDistribution):
            return _through_scipy(kind, (p, q), validate, *extra)
        rule = _function(kind, key[1:])
        if not rule.raw:
            return rule.loaded(p, q, *extra)
        func = rule.loaded
    if validate:
        _check_pair(p, q)
    if p._library is not q._library:  # a tensor family with a numpy one: the numpy values join the tensors
        args = with_library((*p.param_values, *q.param_values), p._library or q._library)
        return _finish(func(*args, *extra))
    return _finish(func(*p.param_values, *q.param_values, *extra))


# -------------------------------------------------------------- public API
def kl(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Kullback-Leibler divergence :math:`KL(P \| Q) = E_P[\log p(X) - \log q(X)]` in nats.

    Parameters
    ----------
    p, q : Family, scipy.stats or torch.distributions object
        Distributions (``Normal(0, 1)``, ...). Numeric parameters may be
        arrays: the result broadcasts over their batch shapes. sympy
        parameters give a sympy expression from the symbolic engine. torch
        tensors and JAX arrays stay in their library (a tensor result, with
        gradients); a ``torch.distributions`` object is its family holding
        the object's tensors (the result has torch's batch shape).
    validate : bool, default True
        Check that batch shapes broadcast and dimensions agree. The families
        validate their own parameters on construction; pass ``False`` in hot
        loops.

    Returns
    -------
    float, numpy.ndarray, torch.Tensor, JAX array or sympy expression
        ``inf`` where P is not absolutely continuous with respect to Q.

    Raises
    ------
    NoClosedFormError
        For pairs without a closed form; the message names ``kl_estimate`` and
        ``kl_quad``.
    ValueError
        For shapes or dimensions that do not match (message starts with ``q``).

    Examples
    --------
    >>> from anadiv import Normal, Exponential
    >>> round(kl(Normal(0.0, 1.0), Normal(1.0, 2.0)), 6)
    0.443147
    >>> kl(Normal(0.0, 1.0), Exponential(1.0))
    inf
    """
    return _divergence("kl", p, q, validate)


def cross_entropy(p: Distribution, q: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Cross-entropy :math:`H(P, Q) = -E_P[\log q(X)]` in nats.

    Same arguments, broadcasting and errors as :func:`kl`.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(cross_entropy(Normal(0.0, 1.0), Normal(0.0, 1.0)), 6)
    1.418939
    """
    return _divergence("cross_entropy", p, q, validate)


def entropy(p: Distribution, *, validate: bool = True) -> DivergenceValue:
    r"""Differential entropy :math:`H(P) = -E_P[\log p(X)]` in nats.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(entropy(Normal(0.0, 1.0)), 6)
    1.418939
    """
    if not isinstance(p, Family):
        if is_torch_distribution(p):
            return entropy(from_torch(p, "p"), validate=validate)
        if is_scipy_object(p):
            return _through_scipy("entropy", (p,), validate)
        _check_family(p, "p")
        return _function("entropy", type(p)).loaded(p)
    if p.symbolic:
        return _symbolic("entropy", p)
    func = _RAW.get(("entropy", type(p), None))
    if func is None:
        if isinstance(p, ScipyDistribution):
            return _through_scipy("entropy", (p,), validate)
        rule = _function("entropy", type(p))
        if not rule.raw:
            return rule.loaded(p)
        func = rule.loaded
    return _finish(func(*p.param_values))


def kl_function(p: FamilyKey, q: FamilyKey, *, compile: str | None = None) -> ClosedFormFunction:
    """The generated KL function for a pair of families (raw: no validation).

    Parameters
    ----------
    p, q : family class, instance or name
        ``Normal``, ``Normal(0, 1)`` or ``"normal"``. A subclass of a family
        gets its parent's function (:mod:`anadiv.registry`).
    compile : {None, "torch", "jax"}, default None
        Hand back the function compiled by ``torch.compile`` or ``jax.jit``
        (one fused kernel per call; :func:`anadiv.compiled.compiled`).

    Returns
    -------
    callable
        ``f(*p_params, *q_params)`` in constructor order, broadcasting over
        arrays and keeping float32.

    Raises
    ------
    NoClosedFormError
        For a pair without a closed form.
    TypeError
        When the pair's rule was added with
        :func:`anadiv.register_closed_form`: such a rule takes the
        distributions, so call :func:`kl` instead.

    Examples
    --------
    >>> from anadiv import Normal
    >>> f = kl_function(Normal, Normal)
    >>> round(float(f(0.0, 1.0, 1.0, 2.0)), 6)
    0.443147
    """
    fn = _raw("kl", (p, q))
    if compile is None:
        return fn
    from .compiled import compiled

    return compiled(fn, compile)


def cross_entropy_function(p: FamilyKey, q: FamilyKey) -> ClosedFormFunction:
    """The generated cross-entropy function for a pair of families (raw); as :func:`kl_function`."""
    return _raw("cross_entropy", (p, q))


def entropy_function(p: FamilyKey) -> ClosedFormFunction:
    """The generated entropy function for a family (raw); as :func:`kl_function`."""
    return _raw("entropy", p)


def closed_form_pairs(kind: str = "kl", *, composite: bool = False) -> list[ClosedForm]:
    """The registry's closed forms of one kind (no sympy import).

    Parameters
    ----------
    kind : str
        A kind of :data:`anadiv.kinds.KINDS` with closed forms: ``"kl"``,
        ``"cross_entropy"`` or ``"entropy"``.
    composite : bool, default False
        Also list the composite rules (``source == "composite"``: anadiv's
        rules for wrappers such as ``Independent``, which reduce to the closed
        forms of what they wrap). Left out by default, so the plain listing
        has one row per pair of classes with a closed form of its own: the
        generated ones and those added with :func:`anadiv.register_closed_form`.

    Returns
    -------
    list of ClosedForm
        Sorted by names; ``status`` tells finite from infinite, ``source``
        generated from registered. A registered rule that replaces a
        generated one is listed in its place.

    Examples
    --------
    >>> ("normal", "normal") in [(c.p, c.q) for c in closed_form_pairs("kl")]
    True
    >>> sorted({c.source for c in closed_form_pairs("kl", composite=True) if c.p == "independent"})
    ['composite']
    """
    if kind not in KINDS:
        raise ValueError(f"kind: must be one of {', '.join(sorted(KINDS))}, got {kind!r}")
    out = []
    for rule in registry.rules(kind):
        if rule.source == "composite" and not composite:
            continue
        q = registry.label(rule.q) if rule.q is not None else None
        out.append(ClosedForm(kind, registry.label(rule.p), q, rule.status, rule.name, rule.source))
    return out
