"""Closed-form divergences: dispatch a pair of distributions to generated code.

``kl(p, q)`` looks up ``(type(p).name, type(q).name)`` in the closed-form
registry (:mod:`anadiv._generated._index`, produced by ``python -m
anadiv.codegen`` from the symbolic engine's derivations) and calls the
generated function with P's parameter values then Q's. Numeric parameters
give a float (scalar parameters) or an array (batched parameters); sympy
parameters are handed to the symbolic engine, imported only then. This
module never imports sympy.

Examples
--------
>>> from anadiv import Normal, kl
>>> round(kl(Normal(0.0, 1.0), Normal(1.0, 2.0)), 6)
0.443147
"""

from __future__ import annotations

import importlib
from typing import Any, Callable, NamedTuple

import numpy as np

from ._generated import _index
from .errors import NoClosedFormError
from .families import FAMILIES, Family
from .kinds import KINDS

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

# (kind, key) -> generated function, filled on first use of each pair
_LOADED: dict[tuple[str, Any], Callable[..., Any]] = {}

class ClosedForm(NamedTuple):
    """One registry entry: ``q`` is ``None`` for an entropy.

    ``status`` is ``"finite"``, ``"infinite"`` (supports differ: always
    ``inf``) or ``"conditional"`` (``inf`` for some parameter values).
    """

    kind: str
    p: str
    q: str | None
    status: str
    function: str


# ------------------------------------------------------------------ lookup
def _name(obj: Any) -> str:
    """Registry name of a family class, instance or name."""
    if isinstance(obj, str):
        return obj.lower()
    cls = obj if isinstance(obj, type) else type(obj)
    return getattr(cls, "name", "") or cls.__name__


def _describe(kind: str, key: Any) -> str:
    names = key if isinstance(key, tuple) else (key,)
    shown = [FAMILIES[n].__name__ if n in FAMILIES else n.title().replace("_", "") for n in names]
    return KINDS[kind].show(shown)


def _function(kind: str, key: Any) -> Callable[..., Any]:
    func = _LOADED.get((kind, key))
    if func is None:
        entry = _index.REGISTRY[kind].get(key)
        if entry is None:
            raise NoClosedFormError(
                f"no closed form for {_describe(kind, key)} in the registry; use {KINDS[kind].instead()}"
            )
        module, fname, _status = entry
        func = getattr(importlib.import_module(f"anadiv._generated.{module}"), fname)
        _LOADED[(kind, key)] = func
    return func


# -------------------------------------------------------------- validation
def _check_family(obj: Any, arg: str) -> None:
    if isinstance(obj, type):
        raise ValueError(f"{arg}: expected a distribution such as {obj.__name__}(...), got the class {obj.__name__}")
    if not isinstance(obj, Family):
        if type(obj).__module__.startswith("anadiv"):
            return  # e.g. a Mixture: the registry lookup reports the missing closed form
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
    # A 0-d result is returned as a Python float; batches stay arrays.
    return float(out) if np.ndim(out) == 0 else out


def _symbolic(kind: str, *dists: Family) -> Any:
    # the kind's symbolic route imports the engine (and sympy) only now
    return KINDS[kind].derive(*dists).total


def _divergence(kind: str, p: Any, q: Any, validate: bool) -> Any:
    if not (isinstance(p, Family) and isinstance(q, Family)):
        # classes and foreign objects fail here; Mixture & co. fail the registry look-up
        _check_family(p, "p")
        _check_family(q, "q")
        _function(kind, (_name(p), _name(q)))
        raise NoClosedFormError(f"no closed form for {_describe(kind, (_name(p), _name(q)))}; use {KINDS[kind].instead()}")
    if p.symbolic or q.symbolic:
        return _symbolic(kind, p, q)
    key = (type(p).name, type(q).name)
    func = _LOADED.get((kind, key)) or _function(kind, key)
    if validate:
        _check_pair(p, q)
    return _finish(func(*p.param_values, *q.param_values))


