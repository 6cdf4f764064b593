r"""The exponential-family route for a matrix variate: the Wishart's KL, cross-entropy and entropy.

The family's declared log-density (``sym_logpdf``, with a ``MatrixSymbol``
variate ``X``, ``d x d``) is read as an exponential family

.. math::

    \log p(X) = \eta\,\log\det X + \operatorname{tr}(H X) - A + \log h(X),

sufficient statistics :math:`T(X) = (\log\det X, X)`: the coefficient of
:math:`\log\det X` is the scalar natural parameter :math:`\eta` (the
Wishart's :math:`(n - d - 1)/2`), the matrix multiplying ``X`` inside the
trace is the matrix natural parameter :math:`H` (:math:`-V^{-1}/2`), the
``X``-free rest is :math:`-A`. :math:`A` is then written in the natural
parameters (the scalar parameter solved from :math:`\eta`, the matrix one
from :math:`H = c\,V^{-1}`), and :math:`E[T] = \nabla A` is obtained by
differentiating it: :math:`\partial A / \partial\eta` by sympy (the log
multivariate gamma is a ``Sum`` of ``loggamma`` over ``j = 0 .. d - 1``, so
the multivariate digamma comes out as a ``Sum`` of ``polygamma(0, .)``), and
:math:`\partial A / \partial H` by sympy's matrix calculus with Jacobi's
formula :math:`d\log\det F = \operatorname{tr}(F^{-1}dF)` for the
log-determinants (sympy 1.14 differentiates ``log(Determinant(M))`` with
respect to ``M`` to ``0``). With :math:`\langle H, X\rangle =
\operatorname{tr}(H^\top X)`,

.. math::

    \mathrm{KL}(P \| Q) &= A_Q - A_P - (\eta_Q - \eta_P) E_P[\log\det X]
                           - \langle H_Q - H_P, E_P[X]\rangle, \\
    H(P, Q) &= A_Q - \eta_Q E_P[\log\det X] - \langle H_Q, E_P[X]\rangle - E_P[\log h], \\
    H(P) &= A_P - \eta_P E_P[\log\det X] - \langle H_P, E_P[X]\rangle - E_P[\log h]

(:math:`H(P, Q) = H(P) + \mathrm{KL}(P \| Q)`), in the family's symbols
``n_1, V_1, n_2, V_2`` and the dimension ``d``. The scale matrices are
symmetric, so their transposes are replaced by themselves. These are
derivations only: the registry evaluates the Wishart's closed forms with the
hand-written, numerically careful rules of :mod:`anadiv.wishart_pairs`
(the code generator leaves pairs that a built-in rule answers alone).

Examples
--------
>>> from anadiv import Wishart
>>> from anadiv.symbolic import derive_entropy
>>> "log-normalizer" in " ".join(derive_entropy(Wishart).steps)
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..errors import NoClosedFormError
from ..kinds import KINDS
from .derivation import Derivation
from .steps import result as result_step

if TYPE_CHECKING:
    from ..families._base import Family

#: the summation index of the log multivariate gamma and digamma
_J = sp.Symbol("j", integer=True, nonnegative=True)
#: the natural parameters as symbols while A is differentiated
_ETA = sp.Symbol("eta")


def handles(*families: type[Family]) -> bool:
    """Whether this route answers for the tuple: any matrix-variate family (it raises for a mixed pair)."""
    return any(getattr(f, "event_ndim", 0) == 2 for f in families if f is not None)


# ------------------------------------------------------------ the decomposition
def _log_multigamma_as_sum(expr: Any) -> Any:
    r"""``log`` of sympy's :math:`\Gamma_d` as ``Sum(loggamma(a - j/2), (j, 0, d - 1))`` (and logs expanded).

    sympy evaluates :math:`\Gamma_d(a)` to :math:`\pi^{d(d-1)/4}\prod_{k=1}^d\Gamma(a + (1 - k)/2)`;
    every factor is positive for :math:`a > (d - 1)/2`, so the logarithm splits into a sum over ``k``,
    re-indexed here from ``j = k - 1 = 0``.
    """
    expr = sp.expand_log(expr, force=True)

    def as_sum(e: Any) -> Any:
        (k, lo, hi), = e.limits
        body = e.function.args[0]
        inner = body.function if isinstance(body, sp.Product) else body  # log(Product(gamma)) or log(gamma)
        return sp.Sum(sp.loggamma(sp.expand(inner.args[0].xreplace({k: _J + lo}))), (_J, 0, hi - lo))

    def is_log_gamma_sum(e: Any) -> bool:
        return (isinstance(e, sp.Sum) and len(e.limits) == 1 and isinstance(e.function, sp.log)
                and isinstance(e.function.args[0], sp.gamma))

    expr = expr.replace(
        lambda e: isinstance(e, sp.log) and isinstance(e.args[0], sp.Product) and len(e.args[0].limits) == 1
        and isinstance(e.args[0].function, sp.gamma),
        lambda e: sp.Sum(sp.log(e.args[0].function), *e.args[0].limits),
    )
    return expr.replace(is_log_gamma_sum, as_sum)


def _decompose(P: type[Family], params: tuple[Any, ...], X: Any) -> tuple[Any, Any, Any, Any]:
    """``(eta, H, A, log h)`` of ``P``'s log-density at ``params``: see the module notes."""
    logp = _log_multigamma_as_sum(sp.expand(P.sym_logpdf(X, *params)))
    eta, H, rest, log_h = sp.Integer(0), None, sp.Integer(0), sp.Integer(0)
    for term in sp.Add.make_args(logp):
        if not term.has(X):
            rest += term
            continue
        coef, core = term.as_independent(X, as_Add=False)
        if core == sp.log(sp.Determinant(X)):
            eta += coef
        elif isinstance(core, sp.Trace) and isinstance(core.arg, sp.MatMul) and core.arg.args[-1] == X:
            left = sp.MatMul(coef, *core.arg.args[:-1])
            H = left if H is None else H + left
        else:
            log_h += term
    if H is None or not eta.free_symbols:
        raise NoClosedFormError(f"log p(X) of {P.__name__} is not linear in (log det X, X)")
    return sp.factor(eta), H, -rest, log_h


