r"""The Renyi divergence of one exponential family, from its log-normalizer.

For two members of an exponential family
:math:`\log p(x) = \langle \eta, T(x)\rangle - A(\eta) + \log h(x)`,

.. math::

    \int p^\alpha q^{1-\alpha}
      = \int h(x) e^{\langle \alpha\eta_P + (1-\alpha)\eta_Q, T(x)\rangle}\,dx \;
        e^{-\alpha A(\eta_P) - (1-\alpha) A(\eta_Q)}
      = \exp\bigl(A(\eta_\alpha) - \alpha A(\eta_P) - (1-\alpha) A(\eta_Q)\bigr),
    \qquad \eta_\alpha = \alpha \eta_P + (1 - \alpha) \eta_Q,

whenever :math:`\eta_\alpha` lies in the natural parameter space (the integral
is :math:`+\infty` otherwise), so the Renyi divergence of order
:math:`\alpha` is

.. math::

    D_\alpha(P \| Q) = \frac{A(\eta_\alpha) - \alpha A(\eta_P) - (1-\alpha) A(\eta_Q)}{\alpha - 1}.

For :math:`0 < \alpha < 1`, :math:`\eta_\alpha` lies between the two natural
parameters and the space is convex, so the form always holds; for
:math:`\alpha > 1` it holds where :math:`\eta_\alpha` keeps every argument of
the log-normalizer's logarithms and log-gamma functions positive (the
conditions are read off :math:`A`), and the divergence is :math:`+\infty`
elsewhere (Gil, Alajaji & Linder 2013 tabulate these for the usual families).

The Bhattacharyya distance :math:`D_{1/2}/2`, the Hellinger distance
:math:`\sqrt{1 - e^{-D_{1/2}/2}}` and the chi-square divergence
:math:`e^{D_2} - 1` follow from the same expression (:func:`derive_transformed`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sympy as sp

from ..errors import NoClosedFormError
from ..kinds import KINDS
from ..kinds._base import FromRenyi
from .derivation import Derivation
from .steps import result as result_step

if TYPE_CHECKING:
    from ..families._base import Family

#: the order of the Renyi divergence in the derived expressions
ALPHA = sp.Symbol("alpha", positive=True)


def handles(*families: type[Family]) -> bool:
    """One univariate exponential family with a declared log-normalizer, paired with itself."""
    first = families[0]
    return (
        all(f is first for f in families)
        and bool(getattr(first, "exponential_family", False))
        and not any(p.constraint.event_ndim for p in first.parameters)
        and not getattr(first, "singular_parameters", ())
        and callable(getattr(first, "sym_log_normalizer", None))
    )


def _domain(a: Any, etas: list[Any]) -> list[Any]:
    """Where ``A`` is finite, read off its expression: every log and log-gamma argument positive."""
    out = []
    for node in sp.preorder_traversal(a):
        if isinstance(node, (sp.log, sp.loggamma, sp.gamma)):
            arg = node.args[0]
            # a Bessel function (the von Mises normalizer) is positive for every real argument
            if arg.free_symbols & set(etas) and not arg.has(sp.besseli):
                out.append(arg > 0)
    return out


def pieces(P: type[Family]) -> tuple[Any, list[Any], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...], tuple[Any, ...]]:
    """``(A(eta), eta symbols, eta_P, eta_Q, P's symbols, Q's symbols)``: what the code generator
    needs to write the log-affinity term by term (:mod:`anadiv.codegen.renyi_form`)."""
    params1, params2 = P.symbols("1"), P.symbols("2")
    eta1, eta2 = P.sym_natural_params(*params1), P.sym_natural_params(*params2)
    etas = [sp.Symbol(f"eta{i}", real=True) for i in range(len(eta1))]
    return sp.sympify(P.sym_log_normalizer(*etas)), etas, tuple(eta1), tuple(eta2), params1, params2


def log_affinity(P: type[Family]) -> tuple[Any, tuple[Any, ...], tuple[Any, ...], list[Any], list[str]]:
    r"""``log int p^alpha q^(1 - alpha)`` for two members of ``P``, its finiteness conditions and the steps."""
    if not handles(P, P):
        raise NoClosedFormError(
            f"the Renyi divergence between {P.__name__} and itself is not derived: the engine derives it for "
            "univariate exponential families (from the log-normalizer); use anadiv.divergence('renyi', p, q, "
            "alpha=...), which falls back on quadrature or Monte Carlo"
        )
    params1, params2 = P.symbols("1"), P.symbols("2")
    eta1, eta2 = P.sym_natural_params(*params1), P.sym_natural_params(*params2)
    etas = [sp.Symbol(f"eta{i}", real=True) for i in range(len(eta1))]
    a = sp.sympify(P.sym_log_normalizer(*etas))
    mixed = [ALPHA * e1 + (1 - ALPHA) * e2 for e1, e2 in zip(eta1, eta2)]

    def at(values: Any) -> Any:
        return a.xreplace(dict(zip(etas, values)))

    log_c = at(mixed) - ALPHA * at(eta1) - (1 - ALPHA) * at(eta2)
    # not simplified: the mixtures stay "alpha x + (1 - alpha) y", which the code generator keeps as products
    conditions = [c.xreplace(dict(zip(etas, mixed))) for c in _domain(a, etas)]
    conditions = [c for c in conditions if c is not sp.true]
    steps = [
        f"natural parameters eta = {tuple(P.sym_natural_params(*P.symbols('')))}, log-normalizer A(eta) = {a}",
        "int p^alpha q^(1 - alpha) = exp(A(alpha eta_P + (1 - alpha) eta_Q) - alpha A(eta_P) - (1 - alpha) A(eta_Q))",
    ]
    if conditions:
        steps.append("finite where alpha eta_P + (1 - alpha) eta_Q is a natural parameter: "
                     + ", ".join(map(str, conditions)) + " (always for alpha < 1)")
    return log_c, params1, params2, conditions, steps


def derive(kind: str, P: type[Family], Q: type[Family]) -> Derivation:
    """The Renyi divergence of order ``alpha`` (symbol :data:`ALPHA`) between two members of ``P``."""
    if not handles(P, Q):
        raise NoClosedFormError(
            f"the Renyi divergence between {P.__name__} and {Q.__name__} is not derived: the engine derives it "
            "for two members of one univariate exponential family; use anadiv.divergence('renyi', p, q, alpha=...)"
        )
    log_c, params1, params2, conditions, steps = log_affinity(P)
    expr = log_c / (ALPHA - 1)
    steps.append("D_alpha = log(int p^alpha q^(1 - alpha)) / (alpha - 1)")
    if conditions:
        expr = sp.Piecewise((expr, sp.And(*conditions)), (sp.oo, True))
    steps.append(result_step(kind, expr, 2))
    return Derivation(kind, (P, Q), (params1, params2, (ALPHA,)), expr, [], steps)


def derive_transformed(kind: str, P: type[Family], Q: type[Family]) -> Derivation:
    """Bhattacharyya, Hellinger or chi-square from the Renyi form at the kind's order (see the module docs)."""
    renyi = derive("renyi", P, Q)
    k = KINDS[kind]
    if not isinstance(k, FromRenyi):
        raise NoClosedFormError(f"{kind}: not read from the Renyi divergence at one order")
    order, transform, text = sp.nsimplify(k.renyi_order), k.sym_from_renyi, k.from_renyi_text
    expr = renyi.expr.xreplace({ALPHA: order})
    expr = sp.piecewise_fold(transform(expr)) if isinstance(expr, sp.Piecewise) else transform(expr)
    steps = [*renyi.steps[:-1], f"at alpha = {order}: {text}", result_step(kind, expr)]
    return Derivation(kind, renyi.families, renyi.symbols[:2], expr, [], steps)
