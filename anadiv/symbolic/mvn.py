"""Multivariate normal in matrix form, and the diagonal normal per coordinate.

MultivariateNormal (any dimension ``d``) works with ``MatrixSymbol`` means
``mu`` (``d x 1``) and covariances ``Sigma`` (``d x d``). ``log q(x)`` from the
family's ``sym_logpdf`` is ``-1/2 (x - m)^T A (x - m) - 1/2 log det Sigma_q
- d/2 log(2 pi)`` with ``A = Sigma_q^{-1}``; the only ``x``-dependent term is
the quadratic form, whose expectation under ``P = N(mu_p, Sigma_p)`` follows
from ``E[x x^T] = Sigma_p + mu_p mu_p^T`` and the cyclic trace:

    E_P[(x - m)^T A (x - m)] = tr(A Sigma_p) + (mu_p - m)^T A (mu_p - m).

The result is written with the atoms ``Trace(Inverse(B) * A)``,
``Trace(v.T * Inverse(B) * v)``, ``log(Determinant(A))`` and ``d`` (the
code generator prints them with Cholesky factors, never an inverse).

DiagonalNormal (independent coordinates) is derived per coordinate: the
univariate Normal result in the scalar symbols ``DiagonalNormal.symbols(...)``
(``mean_1, scale_1, ...``), flagged ``coordinate_sum=True``; the divergence is
the sum over coordinates (``Derivation.total`` shows the ``Sum``).

Matrix variates (the Wishart) are derived by :mod:`.wishart` (the
exponential-family route in matrix form), never here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..errors import NoClosedFormError
from ..families import FAMILIES
from ..kinds import KINDS
from . import univariate
from .derivation import Derivation
from .steps import result as result_step

if TYPE_CHECKING:
    from ..families._base import Family

_MVN = "multivariate_normal"
_DIAG = "diagonal_normal"


def _quadratic_expectation(logdensity: Any, x: Any, mu_p: Any, cov_p: Any, steps: list[str], label: str) -> Any:
    """Replace each ``c * Trace((x - m).T * A * (x - m))`` by its expectation under N(mu_p, cov_p)."""
    out = sp.Integer(0)
    for term in sp.Add.make_args(logdensity):
        if not term.has(x):
            out += term
            continue
        coef, core = term.as_independent(x, as_Add=False)
        if not isinstance(core, sp.Trace) or not isinstance(core.arg, sp.MatMul):
            raise NoClosedFormError(f"unexpected x-dependent term {term} in log {label}(x)")
        _, mats = core.arg.as_coeff_matrices()
        if len(mats) != 3:
            raise NoClosedFormError(f"unexpected x-dependent term {term} in log {label}(x)")
        left, A, right = mats
        m = sp.MatAdd(x, -right).doit()  # right = x - m
        if m.has(x) or sp.MatAdd(left.T, -right).doit() != sp.ZeroMatrix(*right.shape):
            raise NoClosedFormError(f"log {label}(x) is not a quadratic form in x - m")
        v = sp.MatAdd(mu_p, -m)
        expect = sp.Trace(sp.MatMul(A, cov_p)) + sp.Trace(sp.MatMul(v.T, A, v))
        steps.append(f"E_P[{core}] = {expect} (E[x x^T] = Sigma_P + mu_P mu_P^T, trace is cyclic)")
        out += coef * expect
    return out


def _settle(expr: Any) -> Any:
    """Evaluate trivial pieces (tr(Sigma^-1 Sigma) = d, zero quadratic forms) and tidy."""
    expr = sp.expand(expr, deep=False)
    out = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        coef, core = term.as_coeff_Mul()
        if isinstance(core, sp.Trace):
            inner = core.arg.doit()
            if isinstance(inner, sp.Identity):
                core = inner.shape[0]
            elif isinstance(inner, sp.ZeroMatrix) or inner == sp.ZeroMatrix(1, 1):
                core = sp.Integer(0)
        out += coef * core
    return out


def _mvn(kind: str, P: type[Family], Q: type[Family] | None = None) -> Derivation:
    reads = KINDS[kind].log_densities
    mu1, S1 = P.symbols("1") if KINDS[kind].arity == 2 else P.symbols("")
    d = mu1.shape[0]
    x = sp.MatrixSymbol("x", d, 1)
    conditions = [sp.Q.positive_definite(S1)]
    steps: list[str] = []
    neg_elogp = None
    if "p" in reads:
        logp = P.sym_logpdf(x, mu1, S1)
        steps.append(f"log p(x) = {logp}")
        neg_elogp = -_settle(_quadratic_expectation(logp, x, mu1, S1, steps, "p"))
    if KINDS[kind].arity == 1:
        expr = neg_elogp
        steps.append(f"H(P) = -E_P[log p] = {expr}")
        return Derivation(kind, (P,), ((mu1, S1),), expr, conditions, steps)
    if Q is None:
        raise TypeError(f"Q: {kind} needs a second family")
    mu2, S2 = Q.symbols("2")
    conditions.append(sp.Q.positive_definite(S2))
    logq = Q.sym_logpdf(x, mu2, S2)
    steps.append(f"log q(x) = {logq}")
    cross = -_settle(_quadratic_expectation(logq, x, mu1, S1, steps, "q"))
    # the two-sided kinds with a closed form here: -E[log q], or E[log p] - E[log q]
    expr = cross if neg_elogp is None else sp.expand(cross - neg_elogp, deep=False)
    steps.append(result_step(kind, expr, 2))
    return Derivation(kind, (P, Q), ((mu1, S1), (mu2, S2)), expr, conditions, steps)


def _diag(kind: str, P: type[Family], Q: type[Family] | None = None) -> Derivation:
    normal = FAMILIES["normal"]
    syms: tuple[tuple[Any, ...], ...]
    fams: tuple[type[Family], ...]
    if KINDS[kind].arity == 1:
        base = univariate.entropy(normal)
        syms, fams = (P.symbols(""),), (P,)
    else:
        if Q is None or Q.name != _DIAG:
            raise NoClosedFormError(f"{kind} between {P.__name__} and {getattr(Q, '__name__', Q)} is not derived; "
                                    "convert with DiagonalNormal.to_multivariate()")
        base = univariate.two_sided(kind, normal, normal)
        syms, fams = (P.symbols("1"), Q.symbols("2")), (P, Q)
    mapping = {a: b for old, new in zip(base.symbols, syms) for a, b in zip(old, new)}
    expr = base.expr.xreplace(mapping)
    steps = ["coordinates are independent, so the divergence is the sum over coordinates of the univariate "
             "Normal result:", *base.steps, f"per coordinate: {expr}"]
    conditions = [c.xreplace(mapping) for c in base.conditions]
    return Derivation(kind, fams, syms, expr, conditions, steps, coordinate_sum=True)


def derive(kind: str, P: type[Family], Q: type[Family] | None = None) -> Derivation:
    """Derivation for vector families (called by the engine)."""
    names = (P.name, Q.name if Q is not None else None)
    if P.name == _MVN and (Q is None or Q.name == _MVN):
        return _mvn(kind, P, Q)
    if P.name == _DIAG and (Q is None or Q.name == _DIAG):
        return _diag(kind, P, Q)
    raise NoClosedFormError(
        f"{kind} between {names[0]} and {names[1]} is not derived by the engine (a vector family pairs only with "
        "itself; convert a DiagonalNormal with to_multivariate()); use anadiv.kl_estimate(p, q)"
    )


def instantiate(d: Derivation, values: list[tuple[Any, ...] | None]) -> Derivation:
    """Substitute explicit (numeric or symbolic) parameters into a vector-family derivation."""
    given = [v for v in values if v is not None]
    if d.coordinate_sum:
        if len(given) != len(values):
            raise ValueError("P, Q: give both distributions as instances (or both as classes) for DiagonalNormal")
        vecs = [tuple(sp.Matrix(v) for v in vals) for vals in given]
        n = vecs[0][0].shape[0]
        total = sp.Integer(0)
        for i in range(n):
            mapping = {s: vec[i] for syms, vv in zip(d.symbols, vecs) for s, vec in zip(syms, vv)}
            total += d.expr.xreplace(mapping)
        return Derivation(d.kind, d.families, d.symbols, total, [], [*d.steps, f"summed over {n} coordinates"])
    if len(given) != len(values):
        raise ValueError("P, Q: give both distributions as instances (or both as classes) for MultivariateNormal")
    first = sp.Matrix(given[0][0])
    n = first.shape[0]
    dim = d.symbols[0][0].shape[0]
    expr = d.expr.xreplace({dim: n}) if isinstance(dim, sp.Symbol) else d.expr
    mapping = {}
    for syms, vals in zip(d.symbols, given):
        for s, v in zip(syms, vals):
            mapping[sp.MatrixSymbol(s.name, *[n if isinstance(k, sp.Symbol) else k for k in s.shape])] = sp.ImmutableMatrix(v)
    out = expr.xreplace(mapping).doit()
    if isinstance(out, sp.MatrixBase):
        out = out[0, 0]
    return Derivation(d.kind, d.families, d.symbols, sp.simplify(out) if out.free_symbols else out, [],
                      [*d.steps, f"substituted explicit {n}-dimensional parameters"])
