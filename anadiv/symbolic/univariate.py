"""Derivations between univariate families, from their declared log-densities.

The route, for univariate families P and Q (:mod:`.engine` dispatches to it;
vector families go to :mod:`.mvn`):

1. **Supports.** If ``supp P`` is not inside ``supp Q`` the KL and the
   cross-entropy are ``oo``. When containment depends on parameters
   (``Uniform(a, b) || Uniform(c, d)``), the result is
   ``Piecewise((finite, c <= a & b <= d), (oo, True))``.
2. **Decompose.** ``log q(x)`` (Q's ``sym_logpdf``) is expanded into
   ``const + sum_j c_j g_j(x)`` over basis terms (:mod:`.terms`).
3. **Expectations.** ``E_P[g_j]`` comes from :mod:`.expectations` (derived
   once per family and basis kind, cached), with the condition under which
   it is finite.
4. **Assemble.** ``H(P, Q) = -E_P[log q]``, ``H(P) = -E_P[log p]``,
   ``KL = H(P, Q) - H(P)``. Where a needed expectation is infinite, the
   dominant (fastest-growing) term decides: ``+oo`` times a negative
   coefficient makes ``E_P[log q] = -oo`` and the KL ``oo``.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import sympy as sp

from ..errors import NoClosedFormError
from ..families import FAMILIES
from ..kinds import KINDS, DivergenceKind
from .derivation import Derivation
from .steps import result as result_step
from .display import display_latex
from .functions import with_erfcx
from .expectations import expectation, gamma_logs, growth
from .steps import Step, equation
from .terms import decompose
from ..numeric.caching import memoize

if TYPE_CHECKING:
    from ..families._base import Family


# ------------------------------------------------------------------ helpers
def param_constraints(cls: type[Family], syms: tuple[Any, ...]) -> list[Any]:
    """sympy relations stating the parameter constraints of ``cls`` for ``syms``."""
    out: list[Any] = []
    for p, s in zip(cls.parameters, syms):
        out.extend(p.constraint.sympy_conditions(s))
    names = [p.name for p in cls.parameters]
    if "low" in names and "high" in names:
        out.append(sp.StrictLessThan(syms[names.index("low")], syms[names.index("high")], evaluate=False))
    return out


def _ends(support: Any) -> tuple[Any, Any]:
    """``(lower, upper)`` end of a support: an ``Interval``, or a ``Range`` of integers."""
    if isinstance(support, sp.Interval):
        return support.start, support.end
    return support.inf, support.sup


def _measure(P: type[Family]) -> str:
    return getattr(P, "measure", "lebesgue")


def _x_symbol(P: type[Family], *supports: Any) -> Any:
    """The integration (or summation) variable: positive when some support is known to lie in [0, oo).

    Integer for a family on the counting measure, so that sympy sums over it.
    """
    nonnegative = any((_ends(s)[0] >= 0) == sp.true for s in supports)
    if _measure(P) == "counting":
        return sp.Symbol("x", integer=True, nonnegative=True) if nonnegative else sp.Symbol("x", integer=True)
    return sp.Symbol("x", positive=True) if nonnegative else sp.Symbol("x", real=True)


def _containment(supp_p: Any, supp_q: Any) -> Any:
    """Condition for ``supp_p`` to lie inside ``supp_q`` (endpoints do not matter: measure zero)."""
    (p_lo, p_hi), (q_lo, q_hi) = _ends(supp_p), _ends(supp_q)
    return sp.And(sp.Le(q_lo, p_lo), sp.Le(p_hi, q_hi))


def tidy(expr: Any) -> Any:
    """Readable form: expanded logs, simplified when small (kept cheap)."""
    if expr in (sp.oo, -sp.oo):
        return expr
    expr = sp.expand(sp.expand_log(sp.expand(expr), force=True))
    # one exponential per term, with a factored argument: exp(-(mu - loc)**2/(2 sigma**2))
    expr = sp.powsimp(expr, combine="exp", deep=True)
    expr = expr.replace(lambda e: isinstance(e, sp.exp), lambda e: sp.exp(sp.factor(e.args[0])))
    # merge the logarithms of the parameters into one log where that is shorter
    logs = [t for t in sp.Add.make_args(expr) if isinstance(t, sp.log) or (t.is_Mul and any(isinstance(f, sp.log) for f in t.args) and t.as_coeff_Mul()[0].is_Rational and isinstance(t.as_coeff_Mul()[1], sp.log))]
    if len(logs) > 1:
        merged = sp.logcombine(sp.Add(*logs), force=True)
        if sp.count_ops(merged) < sp.count_ops(sp.Add(*logs)):
            expr = expr - sp.Add(*logs) + merged
    expr = expr.replace(
        lambda e: isinstance(e, sp.log) and e.args[0].is_rational_function() and not e.args[0].atoms(sp.Function),
        lambda e: _log_with_squares(e),
    )
    return with_erfcx(_complete_squares(_with_erfc(expr)))


def _with_erfc(expr: Any) -> Any:
    """``c - c erf(b)`` as ``c erfc(b)`` among the terms of a sum.

    ``1 - erf(b)`` loses every digit once ``erf(b)`` rounds to 1 (``b > 6`` in
    float64, and at any working precision for ``b`` large enough), while
    ``erfc(b)`` keeps them; the terms pair up where an expectation of
    ``exp(-x/s)`` under a half-line density meets the rest of the sum. The
    product ``exp(a) erfc(b)`` is then scaled (:func:`.functions.with_erfcx`).
    """
    if not isinstance(expr, sp.Add):
        return expr
    terms = list(expr.args)
    for i, term in enumerate(terms):
        for factor in sp.Mul.make_args(term):
            if isinstance(factor, sp.erf):
                base = term / factor
                partner = next((j for j, t in enumerate(terms) if j != i and sp.expand(t + base) == 0), None)
                if partner is not None:
                    rest = [t for k, t in enumerate(terms) if k not in (i, partner)]
                    return _with_erfc(sp.Add(*rest, -base * sp.erfc(factor.args[0]), evaluate=True))
    return expr


def _complete_squares(expr: Any, numbers: bool = False) -> Any:
    """Gather the function-free terms over one denominator and fold ``c(u^2 - 2uv + v^2)`` into ``c(u - v)^2``.

    Kept only when the result is not longer: ``(sigma_1^2 + (mu_1 - mu_2)^2)/(2 sigma_2^2)``
    reads better than its expansion.
    """
    terms = sp.Add.make_args(expr)
    plain = [t for t in terms if (numbers or not t.is_number) and not t.atoms(sp.Function) and t.is_rational_function()]
    if len(plain) < 2:
        return expr
    num, den = sp.fraction(sp.together(sp.Add(*plain)))
    num = sp.expand(num)
    squares = sp.Integer(0)
    for u, v in itertools.combinations(sorted(num.free_symbols, key=str), 2):
        poly = sp.Poly(num, u, v)
        c_uu, c_vv, c_uv = (poly.coeff_monomial(m) for m in (u**2, v**2, u * v))
        if c_uv == 0 or sp.expand(c_uu - c_vv) != 0:
            continue
        for sign in (-1, 1):
            if sp.expand(c_uv - sign * 2 * c_uu) == 0:
                num = sp.expand(num - c_uu * (u**2 + sign * 2 * u * v + v**2))
                squares += c_uu * (u + sign * v) ** 2
                break
    if squares == 0:
        return expr
    num = num + squares
    candidate = sp.Add(*[t for t in terms if t not in plain]) + num / den
    return candidate if sp.count_ops(candidate) <= sp.count_ops(expr) else expr


def _log_with_squares(e: Any) -> Any:
    arg = sp.expand(e.args[0])
    folded = _complete_squares(arg, numbers=True)
    return sp.log(folded) if folded is not arg else e


def _fmt_sum(const: Any, pieces: dict[Any, Any], x: Any) -> str:
    parts = [str(const)] if const != 0 else []
    parts.extend(f"({c})*{t.as_expr(x)}" for t, c in pieces.items())
    return " + ".join(parts) if parts else "0"


def _sum_step(lhs_text: str, lhs_latex: str, const: Any, pieces: dict[Any, Any], x: Any) -> Step:
    """The step ``lhs = const + sum c_k g_k(x)`` of a decomposed log-density."""
    rhs = const + sp.Add(*[c * t.as_expr(x) for t, c in pieces.items()])
    return equation(lhs_text, lhs_latex, rhs, text=f"{lhs_text} = {_fmt_sum(const, pieces, x)}")


def _expectation_step(g: Any, value: Any, note: str, text: str) -> Step:
    """The step ``E_P[g(X)] = value (note)``."""
    return equation(f"E_P[{g}]", rf"\mathbb{{E}}_P\left[{display_latex(g)}\right]", value, note, text=text)


def expected_log_density(
    P: type[Family], p_params: tuple[Any, ...], logdensity: Any, x: Any, label: str, steps: list[str]
) -> tuple[Any, Any]:
    """``(E_P[logdensity], finite_condition)``; the value is ``-oo`` where the condition fails.

    Raises
    ------
    NoClosedFormError
        A needed expectation has no derivation, or the outcome where it is
        infinite is not decided by the dominant term.
    """
    const, pieces = decompose(logdensity, x)
    steps.append(_sum_step(f"log {label}(x)", rf"\log {label}(x)", const, pieces, x))
    value = const
    pending = []
    for term, coef in pieces.items():
        m = expectation(P, p_params, term)
        g = term.as_expr(x)
        how = "; ".join(m.notes)
        if m.value is None:
            steps.append(f"E_P[{g}] is infinite ({how})")
        else:
            where = "" if m.finite == sp.true else f", finite iff {m.finite}"
            steps.append(_expectation_step(g, m.value, f"{where[2:]}{'; ' if where else ''}from {how}",
                                           text=f"E_P[{g}] = {m.value}{where} (from {how})"))
            value += coef * m.value
        if m.finite != sp.true:
            pending.append((term, coef, m))
    finite = sp.And(*[m.finite for _, _, m in pending]) if pending else sp.true
    if finite not in (sp.true, sp.false):
        finite = sp.simplify(finite)  # (df > 1) & (df > 2) -> df > 2
    if pending:
        top = max(growth(t) for t, _, _ in pending)
        dominant = [(t, c, m) for t, c, m in pending if growth(t) == top]
        decided = all(m.sign_if_infinite == 1 and (sp.sympify(c).is_negative is True) for _, c, m in dominant)
        if not decided:
            raise NoClosedFormError(
                f"E_P[log {label}] is not finite for P = {P.__name__} and its sign is not decided by the dominant term"
            )
        terms = ", ".join(str(t.as_expr(x)) for t, _, _ in dominant)
        steps.append(
            f"where {finite} fails, the dominant term(s) {terms} diverge to +oo with a negative coefficient, "
            f"so E_P[log {label}] = -oo there"
        )
    return (value if finite != sp.false else -sp.oo), finite


def _piecewise(finite_value: Any, condition: Any) -> Any:
    """``finite_value`` where ``condition`` holds, ``oo`` elsewhere, with inner cases lifted to the top."""
    if condition == sp.false:
        return sp.oo
    expr = finite_value if condition == sp.true else sp.Piecewise((finite_value, condition), (sp.oo, True))
    if not expr.has(sp.Piecewise):
        return expr
    folded = sp.piecewise_fold(expr)
    if not isinstance(folded, sp.Piecewise):
        return folded
    return sp.Piecewise(*[(tidy(e) if e.has(sp.Piecewise) is False else e, c) for e, c in folded.args])


def _combined(
    kind: DivergenceKind, P: type[Family], ps: tuple[Any, ...], Q: type[Family], qs: tuple[Any, ...], x: Any, steps: list[str],
    separate: Exception,
) -> tuple[Any, Any]:
    """``(E_P[h(log p, log q)], sp.true)`` with ``h`` (linear) applied to the log-densities before the expectation.

    Terms common to ``log p`` and ``log q`` (the ``log k!`` of two Poisson mass
    functions) cancel in ``h``, so their expectations, which may have no closed
    form, are never needed.

    Raises
    ------
    NoClosedFormError
        A remaining term has no finite expectation in closed form; the message
        names it (and the separate attempt's reason, ``separate``).
    """
    integrand = kind.integrand(P.sym_logpdf(x, *ps), Q.sym_logpdf(x, *qs))
    try:
        const, pieces = decompose(integrand, x)
        steps.append(_sum_step("h(log p(x), log q(x))", r"h\left(\log p(x), \log q(x)\right)", const, pieces, x))
        value = const
        for term, coef in pieces.items():
            m = expectation(P, ps, term)
            if m.value is None or m.finite != sp.true:
                raise NoClosedFormError(f"E_P[{term.as_expr(x)}] is not finite for every parameter value")
            steps.append(_expectation_step(term.as_expr(x), m.value, f"from {'; '.join(m.notes)}",
                                           text=f"E_P[{term.as_expr(x)}] = {m.value} (from {'; '.join(m.notes)})"))
            value += coef * m.value
    except NoClosedFormError as exc:
        raise NoClosedFormError(
            f"no closed form for {kind.name} between {P.__name__} and {Q.__name__} ({separate}; and with the terms "
            f"of log p and log q combined: {exc}); {_instead(kind)}"
        ) from None
    return tidy(value), sp.true


# ---------------------------------------------------------------- derivations
def _check_supported(*classes: type[Family]) -> None:
    for c in classes:
        if not (isinstance(c, type) and getattr(c, "name", "") in FAMILIES):
            raise TypeError(f"expected a family class or instance, got {c!r}")


def _instead(kind: DivergenceKind) -> str:
    return f"use {kind.instead()}"


@memoize
def entropy(P: type[Family]) -> Derivation:
    """The entropy of a univariate family, through the expectation of its log-density."""
    kind = KINDS["entropy"]
    sym = P.symbols("")
    steps: list[str] = [f"{kind.show(['P'])} = {kind.definition} for P = {P.__name__}{sym}"]
    x = _x_symbol(P, P.sym_support(*sym))
    try:
        elogp, finite = expected_log_density(P, sym, P.sym_logpdf(x, *sym), x, "p", steps)
    except NoClosedFormError as exc:
        raise NoClosedFormError(f"no closed form for the entropy of {P.__name__} ({exc}); {_instead(kind)}") from None
    if finite != sp.true:
        raise NoClosedFormError(f"the entropy of {P.__name__} is not finite everywhere; {_instead(kind)}")
    expr = tidy(kind.integrand(elogp, None))
    steps.append(equation(kind.show(['P']), kind.latex(['P']), expr))
    return Derivation(kind.name, (P,), (sym,), expr, param_constraints(P, sym), steps)


@memoize
def two_sided(name: str, P: type[Family], Q: type[Family]) -> Derivation:
    """A kind linear in ``E_P[log p]`` and ``E_P[log q]`` (its integrand applied to them), univariate P and Q."""
    kind = KINDS[name]
    ps, qs = P.symbols("1"), Q.symbols("2")
    supp_p, supp_q = P.sym_support(*ps), Q.sym_support(*qs)
    conditions = param_constraints(P, ps) + param_constraints(Q, qs)
    steps = [f"{kind.show(['P', 'Q'])} = {kind.definition} for P = {P.__name__}{ps}, Q = {Q.__name__}{qs}"]
    if _measure(P) != _measure(Q):
        # one has atoms, the other a density: each puts mass where the other has none
        inside = sp.false
        steps.append(f"P has a {_measure(P)} density, Q a {_measure(Q)} one: P is not absolutely continuous w.r.t. Q")
    else:
        inside = _containment(supp_p, supp_q)
        steps.append(f"supp P = {supp_p}, supp Q = {supp_q}: supp P lies inside supp Q iff {inside}")
    if inside == sp.false:
        steps.append("P puts mass where q = 0, so the result is oo")
        return Derivation(name, (P, Q), (ps, qs), sp.oo, conditions, steps)
    x = _x_symbol(P, supp_p, supp_q)
    elogp = None
    try:
        elogq, finite_q = expected_log_density(P, ps, Q.sym_logpdf(x, *qs), x, "q", steps)
        if "p" in kind.log_densities:
            elogp, finite_p = expected_log_density(P, ps, P.sym_logpdf(x, *ps), x, "p", steps)
            if finite_p != sp.true:
                raise NoClosedFormError(f"E_P[log p] is not finite for P = {P.__name__}")
        finite_value = kind.integrand(elogp, elogq)
        if _measure(P) == "counting":
            finite_value = gamma_logs(finite_value)  # log n! of a constant against an expectation's log (n-1)!
        finite_value = tidy(finite_value)
    except NoClosedFormError as exc:
        if len(kind.log_densities) < 2:
            raise NoClosedFormError(
                f"no closed form for {name} between {P.__name__} and {Q.__name__} ({exc}); {_instead(kind)}"
            ) from None
        # E_P[log p] or E_P[log q] alone has no closed form (E[log k!] under a Poisson): the terms
        # log p and log q share may cancel in h(log p, log q) itself
        steps.append(f"separately: {exc}; so h(log p, log q) is expanded as one expression")
        try:
            finite_value, finite_q = _combined(kind, P, ps, Q, qs, x, steps, exc)
        except NoClosedFormError as combined:
            pinned = _pinned(inside, ps)
            if pinned:
                return _pinned_derivation(name, P, Q, ps, qs, conditions, steps, inside, pinned, combined)
            tie, finite_value = _tied(kind, P, ps, Q, qs, x, steps, exc, combined)
            return _tied_derivation(name, P, Q, ps, qs, conditions, steps, inside, tie, finite_value)
    condition = sp.And(inside, finite_q)
    if condition == sp.false:
        steps.append("E_P[log q] = -oo, so the result is oo")
        return Derivation(name, (P, Q), (ps, qs), sp.oo, conditions, steps)
    expr = _piecewise(finite_value, condition)
    if condition != sp.true:
        conditions.append(condition)
        steps.append(equation("result", kind.latex(["P", "Q"]), expr,
                              text=f"result = {finite_value} where {condition}, oo elsewhere"))
    else:
        steps.append(equation("result", kind.latex(["P", "Q"]), finite_value))
    return Derivation(name, (P, Q), (ps, qs), expr, conditions, steps)


# ------------------------------------------------------- shared parameters
def _pinned(inside: Any, ps: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    """P's integer parameter that the containment of the supports confines to a few values, and those values.

    ``Binomial(n) || Bernoulli``: the supports nest only where ``n <= 1``, and a
    trial count is a nonnegative integer, so only ``n = 0`` and ``n = 1`` are finite.
    """
    for s in ps:
        if not s.is_integer or inside.free_symbols != {s}:
            continue
        least = 1 if s.is_positive else 0 if s.is_nonnegative else None
        if least is None:
            continue
        values = [least + k for k in range(_FEW + 1) if sp.simplify(inside.subs(s, least + k)) == sp.true]
        # a bound on a support's end is monotone in the parameter: true on a prefix only
        if values and len(values) <= _FEW and values == list(range(least, least + len(values))):
            return s, [sp.Integer(v) for v in values]
    return None


#: The most parameter values :func:`_pinned` derives one by one.
_FEW = 4


def _pinned_derivation(
    name: str, P: type[Family], Q: type[Family], ps: tuple[Any, ...], qs: tuple[Any, ...], conditions: list[Any],
    steps: list[str], inside: Any, pinned: tuple[Any, list[Any]], combined: NoClosedFormError,
) -> Derivation:
    """A value for each pinned parameter value (where the supports nest), ``oo`` elsewhere.

    Raises ``combined`` when the family at a pinned value has no closed form either.
    """
    kind = KINDS[name]
    sym, values = pinned
    steps.append(f"the supports nest only where {inside}, that is {sym} in {{{', '.join(map(str, values))}}}")
    branches = []
    for v in values:
        fixed = tuple(v if p == sym else p for p in ps)
        support = P.sym_support(*fixed)
        if not isinstance(support, sp.Range) or not support.size.is_Integer or support.size > _FEW + 1:
            raise combined
        # a support of a few points: the expectations are the finite sums themselves
        logp = [sp.simplify(P.sym_logpdf(k, *fixed)) for k in support]
        logq = [sp.expand_log(Q.sym_logpdf(k, *qs), force=True) for k in support]
        elogq = sp.Add(*[sp.exp(lp) * lq for lp, lq in zip(logp, logq)])
        elogp = sp.Add(*[sp.exp(lp) * lp for lp in logp]) if "p" in kind.log_densities else None
        value = tidy(kind.integrand(elogp, elogq))
        steps.append(f"where {sym} = {v}, supp P = {support}: the sums over its points give {value}")
        branches.append((value, sp.Eq(sym, v)))
    expr = sp.Piecewise(*branches, (sp.oo, True))
    conditions.append(inside)
    steps.append(result_step(name, expr, 2))
    return Derivation(name, (P, Q), (ps, qs), expr, conditions, steps)


def _tied(
    kind: DivergenceKind, P: type[Family], ps: tuple[Any, ...], Q: type[Family], qs: tuple[Any, ...], x: Any, steps: list[str],
    separate: Exception, combined: NoClosedFormError,
) -> tuple[Any, Any]:
    """``(tie, value)``: the combined route again with Q's parameters inside ``log gamma`` terms set to P's.

    Two mass functions of one family with the same trial count (``Binomial(n, p1)``,
    ``Binomial(n, p2)``) share their binomial coefficients, which cancel in
    ``log p - log q``; with different counts ``E_P[log C(n_2, k)]`` has no closed
    form. The closed form then holds where ``tie`` (``Eq(n_1, n_2)``) does.

    Raises
    ------
    NoClosedFormError
        ``combined`` when P and Q are different families, no parameter of Q sits
        in a ``log gamma`` term, or the tied terms do not cancel either.
    """
    if P is not Q:
        raise combined
    _, pieces = decompose(Q.sym_logpdf(x, *qs), x)
    inside_lgamma = set().union(*[sp.Tuple(*t.args).free_symbols for t in pieces if t.kind == "lgamma"])
    tied = {q: p for p, q in zip(ps, qs) if q in inside_lgamma}
    if not tied:
        raise combined
    steps.append(f"with different parameters: {combined}; so the parameters {', '.join(map(str, tied))} of Q "
                 f"inside log gamma terms are set equal to P's")
    value, _ = _combined(kind, P, ps, Q, tuple(tied.get(q, q) for q in qs), x, steps, separate)
    return sp.And(*[sp.Eq(q, p) for q, p in tied.items()]), value


def _tied_derivation(
    name: str, P: type[Family], Q: type[Family], ps: tuple[Any, ...], qs: tuple[Any, ...], conditions: list[Any],
    steps: list[str], inside: Any, tie: Any, value: Any,
) -> Derivation:
    """``value`` where ``tie`` holds, ``oo`` where P's support leaves Q's, ``nan`` (no closed form) elsewhere.

    The generated function raises ``NoClosedFormError`` for the ``nan`` elements
    (see :mod:`anadiv.codegen.render`): there the divergence exists but needs
    ``E_P[log gamma]`` terms with no closed form (a sum the quadrature does exactly).
    """
    # oo first: the printed xp.where nests the last two branches, and two scalar branches
    # (inf, nan) would make a float64 array out of float32 parameters
    branches = [] if inside == sp.true else [(sp.oo, sp.Not(inside))]
    expr = sp.Piecewise(*branches, (value, tie), (sp.nan, True))
    conditions.append(tie)
    steps.append(f"result = {value} where {tie}"
                 + ("" if inside == sp.true else f", oo where {sp.Not(inside)}")
                 + "; elsewhere no closed form (nan: the generated function raises NoClosedFormError there)")
    return Derivation(name, (P, Q), (ps, qs), expr, conditions, steps)