# -------------------------------------------------------------- public API
def kl(p: Family, q: Family, *, validate: bool = True) -> Any:
    r"""Kullback-Leibler divergence :math:`KL(P \| Q) = E_P[\log p(X) - \log q(X)]` in nats.

    Parameters
    ----------
    p, q : Family
        Distributions (``Normal(0, 1)``, ...). Numeric parameters may be
        arrays: the result broadcasts over their batch shapes. sympy
        parameters give a sympy expression from the symbolic engine.
    validate : bool, default True
        Check that batch shapes broadcast and dimensions agree. The families
        validate their own parameters on construction; pass ``False`` in hot
        loops.

    Returns
    -------
    float, numpy.ndarray or sympy expression
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


def cross_entropy(p: Family, q: Family, *, validate: bool = True) -> Any:
    r"""Cross-entropy :math:`H(P, Q) = -E_P[\log q(X)]` in nats.

    Same arguments, broadcasting and errors as :func:`kl`.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(cross_entropy(Normal(0.0, 1.0), Normal(0.0, 1.0)), 6)
    1.418939
    """
    return _divergence("cross_entropy", p, q, validate)


def entropy(p: Family, *, validate: bool = True) -> Any:
    r"""Differential entropy :math:`H(P) = -E_P[\log p(X)]` in nats.

    Examples
    --------
    >>> from anadiv import Normal
    >>> round(entropy(Normal(0.0, 1.0)), 6)
    1.418939
    """
    if not isinstance(p, Family):
        _check_family(p, "p")
        _function("entropy", _name(p))
        raise NoClosedFormError(f"no closed form for {_describe('entropy', _name(p))}; use {KINDS['entropy'].instead()}")
    if p.symbolic:
        return _symbolic("entropy", p)
    func = _LOADED.get(("entropy", type(p).name)) or _function("entropy", type(p).name)
    return _finish(func(*p.param_values))


def kl_function(p: Any, q: Any) -> Callable[..., Any]:
    """The generated KL function for a pair of families (raw: no validation).

    Parameters
    ----------
    p, q : family class, instance or name
        ``Normal``, ``Normal(0, 1)`` or ``"normal"``.

    Returns
    -------
    callable
        ``f(*p_params, *q_params)`` in constructor order, broadcasting over
        arrays and keeping float32.

    Examples
    --------
    >>> from anadiv import Normal
    >>> f = kl_function(Normal, Normal)
    >>> round(float(f(0.0, 1.0, 1.0, 2.0)), 6)
    0.443147
    """
    return _function("kl", (_name(p), _name(q)))


def cross_entropy_function(p: Any, q: Any) -> Callable[..., Any]:
    """The generated cross-entropy function for a pair of families (raw)."""
    return _function("cross_entropy", (_name(p), _name(q)))


def entropy_function(p: Any) -> Callable[..., Any]:
    """The generated entropy function for a family (raw)."""
    return _function("entropy", _name(p))


def closed_form_pairs(kind: str = "kl") -> list[ClosedForm]:
    """The registry's closed forms of one kind (no sympy import).

    Parameters
    ----------
    kind : str
        A kind of :data:`anadiv.kinds.KINDS` with closed forms: ``"kl"``,
        ``"cross_entropy"`` or ``"entropy"``.

    Returns
    -------
    list of ClosedForm
        Sorted by family names; ``status`` tells finite from infinite.

    Examples
    --------
    >>> ("normal", "normal") in [(c.p, c.q) for c in closed_form_pairs("kl")]
    True
    """
    if kind not in _index.REGISTRY:
        raise ValueError(f"kind: must be one of {', '.join(sorted(_index.REGISTRY))}, got {kind!r}")
    out = []
    for key, (_module, fname, status) in sorted(_index.REGISTRY[kind].items()):
        p, q = (key, None) if KINDS[kind].arity == 1 else key
        out.append(ClosedForm(kind, p, q, status, fname))
    return out