def _natural_form(P: type[Family], params: tuple[Any, ...], eta: Any, H: Any, A: Any, Eta: Any) -> tuple[Any, dict[Any, Any]]:
    """``A`` in the natural parameters, and the parameters in terms of them.

    The scalar parameter is solved from ``eta``; the matrix one from ``H = c V^-1`` (``V = (H / c)^-1``).
    """
    scalars = [p for p in params if not isinstance(p, sp.MatrixSymbol)]
    matrices = [p for p in params if isinstance(p, sp.MatrixSymbol)]
    coeff, mats = (H if isinstance(H, sp.MatMul) else sp.MatMul(H)).as_coeff_matrices()
    if len(scalars) != 1 or len(matrices) != 1 or mats != [sp.Inverse(matrices[0])]:
        raise NoClosedFormError(f"{P.__name__}: the natural parameter of X is not a multiple of the inverse scale")
    solved = sp.solve(sp.Eq(_ETA, eta), scalars[0], dict=True)
    if len(solved) != 1:
        raise NoClosedFormError(f"{P.__name__}: eta = {eta} does not determine {scalars[0]}")
    inverse = {scalars[0]: solved[0][scalars[0]], matrices[0]: sp.Inverse(Eta / coeff)}
    return A.xreplace(inverse), inverse


def _matrix_gradient(a: Any, M: Any) -> Any:
    """``dA/dM`` (a matrix): sympy's matrix calculus, Jacobi's formula for each ``log(Determinant(F(M)))``."""
    W = sp.MatrixSymbol("W", *M.shape)
    out = sp.ZeroMatrix(*M.shape)
    for term in sp.Add.make_args(sp.expand(a)):
        if not term.has(M):
            continue
        coef, core = term.as_independent(M, as_Add=False)
        if isinstance(core, sp.log) and isinstance(core.args[0], sp.Determinant):
            F = core.args[0].arg
            # d log det F = tr(F^-1 dF): the gradient of tr(W F(M)) with W = F^-1 held fixed
            g = sp.diff(sp.Trace(W * F), M).xreplace({W: sp.Inverse(F)})
        elif isinstance(core, sp.Trace):
            g = sp.diff(core, M)
        else:
            raise NoClosedFormError(f"no matrix derivative for the term {core} of the log-normalizer")
        out = out + coef * g
    return out


# ----------------------------------------------------------------- tidying
def _symmetric(expr: Any, matrices: list[Any]) -> Any:
    """The scale matrices are symmetric: ``V^T = V``."""
    return expr.xreplace({sp.Transpose(m): m for m in matrices})


