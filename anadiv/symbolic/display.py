r"""A derived closed form as a paper-ready LaTeX formula.

Two jobs, kept apart so that the second cannot change a value:

* :func:`display_form` rewrites a derivation's expression into an equal one that
  reads better: logarithms of positive arguments with rational coefficients are
  combined (``log(2)/2 + log(pi)/2`` becomes ``log(2 pi)/2``, the six
  log-gamma terms of the Beta-Beta KL one log of a ratio of gammas), with
  logarithms of numbers kept apart from those of parameters, and the terms
  sharing a digamma factor are collected (``(a_1 - a_2) psi(a_1)``). Every
  rewrite is an identity for the parameters' declared assumptions
  (``log x + log y = log(x y)`` needs ``x, y > 0``, which is checked).
* :class:`DisplayPrinter` prints it: ``\log\sigma_2``, ``\log\frac{\sigma_2}{\sigma_1}``,
  ``\psi(a)`` for the digamma, ``\log\Gamma(a)``, ``\frac{1}{2} \log(2 \pi)``,
  ``\mathrm{rate}_{1}`` for a parameter named by a word, and constants last in a sum.

Examples
--------
>>> import sympy as sp
>>> s = sp.Symbol("sigma", positive=True)
>>> e = sp.log(s) + sp.log(2) / 2 + sp.log(sp.pi) / 2 + sp.Rational(1, 2)
>>> display_form(e)
log(sigma) + 1/2 + log(2*pi)/2
>>> display_latex(display_form(e))
'\\log \\sigma + \\frac{1}{2} \\log\\left(2 \\pi\\right) + \\frac{1}{2}'
"""

from __future__ import annotations

import functools
from typing import Any

import sympy as sp
from sympy.printing.latex import LatexPrinter

__all__ = ["display_form", "display_latex", "DisplayPrinter", "term_count"]


def term_count(expr: Any) -> int:
    """Number of top-level terms of a sum (1 for anything else): the size the display form reduces."""
    if isinstance(expr, sp.Piecewise):
        return sum(term_count(e) for e, _ in expr.args)
    return len(sp.Add.make_args(expr))


def display_form(expr: Any) -> Any:
    """An expression equal to ``expr`` that reads better (see the module docstring).

    Parameters
    ----------
    expr : sympy.Expr
        A derived closed form (a ``Piecewise`` is rewritten branch by branch).

    Returns
    -------
    sympy.Expr
        The same value: only identities valid under the symbols' assumptions are used.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", positive=True)
    >>> display_form(a * sp.polygamma(0, a) - b * sp.polygamma(0, a) + sp.loggamma(a) - sp.loggamma(b))
    (a - b)*polygamma(0, a) + log(gamma(a)/gamma(b))
    """
    if isinstance(expr, sp.Piecewise):
        return sp.Piecewise(*[(display_form(e), c) for e, c in expr.args])
    if not isinstance(expr, sp.Expr) or not expr.is_Add:
        return expr
    digammas = sorted(expr.atoms(sp.polygamma), key=sp.default_sort_key)
    if digammas:
        expr = sp.collect(expr, digammas)
    return _combine_logs(expr)


def _log_term(term: Any) -> tuple[Any, Any, Any] | None:
    """``(rational, rest, argument)`` for ``rational * rest * log(argument)`` with a positive argument.

    A log-gamma of a positive argument counts as the log of the gamma function
    (positive there); ``rest`` is the symbolic part of the coefficient.
    """
    coeff, factors = term.as_coeff_mul()
    logs = [f for f in factors if isinstance(f, (sp.log, sp.loggamma))]
    if len(logs) != 1 or not coeff.is_Rational:
        return None
    (log,) = logs
    argument = log.args[0]
    if argument.is_positive is not True:
        return None
    if isinstance(log, sp.loggamma):
        argument = sp.gamma(argument)
    rest = sp.Mul(*[f for f in factors if f is not log])
    if rest.has(sp.log, sp.loggamma):
        return None
    return coeff, rest, argument


def _rational_gcd(values: list[Any]) -> Any:
    """The largest positive rational of which every value is an integer multiple."""
    numerators = functools.reduce(sp.igcd, [abs(v.p) for v in values])
    denominators = functools.reduce(sp.ilcm, [v.q for v in values])
    return sp.Rational(numerators, denominators)


def _combine_logs(expr: Any) -> Any:
    """``sum c_i r log(a_i) = c r log(prod a_i^(c_i/c))``, grouped by ``r`` and by whether ``a_i`` is a number."""
    groups: dict[tuple[Any, bool], list[tuple[Any, Any]]] = {}
    kept = []
    for term in sp.Add.make_args(expr):
        found = _log_term(term)
        if found is None:
            kept.append(term)
            continue
        coeff, rest, argument = found
        groups.setdefault((rest, bool(argument.free_symbols)), []).append((coeff, argument))
    for (rest, _), members in groups.items():
        if len(members) == 1:
            (coeff, argument), = members
            kept.append(coeff * rest * _log_of(argument))
            continue
        unit = _rational_gcd([c for c, _ in members])
        product = sp.Mul(*[a ** (c / unit) for c, a in members])
        if product.could_extract_minus_sign() or sp.fraction(product)[0] == 1:
            # a ratio is read best with the larger powers on top: log(b/a), not -log(a/b)
            unit, product = -unit, 1 / product
        kept.append(unit * rest * _log_of(product))
    return sp.Add(*kept)


