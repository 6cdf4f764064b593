r"""The exponential-family (Bregman) route, for families whose parameters are vectors.

An exponential family has the log-density
:math:`\log p(x) = \langle \eta, T(x)\rangle - A(\eta) + \log h(x)`, and
:math:`E_P[T] = \nabla A(\eta_P)`. Hence, for two members of one family,

.. math::

    \mathrm{KL}(P \| Q) &= A(\eta_Q) - A(\eta_P) - \langle \eta_Q - \eta_P, \nabla A(\eta_P)\rangle, \\
    H(P, Q) &= A(\eta_Q) - \langle \eta_Q, \nabla A(\eta_P)\rangle - E_P[\log h], \\
    H(P) &= A(\eta_P) - \langle \eta_P, \nabla A(\eta_P)\rangle - E_P[\log h],

with :math:`E_P[\log h]` in closed form only where ``log h`` is free of ``x``
(otherwise there is no closed form: :class:`~anadiv.errors.NoClosedFormError`).

Vector families declare their parameters coordinate by coordinate, over a
dimension symbol ``K``: ``symbols(suffix)`` gives ``IndexedBase`` vectors
(``concentration_1[i]``), ``sym_natural_params`` maps one coordinate's
parameters to that coordinate's natural parameters, and
``sym_log_normalizer`` takes one ``IndexedBase`` per natural parameter and
returns :math:`A` with ``Sum`` over ``i = 0 .. K - 1``. A family's
``singular_parameters`` (scalars, such as a Multinomial's number of trials)
select one exponential family each: ``A`` takes them after the natural
parameters, and two members that differ in one are mutually singular (their
supports are disjoint), so the KL and cross-entropy are ``oo`` there. The gradient is taken
coordinate-wise (``d A / d eta[j]``), so the result holds for every ``K``; it
is a sympy expression with ``Sum`` over the coordinates, printed by
:mod:`anadiv.codegen.indexed`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..constraints import simplex
from ..errors import NoClosedFormError
from ..kinds import KINDS
from .derivation import Derivation
from .steps import result as result_step

if TYPE_CHECKING:
    from ..families._base import Family

#: the dimension of a vector family's parameters (the families use the same symbol)
K = sp.Symbol("K", integer=True, positive=True)
_J = sp.Symbol("j", integer=True, nonnegative=True)


def handles(*families: type[Family]) -> bool:
    """Whether the Bregman route derives this tuple of families: one exponential family with vector parameters."""
    first = families[0]
    return (
        all(f is first for f in families)
        and bool(getattr(first, "exponential_family", False))
        and any(p.constraint.event_ndim for p in first.parameters)
    )


def _fixed(cls: type[Family], params: tuple[Any, ...]) -> list[Any]:
    """The values of the family's ``singular_parameters`` among ``params``."""
    names = [p.name for p in cls.parameters]
    return [params[names.index(n)] for n in getattr(cls, "singular_parameters", ())]


def _coordinate(params: tuple[Any, ...], index: Any) -> tuple[Any, ...]:
    return tuple(p[index] if isinstance(p, sp.IndexedBase) else p for p in params)


def _gradient(a: Any, eta: Any) -> Any:
    """``dA/d eta[j]``: the Kronecker deltas of the coordinate sums resolve inside ``0 <= j < K``."""
    g = sp.diff(a, eta[_J]).doit()
    # every Piecewise left is "value if 0 <= j <= K - 1 else 0", and j ranges over exactly that
    return g.replace(lambda e: isinstance(e, sp.Piecewise), lambda e: e.args[0].expr)


def _natural(cls: type[Family], etas: list[Any], params: tuple[Any, ...], expr: Any) -> Any:
    """Replace ``eta_k[idx]`` by the ``k``-th natural parameter at coordinate ``idx``."""
    def at(e: Any) -> Any:
        k = etas.index(e.base)
        return cls.sym_natural_params(*_coordinate(params, e.indices[0]))[k]

    return expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in etas, at)


def _unit_sums(cls: type[Family], params: tuple[Any, ...], expr: Any) -> Any:
    """A probability vector sums to one: ``Sum(p[i], (i, 0, K - 1)) = 1``."""
    for spec, p in zip(cls.parameters, params):
        if spec.constraint is simplex:
            expr = expr.replace(
                lambda e: isinstance(e, sp.Sum) and len(e.limits) == 1 and e.function == p[e.limits[0][0]]
                and tuple(e.limits[0][1:]) == (0, K - 1),
                lambda e: sp.Integer(1),
            )
    return expr


def _mean_log_base_measure(cls: type[Family]) -> Any:
    x = sp.IndexedBase("x")
    log_h = sp.sympify(cls.sym_log_base_measure(x))
    if log_h.has(x):
        raise NoClosedFormError(
            f"E_P[log h(X)] for {cls.__name__} (log h = {log_h}) has no closed form; "
            "use anadiv.entropy_estimate / cross_entropy_estimate"
        )
    return log_h


