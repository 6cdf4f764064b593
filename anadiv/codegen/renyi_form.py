r"""The Renyi divergence of an exponential family written as a sum of Jensen gaps: no cancellation.

The engine's form (:mod:`anadiv.symbolic.chernoff`),

.. math::

    D_\alpha = \frac{A(\eta_\alpha) - \alpha A(\eta_P) - (1 - \alpha) A(\eta_Q)}{\alpha - 1},

subtracts log-normalizers of the size of the parameters' logarithms (or of :math:`\log\Gamma` of
the shapes) to get a value that may be far smaller: printed as it stands, one pair in five of
typical Gamma parameters went to the exact fallback of the result check (a millisecond each), and
every pair at orders near 1. The numerator is linear in :math:`A`, so it splits over the additive
terms of :math:`A(\eta)`, each a Jensen gap of one function, written with a helper that computes
it as second-order terms only:

* a constant or a term linear in :math:`\eta`: gap 0;
* :math:`c \log h(\eta)`, ``h`` linear: :math:`c\,\mathrm{log\_mix\_gap}(\alpha, h_P, h_Q)`;
* :math:`c \log\Gamma(h(\eta))`: :math:`c\,\mathrm{lgamma\_mix\_gap}(\alpha, h_P, h_Q)`;
* :math:`c\, g \log h` (``g``, ``h`` linear):
  :math:`c\,[\mathrm{mix}(\alpha, g_P, g_Q)\,\mathrm{log\_mix\_gap}(\alpha, h_P, h_Q)
  + \alpha(\alpha - 1)(g_P - g_Q)\log(h_P/h_Q)]`;
* :math:`c\, u^2 / v` (``u``, ``v`` linear):
  :math:`c\,\alpha(\alpha - 1)(u_P v_Q - u_Q v_P)^2 / (v_P v_Q\, \mathrm{mix}(\alpha, v_P, v_Q))`.

A family with another kind of term (the von Mises' Bessel function) keeps the engine's form and
the result check. The split is verified against the derivation at random points (as every
stabilized form is) before it is printed.
"""

from __future__ import annotations

from typing import Any

import sympy

from .helpers import diff2, lgamma_mix_gap, log_mix_gap, log_ratio, mix, with_mixtures, xm1

__all__ = ["stable_renyi"]


def _linear(e: Any, etas: list[Any]) -> bool:
    poly = sympy.Poly(e, *etas) if e.free_symbols & set(etas) else None
    return poly is None or poly.total_degree() <= 1


def _is_linear(e: Any, etas: list[Any]) -> bool:
    try:
        return _linear(e, etas)
    except sympy.PolynomialError:
        return False


def _gap(term: Any, etas: list[Any], at1: dict[Any, Any], at2: dict[Any, Any], a: Any) -> Any | None:
    """The Jensen gap of one additive term of ``A``, or None when it has no stable form here."""
    if not term.free_symbols & set(etas) or _is_linear(term, etas):
        return sympy.S.Zero
    coeff, core = term.as_independent(*etas, as_Add=False)

    def sides(e: Any) -> tuple[Any, Any]:
        return e.xreplace(at1), e.xreplace(at2)

    def gap_args(e: Any) -> tuple[Any, Any, Any]:
        # the difference in the parameters, factored (1/s_1^2 - 1/s_2^2 = (s_2 - s_1)(s_2 + s_1)/(s_1 s_2)^2):
        # printed from the parameters' own differences, it keeps the digits a rounded subtraction would lose
        x, y = sides(e)
        return x, y, _differences(sympy.factor(sympy.cancel(x - y)))

    if isinstance(core, sympy.log) and _is_linear(core.args[0], etas):
        return coeff * log_mix_gap(a, *gap_args(core.args[0]))
    if isinstance(core, sympy.loggamma) and _is_linear(core.args[0], etas):
        return coeff * lgamma_mix_gap(a, *gap_args(core.args[0]))
    if core.is_Mul:
        logs = [f for f in core.args if isinstance(f, sympy.log)]
        rest = sympy.Mul(*[f for f in core.args if not isinstance(f, sympy.log)])
        if len(logs) == 1 and _is_linear(logs[0].args[0], etas) and _is_linear(rest, etas):
            (h1, h2, dh), (g1, g2) = gap_args(logs[0].args[0]), sides(rest)
            return coeff * (mix(a, g1, g2) * log_mix_gap(a, h1, h2, dh)
                            + a * xm1(a) * sympy.factor(g1 - g2) * log_ratio(h1, h2))
    num, den = sympy.fraction(sympy.together(core))
    if (isinstance(num, sympy.Pow) and num.exp == 2 and _is_linear(num.base, etas) and _is_linear(den, etas)
            and den.free_symbols & set(etas)):
        (u1, u2), (v1, v2) = sides(num.base), sides(den)
        cross = sympy.factor(u1 * v2 - u2 * v1)
        return coeff * a * xm1(a) * cross**2 / (v1 * v2 * mix(a, v1, v2))
    return None


def _differences(d: Any) -> Any:
    """``a_1 - a_2 + b_1 - b_2`` as ``diff2(a_1, a_2, b_2, b_1)``: two exact differences, added once.

    Printed as a sum, common subexpressions would regroup it as ``(a_1 + b_1) - a_2 - b_2``
    and round ``a_1 + b_1`` first (a Beta's ``a + b``), losing the digits of a small difference.
    """
    terms = sympy.Add.make_args(d)
    plus = [t for t in terms if t.is_Symbol]
    minus = [-t for t in terms if (-t).is_Symbol]
    if len(plus) == len(minus) == 2 and len(terms) == 4:
        by_base = {str(t).rsplit("_", 1)[0]: t for t in minus}
        pairs = [(p, by_base.get(str(p).rsplit("_", 1)[0])) for p in plus]
        if all(m is not None for _, m in pairs):
            (p1, m1), (p2, m2) = pairs
            return diff2(p1, m1, m2, p2)
    return d


def stable_renyi(derivation: Any) -> Any | None:
    """The Renyi closed form of ``derivation`` (an exponential family with itself) as a sum of Jensen gaps.

    Returns None where some term of the log-normalizer has no stable form here.
    """
    from ..symbolic import chernoff

    P = derivation.families[0]
    a_expr, etas, eta1, eta2, _, _ = chernoff.pieces(P)
    alpha = derivation.symbols[len(derivation.families)][0]
    at1, at2 = dict(zip(etas, eta1)), dict(zip(etas, eta2))
    gaps = []
    for term in sympy.Add.make_args(a_expr):
        g = _gap(term, etas, at1, at2, alpha)
        if g is None:
            return None
        gaps.append(g)
    finite = sympy.Add(*gaps) / xm1(alpha)
    expr = derivation.expr
    if isinstance(expr, sympy.Piecewise):
        (_, cond), *rest = expr.args
        return sympy.Piecewise((finite, with_mixtures(cond, alpha)), *rest)
    return finite