def _settle(expr: Any, matrices: list[Any]) -> Any:
    """Evaluate the matrix algebra, split traces over sums, ``tr(V^-1 V) = d``, collect like terms."""
    expr = sp.expand(_symmetric(sp.expand(expr).doit(), matrices))
    out = sp.Integer(0)
    for term in sp.Add.make_args(expr):
        coef, core = term.as_independent(*matrices, as_Add=False)
        if isinstance(core, sp.Trace):
            inner = _symmetric(sp.expand(core.arg).doit(), matrices)
            parts = inner.args if isinstance(inner, sp.MatAdd) else (inner,)
            core = sp.Integer(0)
            for part in parts:
                c, mats = part.as_coeff_matrices() if isinstance(part, sp.MatMul) else (1, [part])
                body = sp.MatMul(*mats).doit()
                core += c * (body.shape[0] if isinstance(body, sp.Identity) else sp.Trace(body))
        out += coef * core
    return sp.expand(out)


def _tidy(expr: Any, matrices: list[Any]) -> Any:
    """``tr(I_d) = d``; terms over the same ``Sum`` range merged, their summand collected; like terms collected."""
    expr = expr.replace(lambda e: isinstance(e, sp.Trace) and isinstance(e.arg, sp.Identity), lambda e: e.arg.shape[0])
    sums: dict[Any, Any] = {}
    rest = sp.Integer(0)
    for term in sp.Add.make_args(sp.expand(expr)):
        found = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum) and len(f.limits) == 1]
        if len(found) == 1:
            coef = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not found[0]])
            lim = found[0].limits[0]
            sums[lim] = sums.get(lim, sp.Integer(0)) + coef * found[0].function
        else:
            rest += term
    atoms = [sp.log(sp.Determinant(m)) for m in matrices] + [sp.log(2), sp.log(sp.pi)]
    parts = [sp.collect(rest, atoms, sp.factor)]
    for lim, body in sums.items():
        body = sp.expand(body)
        digammas = sorted(body.atoms(sp.polygamma), key=sp.default_sort_key)
        parts.append(sp.Sum(sp.collect(body, digammas, sp.factor), lim))
    return sp.Add(*parts)