def derive(kind: str, P: type[Family], Q: type[Family] | None = None) -> Derivation:
    """Entropy, KL or cross-entropy of one vector exponential family from its log-normalizer."""
    k = KINDS[kind]
    if k.arity == 2 and (Q is None or not handles(P, Q)):
        raise NoClosedFormError(
            f"{kind} between {P.__name__} and {getattr(Q, '__name__', Q)} is not derived: the Bregman route "
            "pairs a vector exponential family only with itself; use anadiv.kl_estimate(p, q)"
        )
    params1 = P.symbols("1") if k.arity == 2 else P.symbols("")
    m = len(P.sym_natural_params(*_coordinate(params1, _J)))
    etas = [sp.IndexedBase(f"eta{n}") for n in range(m)]
    fixed1 = _fixed(P, params1)
    a = P.sym_log_normalizer(*etas, *fixed1)
    grads = [_gradient(a, e) for e in etas]
    steps = [f"A(eta) = {a}", *(f"E_P[T_{n}[j]] = dA/d eta{n}[j] = {g}" for n, g in enumerate(grads))]

    def at(params: tuple[Any, ...], expr: Any) -> Any:
        return _natural(P, etas, params, expr)

    a1 = at(params1, a)
    eta1 = P.sym_natural_params(*_coordinate(params1, _J))
    mean_t = [at(params1, g) for g in grads]
    if kind == "entropy":
        inner = sp.Add(*[e * t for e, t in zip(eta1, mean_t)])
        expr = a1 - sp.Sum(inner, (_J, 0, K - 1)) - _mean_log_base_measure(P)
        steps.append("H(P) = A(eta_P) - <eta_P, grad A(eta_P)> - E_P[log h]")
        fams: tuple[type[Family], ...] = (P,)
        syms: tuple[tuple[Any, ...], ...] = (params1,)
        expr = _unit_sums(P, params1, expr)
    else:
        if Q is None:  # a two-sided kind without Q was refused above
            raise TypeError(f"Q: {kind} needs a second family")
        params2 = Q.symbols("2")
        eta2 = Q.sym_natural_params(*_coordinate(params2, _J))
        # one exponential family per value of the singular parameters: Q's A is P's (where they agree)
        a2 = at(params2, a)
        fixed2 = _fixed(Q, params2)
        if kind == "kl":
            inner = sp.Add(*[(e2 - e1) * t for e1, e2, t in zip(eta1, eta2, mean_t)])
            expr = a2 - a1 - sp.Sum(inner, (_J, 0, K - 1))
            steps.append("KL(P || Q) = A(eta_Q) - A(eta_P) - <eta_Q - eta_P, grad A(eta_P)>")
        elif kind == "cross_entropy":
            inner = sp.Add(*[e2 * t for e2, t in zip(eta2, mean_t)])
            expr = a2 - sp.Sum(inner, (_J, 0, K - 1)) - _mean_log_base_measure(P)
            steps.append("H(P, Q) = A(eta_Q) - <eta_Q, grad A(eta_P)> - E_P[log h]")
        else:
            raise NoClosedFormError(f"{kind}: the Bregman route derives kl, cross_entropy and entropy only")
        fams, syms = (P, Q), (params1, params2)
        expr = _unit_sums(P, params2, _unit_sums(P, params1, expr))
        if fixed1:
            same = sp.And(*[sp.Eq(f1, f2) for f1, f2 in zip(fixed1, fixed2)])
            steps.append(f"members with different {', '.join(map(str, fixed1))} have disjoint supports: oo unless {same}")
            expr = sp.Piecewise((expr, same), (sp.oo, True))
    steps.append(result_step(kind, expr, len(fams)))
    return Derivation(kind, fams, syms, expr, [], steps)


def instantiate(d: Derivation, values: list[tuple[Any, ...] | None]) -> Derivation:
    """Substitute explicit vectors (sympy ``Matrix`` or numbers) into a Bregman-route derivation."""
    given = [v for v in values if v is not None]
    if len(given) != len(values):
        raise ValueError("P, Q: give both distributions as instances (or both as classes) for a vector family")
    mapping: dict[Any, Any] = {}
    n = None
    for syms, vals in zip(d.symbols, given):
        for s, v in zip(syms, vals):
            if isinstance(s, sp.IndexedBase):
                vec = list(sp.Matrix(v))
                n = len(vec) if n is None else n
                if len(vec) != n:
                    raise ValueError(f"{s.name}: has {len(vec)} entries, the other vector {n}")
                mapping[s] = vec
            else:
                mapping[s] = sp.sympify(v)

    def coord(e: Any) -> Any:
        return mapping[e.base][int(e.indices[0])]

    expr = d.expr.xreplace({s: v for s, v in mapping.items() if not isinstance(s, sp.IndexedBase)})
    expr = expr.xreplace({K: n}).doit()
    expr = expr.replace(lambda e: isinstance(e, sp.Indexed) and e.base in mapping, coord)
    return Derivation(d.kind, d.families, d.symbols, expr, [], [*d.steps, f"substituted explicit {n}-vectors"])
