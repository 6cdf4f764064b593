r"""What a generated closed form needs for its result check (:mod:`anadiv.numeric.refine`).

Two things are printed next to each univariate closed form:

* the *cancellation scale* (:func:`cancellation_scale`): the printed expression
  with each top-level term replaced by its absolute value, so that
  ``scale / |value|`` bounds how much the terms cancel. Terms that cannot be
  negative (the stabilizer's Bregman-type atoms, squares, positive parameters)
  cannot cancel against each other; when every term is such, there is no scale.
* the *exact form* (:func:`exact_source`): the derived expression printed for
  mpmath (``def _kl_p_q_exact(mpmath, ...)``), which :mod:`anadiv.numeric.refine`
  evaluates at increasing precision for the elements whose float result is
  doubtful. It is the expression the engine derived, not the stabilized
  rewrite, so the fallback answers with the same truth the tests check
  against.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.pycode import MpmathPrinter

from .printer import BranchGuard, is_helper

__all__ = ["cancellation_scale", "exact_source", "exact_name"]

#: Stable helpers whose value is never negative (Bregman divergences and
#: ``x - 1 - log x``-type atoms; see :mod:`anadiv.codegen.helpers`).
NONNEGATIVE_HELPERS = frozenset(
    {"expm1mx", "xm1mlog", "xm1mlog_d", "powm1mlog", "lgamma_bregman", "lgamma_bregman_d", "gamma_bregman", "beta_bregman"}
)


def _nonnegative(term: Any) -> bool:
    """True when ``term`` is provably >= 0 for every valid parameter value."""
    if term.is_nonnegative:
        return True
    if isinstance(term, sympy.Mul):
        return all(_nonnegative(f) for f in term.args)
    if isinstance(term, sympy.Pow):
        return bool(term.exp.is_even) or _nonnegative(term.base)
    if isinstance(term, BranchGuard):
        return _nonnegative(term.args[0])
    if isinstance(term, sympy.Piecewise):
        return all(_nonnegative(e) for e, _ in term.args)
    if is_helper(type(term)):
        return type(term).__name__ in NONNEGATIVE_HELPERS
    return False


def cancellation_scale(expr: Any) -> Any:
    """``sum |term|`` over the top-level terms of ``expr`` (per ``Piecewise`` branch).

    Returns None when no two terms can cancel (every term nonnegative, or a
    single term) and no branch is infinite. In a ``Piecewise``, an infinite
    branch gets the scale 0 (its ``inf`` is decided by the supports) and a
    branch without cancellation its own value.
    """
    if isinstance(expr, sympy.Piecewise):
        # an infinite branch (the supports say so) gets scale 0: an inf there is
        # the true value, not an overflow, and is not recomputed
        branches = [(_verdict_scale(expr) if e == sympy.oo else cancellation_scale(e), c) for e, c in expr.args]
        if all(s is None for s, _ in branches):
            return None
        return sympy.Piecewise(*[(e if s is None else s, c) for (s, c), (e, _) in zip(branches, expr.args)],
                               evaluate=False)
    terms = sympy.Add.make_args(expr)
    if all(_nonnegative(t) for t in terms) and not any(_inner_sum(t) or _exponent_scale(t) is not None for t in terms):
        return None
    if len(terms) == 1 and not _inner_sum(expr) and _exponent_scale(expr) is None:
        return None
    return sympy.Add(*[_term_scale(t) for t in terms], evaluate=False)


def _verdict_scale(expr: Any) -> Any:
    """The scale of an infinite branch: 0, or NaN where a condition's sides overflowed.

    ``0 * (lhs - rhs)`` of every relational before it is 0 where the
    conditions were computed, and NaN where a side is infinite or NaN (a
    Renyi form's ``alpha / sigma_1**2`` at ``sigma_1 = 1e-300``): the branch
    taken there is not a verdict, and the element is recomputed exactly.
    """
    sides = []
    for _, cond in expr.args:
        if cond is sympy.true:
            break
        for rel in cond.atoms(sympy.core.relational.Relational):
            if rel.lhs.free_symbols or rel.rhs.free_symbols:
                sides.append(rel.lhs - rel.rhs)
    if not sides:
        return sympy.S.Zero
    from .printer import zero_or_nan

    return zero_or_nan(sympy.Add(*sides))


def _inner_sum(term: Any) -> bool:
    """A product with a computed sum among its factors (``(g r - (1 + g) r + r)/r``): it may cancel inside.

    A difference of parameters (``loc_1 - loc_2``) is rounded once, however close
    the two are, so it does not count.
    """
    return isinstance(term, sympy.Mul) and any(
        isinstance(f, sympy.Add) and not _nonnegative(f) and not _parameter_difference(f) for f in term.args)


def _parameter_difference(total: Any) -> bool:
    return all(t.is_Symbol or t.is_Number or (t.is_Mul and len(t.args) == 2 and t.args[0] == -1 and t.args[1].is_Symbol)
               for t in total.args)


def _term_scale(term: Any) -> Any:
    """``|term|``, with a factor that is a sum replaced by the sum of its terms' scales.

    A factor ``exp(u)`` whose exponent ``u`` is a computed sum multiplies the
    term's scale by ``1 + sum |u_i|``: an absolute error ``eps * sum |u_i|`` in
    the exponent is that relative error in the term (``B(a + s, b) / B(a, b)``
    formed from log-gamma differences of size 1e9 that cancel to 1e-4).
    """
    inflation = _exponent_scale(term)
    if inflation is not None:
        return sympy.Mul(_plain_term_scale(term), 1 + inflation, evaluate=False)
    return _plain_term_scale(term)


def _plain_term_scale(term: Any) -> Any:
    if _nonnegative(term):
        return term
    if isinstance(term, sympy.Add):
        return sympy.Add(*[_term_scale(t) for t in term.args], evaluate=False)
    if _inner_sum(term):
        return sympy.Mul(*[_term_scale(f) if isinstance(f, sympy.Add) and not _parameter_difference(f)
                           else sympy.Abs(f, evaluate=False) for f in term.args], evaluate=False)
    return sympy.Abs(term, evaluate=False)


def _exponent_scale(term: Any) -> Any | None:
    """``sum |u_i|`` over the exponents' terms of the ``exp(u)`` factors of ``term``, or None."""
    factors = sympy.Mul.make_args(term) if isinstance(term, sympy.Mul) else (term,)
    sums = [f.args[0] for f in factors
            if isinstance(f, sympy.exp) and isinstance(f.args[0], sympy.Add) and not _parameter_difference(f.args[0])]
    if not sums:
        return None
    return sympy.Add(*[_plain_term_scale(t) for u in sums for t in u.args], evaluate=False)


def exact_name(fname: str) -> str:
    return f"_{fname}_exact"


class _ExactPrinter(MpmathPrinter):
    """mpmath source; ``mpmath`` is the argument :data:`anadiv.numeric.refine.MP` is passed as."""

    def __init__(self) -> None:
        super().__init__({"fully_qualified_modules": True, "inline": True, "allow_unknown_functions": False})

    def _print_polygamma(self, expr: Any) -> str:
        n, x = expr.args
        return f"mpmath.polygamma({self._print(n)}, {self._print(x)})"

    def _print_loggamma(self, expr: Any) -> str:
        return f"mpmath.loggamma({self._print(expr.args[0])})"

    def _print_lowergamma(self, expr: Any) -> str:
        s, x = expr.args
        return f"mpmath.gammainc({self._print(s)}, 0, {self._print(x)})"

    def _print_uppergamma(self, expr: Any) -> str:
        s, x = expr.args
        return f"mpmath.gammainc({self._print(s)}, {self._print(x)})"

    def _print_betainc_regularized(self, expr: Any) -> str:
        # anadiv.numeric.refine's continued fraction: mpmath's hypergeometric series
        # needs thousands of terms at the large shapes where the float path fails
        a, b, x1, x2 = (self._print(arg) for arg in expr.args)
        return f"mpmath.betainc_reg({a}, {b}, {x1}, {x2})"

    def _print_Ei(self, expr: Any) -> str:
        return f"mpmath.ei({self._print(expr.args[0])})"

    def _print_erfcx(self, expr: Any) -> str:
        # anadiv.numeric.refine's: mpmath has no erfcx, and its erfc overflows beyond 1e154
        return f"mpmath.erfcx({self._print(expr.args[0])})"

    def _print_Pow(self, expr: Any, rational: bool = False) -> str:
        if expr.exp.is_Number:
            return super()._print_Pow(expr, rational=rational)
        # anadiv.numeric.refine's guarded power: ``scale**shape`` with shape ~1e259 would
        # have mpmath expand e^(1e259-sized) digit by digit
        return f"mpmath.power({self._print(expr.base)}, {self._print(expr.exp)})"

    def _print_Sum(self, expr: Any) -> str:
        # mpmath's exactly rounded sum; the generated module has no ``builtins`` name
        (var, lo, hi) = expr.limits[0]
        return (f"mpmath.fsum({self._print(expr.function)} for {self._print(var)} in "
                f"range({self._print(lo)}, {self._print(hi + 1)}))")

    def _print__xlogy(self, expr: Any) -> str:
        return f"mpmath.xlogy({self._print(expr.args[0])}, {self._print(expr.args[1])})"

    def _print_Abs(self, expr: Any) -> str:
        return f"abs({self._print(expr.args[0])})"


class _xlogy(sympy.Function):
    """``x log y``, 0 where ``x = 0``: printed for the exact forms of coordinate sums only."""


def _entry_logs(expr: Any) -> Any:
    """``x[j] log(y)`` -> ``xlogy(x[j], y)`` inside coordinate sums (``0 log 0 = 0`` for a probability entry).

    A concentration entry is never 0, so the rewrite changes nothing for it.
    """
    def term(t: Any) -> Any:
        factors = list(sympy.Mul.make_args(t))
        entry = next((f for f in factors if isinstance(f, sympy.Indexed)), None)
        log = next((f for f in factors if isinstance(f, sympy.log)), None)
        if entry is None or log is None:
            return t
        factors.remove(entry)
        factors.remove(log)
        return sympy.Mul(*factors) * _xlogy(entry, log.args[0])

    def summand(s: Any) -> Any:
        if not s.function.has(sympy.log):
            return s
        body = sympy.expand(s.function)
        return sympy.Sum(sympy.Add(*[term(t) for t in sympy.Add.make_args(body)]), *s.limits)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), summand)