# ------------------------------------------------------------------ the route
def derive(kind: str, P: type[Family], Q: type[Family] | None = None) -> Derivation:
    """Entropy, KL or cross-entropy of a matrix-variate exponential family from its log-normalizer."""
    k = KINDS[kind]
    if k.arity == 2 and (Q is None or Q is not P):
        raise NoClosedFormError(
            f"{kind} between {P.__name__} and {getattr(Q, '__name__', Q)} is not derived: the exponential-family "
            "route pairs a matrix-variate family (Wishart) only with itself, and a matrix variate has no common "
            "support with a scalar or vector one; use anadiv.kl_estimate(p, q)"
        )
    if getattr(P, "event_ndim", 0) != 2:
        raise NoClosedFormError(f"{kind} of {P.__name__}: the matrix route derives matrix-variate families only")
    if kind not in ("kl", "cross_entropy", "entropy"):
        raise NoClosedFormError(f"{kind}: the exponential-family route derives kl, cross_entropy and entropy only")
    params1 = P.symbols("1") if k.arity == 2 else P.symbols("")
    matrix1 = next(p for p in params1 if isinstance(p, sp.MatrixSymbol))
    X = sp.MatrixSymbol("X", *matrix1.shape)
    Eta = sp.MatrixSymbol("H", *matrix1.shape)

    steps = [f"log p(X) = {P.sym_logpdf(X, *params1)}"]
    eta1, H1, A1, log_h = _decompose(P, params1, X)
    steps.append(f"log p(X) = eta log det(X) + tr(H X) - A + log h(X): sufficient statistics T(X) = (log det(X), X), "
                 f"natural parameters eta = {eta1}, H = {H1}, log h(X) = {log_h}")
    steps.append(f"log-normalizer A = {A1} "
                 "(log Gamma_d(a) = d(d - 1)/4 log(pi) + Sum(loggamma(a - j/2), j = 0 .. d - 1))")
    A_nat, inverse = _natural_form(P, params1, eta1, H1, A1, Eta)
    shown = ", ".join(f"{k} = {v}" for k, v in inverse.items())
    steps.append(f"in the natural parameters ({shown}): A(eta, H) = {A_nat}")
    grad_eta = sp.diff(A_nat, _ETA)
    grad_H = _matrix_gradient(A_nat, Eta)

    def at(params: tuple[Any, ...], expr: Any) -> Any:
        eta, H, _, _ = _decompose(P, params, X)
        return expr.xreplace({_ETA: eta, Eta: H})

    matrices = [p for p in params1 if isinstance(p, sp.MatrixSymbol)]
    mean_logdet = sp.expand_log(sp.expand(at(params1, grad_eta)).doit(), force=True)
    mean_x = _symmetric(at(params1, grad_H).doit(), matrices)
    steps.append(f"E_P[log det(X)] = dA/d eta = {grad_eta} = {mean_logdet}")
    steps.append(f"E_P[X] = dA/dH = {grad_H} (Jacobi: d log det F = tr(F^-1 dF)) = {mean_x}")

    def inner(H: Any) -> Any:
        return sp.Trace(sp.Transpose(H) * mean_x)

    if log_h.has(X):
        raise NoClosedFormError(f"E_P[log h(X)] for {P.__name__} (log h = {log_h}) has no closed form")
    if kind == "entropy":
        expr = A1 - eta1 * mean_logdet - inner(H1) - log_h
        steps.append("H(P) = A(eta_P) - eta_P E_P[log det X] - <H_P, E_P[X]> - E_P[log h]")
        fams: tuple[type[Family], ...] = (P,)
        syms: tuple[tuple[Any, ...], ...] = (params1,)
    else:
        if Q is None:  # a two-sided kind without Q was refused above
            raise TypeError(f"Q: {kind} needs a second family")
        params2 = Q.symbols("2")
        matrices += [p for p in params2 if isinstance(p, sp.MatrixSymbol)]
        eta2, H2, A2, _ = _decompose(Q, params2, X)
        if kind == "kl":
            expr = A2 - A1 - (eta2 - eta1) * mean_logdet - inner(sp.MatAdd(H2, -H1))
            steps.append("KL(P || Q) = A(eta_Q) - A(eta_P) - (eta_Q - eta_P) E_P[log det X] - <H_Q - H_P, E_P[X]>")
        else:
            expr = A2 - eta2 * mean_logdet - inner(H2) - log_h
            steps.append("H(P, Q) = A(eta_Q) - eta_Q E_P[log det X] - <H_Q, E_P[X]> - E_P[log h] = H(P) + KL(P || Q)")
        fams, syms = (P, Q), (params1, params2)
    expr = _tidy(_settle(expr, matrices), matrices)
    steps.append(result_step(kind, expr, len(fams)))
    return Derivation(kind, fams, syms, expr, [sp.Q.positive_definite(m) for m in matrices], steps)


def instantiate(d: Derivation, values: list[tuple[Any, ...] | None]) -> Derivation:
    """Substitute explicit parameters (numbers or sympy, a ``d x d`` scale) into a Wishart derivation."""
    given = [v for v in values if v is not None]
    if len(given) != len(values):
        raise ValueError("P, Q: give both distributions as instances (or both as classes) for a Wishart")
    size = None
    mapping: dict[Any, Any] = {}
    for syms, vals in zip(d.symbols, given):
        for s, v in zip(syms, vals):
            if isinstance(s, sp.MatrixSymbol):
                m = sp.ImmutableMatrix(v)
                if m.shape[0] != m.shape[1] or (size is not None and m.shape[0] != size):
                    raise ValueError(f"{s.name}: shape {m.shape}, expected square matrices of one dimension")
                size = m.shape[0]
                mapping[s] = m
            else:
                mapping[s] = sp.sympify(v)
    dim = next(s for syms in d.symbols for s in syms if isinstance(s, sp.MatrixSymbol)).shape[0]
    expr = d.expr.xreplace({dim: size}) if isinstance(dim, sp.Symbol) else d.expr
    expr = expr.xreplace({sp.MatrixSymbol(s.name, size, size) if isinstance(s, sp.MatrixSymbol) else s: v
                          for s, v in mapping.items()})
    out = expr.doit()
    steps = [*d.steps, f"substituted explicit {size} x {size} scales"]
    return Derivation(d.kind, d.families, d.symbols, out, [], steps)