def _log_of(argument: Any) -> Any:
    """``log(argument)``, with the log of a single gamma function back as a log-gamma."""
    if isinstance(argument, sp.gamma):
        return sp.loggamma(argument.args[0])
    return sp.log(argument)


#: sympy's assumption predicates on one argument, as relations
_PREDICATES = {"Q.positive_definite": r"\succ 0", "Q.positive": "> 0", "Q.negative": "< 0"}


class DisplayPrinter(LatexPrinter):
    r"""sympy's LaTeX printer with the notation of papers.

    ``\log x`` for a symbol or a whole number, ``\log\frac{a}{b}`` for a ratio, ``\log\left(...\right)``
    otherwise; ``\psi`` (digamma), ``\log\Gamma``; a rational coefficient in front
    (``\frac{1}{2} \log\left(2 \pi\right)``) where the rest has no denominator; the
    constant terms of a sum last; names that are words upright (``\mathrm{rate}_{1}``).
    """

    def _print_log(self, expr: Any, exp: str | None = None) -> str:
        argument = expr.args[0]
        name = r"\log" if exp is None else rf"\log^{{{exp}}}"
        inner = self._print(argument)
        if isinstance(argument, sp.Determinant):
            return rf"{name}\left|{self._print(argument.arg)}\right|"
        if argument.is_Symbol or (argument.is_Integer and argument.is_positive):
            return rf"{name} {inner}"
        if inner.startswith(r"\frac") and (argument.is_Mul or argument.is_Rational):
            return rf"{name}{inner}"
        return rf"{name}\left({inner}\right)"

    def _print_loggamma(self, expr: Any, exp: str | None = None) -> str:
        name = r"\log\Gamma" if exp is None else rf"\left(\log\Gamma\right)^{{{exp}}}"
        return rf"{name}\left({self._print(expr.args[0])}\right)"

    def _print_polygamma(self, expr: Any, exp: str | None = None) -> str:
        order, argument = expr.args
        name = r"\psi" if order == 0 else rf"\psi^{{({self._print(order)})}}"
        text = rf"{name}\left({self._print(argument)}\right)"
        return text if exp is None else rf"{text}^{{{exp}}}"

    def _print_Mul(self, expr: Any) -> str:
        coeff, rest = expr.as_coeff_Mul()
        if (coeff.is_Rational and not coeff.is_Integer and sp.fraction(rest)[1] == 1 and not rest.is_Number
                and (rest.has(sp.Function) or rest.is_polynomial() is not True)):  # \frac{1}{2} \log 2, but \frac{d}{2}
            sign = "- " if coeff < 0 else ""
            body = self._print(rest)
            if rest.is_Add:
                body = rf"\left({body}\right)"
            return rf"{sign}\frac{{{abs(coeff.p)}}}{{{coeff.q}}} {body}"
        return super()._print_Mul(expr)

    def _print_AppliedPredicate(self, expr: Any) -> str:
        # the assumptions on matrix parameters: "\Sigma_{1} \succ 0", not "Q_{positive_definite}(Sigma_1)"
        relation = _PREDICATES.get(str(expr.function))
        if relation is None or len(expr.arguments) != 1:
            return super()._print_AppliedPredicate(expr)
        return rf"{self._print(expr.arguments[0])} {relation}"

    def _as_ordered_terms(self, expr: Any, order: Any = None) -> list[Any]:
        terms = super()._as_ordered_terms(expr, order=order)
        # constants last and rational ones at the very end ("... - \frac{1}{2}"), as written by hand
        def rank(t: Any) -> int:
            return 2 if t.is_Rational else (1 if t.is_number else 0)

        return sorted(terms, key=rank)  # stable: sympy's order within each rank

    def _deal_with_super_sub(self, string: str, style: str = "plain") -> str:
        name, supers, subs = self._split_super_sub(string)
        if len(name) > 1 and name.isalpha():
            name = rf"\mathrm{{{name}}}"  # a word (rate, shape, df), not a product of letters
        if style == "bold":
            name = rf"\mathbf{{{name}}}"
        if supers:
            name += "^{" + " ".join(supers) + "}"
        if subs:
            name += "_{" + " ".join(subs) + "}"
        return name


def display_latex(expr: Any) -> str:
    r"""LaTeX of ``expr`` with :class:`DisplayPrinter` (no rewriting: see :func:`display_form`).

    Examples
    --------
    >>> import sympy as sp
    >>> s1, s2 = sp.symbols("sigma_1 sigma_2", positive=True)
    >>> display_latex(sp.log(s2 / s1))
    '\\log\\frac{\\sigma_{2}}{\\sigma_{1}}'
    """
    return DisplayPrinter().doprint(expr)