def _hoist_aggregates(expr: Any) -> tuple[Any, list[tuple[Any, Any]]]:
    """Name the coordinate sums and their functions that do not depend on an outer sum's index.

    ``Sum(psi(a[j]) - psi(Sum(a[i])), j)`` would otherwise recompute the inner
    sum and its digamma for every ``j``: K^2 work in mpmath.
    """
    hoisted: list[tuple[Any, Any]] = []
    names = sympy.numbered_symbols("_agg")
    indices = {lim[0] for e in expr.atoms(sympy.Sum) for lim in e.limits}

    def independent(e: Any) -> bool:
        return not e.free_symbols & indices

    while True:
        # innermost first: an outer sum is named once the sums and calls inside it are
        agg = {n for n, _ in hoisted}
        found = [e for e in sympy.preorder_traversal(expr)
                 if isinstance(e, sympy.Function) and e.free_symbols & agg and independent(e)]
        found = found or [e for e in sympy.preorder_traversal(expr) if isinstance(e, sympy.Sum) and independent(e)
                          and not e.function.atoms(sympy.Sum)]
        if not found:
            return expr, hoisted
        for part in dict.fromkeys(found):
            name = next(names)
            hoisted.append((name, part))
            expr = expr.xreplace({part: name})


def exact_source(raw: Any, fname: str, args: list[str]) -> str:
    """Source of ``_<fname>_exact(mpmath, *args)`` returning ``raw`` in mpmath numbers.

    For a closed form over coordinate sums (``IndexedBase`` parameters) a vector
    argument arrives as a list of mpmath numbers, ``K`` is its length, and the
    function is decorated with ``@with_event_ndim`` (1 per vector argument) for
    :func:`anadiv.numeric.refine.checked`.
    """
    bases = {b.label.name for b in raw.atoms(sympy.IndexedBase)}
    printer = _ExactPrinter()
    lines = [f"def {exact_name(fname)}(mpmath, {', '.join(args)}):",
             f'    """The derived expression of :func:`{fname}` for mpmath (see anadiv.numeric.refine)."""']
    if bases:
        events = ", ".join("1" if a in bases else "0" for a in args)
        lines.insert(0, f"@with_event_ndim({events})")
    if bases:
        lines.append(f"    K = len({next(a for a in args if a in bases)})")
        raw, hoisted = _hoist_aggregates(_entry_logs(raw))
        lines += [f"    {name} = {printer.doprint(value)}" for name, value in hoisted]
    lines += [f"    return {printer.doprint(raw)}", ""]
    return "\n".join(lines)
