"""The :class:`Derivation` object returned by the engine."""

from __future__ import annotations

import importlib

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import sympy as sp

from ..kinds import KINDS
from .display import display_form, display_latex
from .steps import steps_latex

if TYPE_CHECKING:
    from ..families._base import Family


@dataclass(frozen=True)
class Derivation:
    r"""A derived closed form with the conditions under which it holds and how it was obtained.

    Attributes
    ----------
    kind : str
        Name of the divergence kind (:data:`anadiv.kinds.KINDS`): ``"kl"``,
        ``"entropy"`` or ``"cross_entropy"``.
    families : tuple of type
        ``(P,)`` for the entropy, ``(P, Q)`` otherwise.
    symbols : tuple of tuple
        The parameter symbols of each family, in constructor order
        (``P.symbols("1")``, ``Q.symbols("2")``; the entropy uses ``P.symbols("")``).
    expr : sympy.Expr
        The result in those symbols: finite, ``sympy.oo``, or a ``Piecewise`` whose
        last branch is ``oo`` where supports (or moments) make it infinite.
    conditions : list of sympy relations
        Parameter constraints, support containment and moment conditions under which the
        finite branch holds.
    steps : list of str
        Readable account of the derivation.
    coordinate_sum : bool
        True for families of independent coordinates (``DiagonalNormal``): ``expr`` is then
        the per-coordinate term in the scalar symbols of ``Family.symbols(...)`` and the
        divergence is its sum over the coordinates (:attr:`total` shows it as a ``Sum``;
        generated code sums over the last axis).

    Examples
    --------
    >>> from anadiv import Normal
    >>> from anadiv.symbolic import derive_kl
    >>> d = derive_kl(Normal, Normal)
    >>> d.kind, [f.__name__ for f in d.families]
    ('kl', ['Normal', 'Normal'])
    >>> d._repr_latex_().startswith("$")
    True
    """

    kind: str
    families: tuple[type[Family], ...]
    symbols: tuple[tuple[Any, ...], ...]
    expr: Any
    conditions: list[Any] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    coordinate_sum: bool = False

    # ---------------------------------------------------------------- display
    @property
    def title(self) -> str:
        """Short plain-text title such as ``KL(Normal || Normal)``."""
        return KINDS[self.kind].show([f.__name__ for f in self.families])

    @property
    def total(self) -> Any:
        """The whole divergence: ``expr``, or for independent coordinates the ``Sum`` of ``expr`` over them."""
        return self._summed(self.expr)

    def _summed(self, expr: Any) -> Any:
        if not self.coordinate_sum:
            return expr
        i = sp.Symbol("i", integer=True, nonnegative=True)
        d = sp.Symbol("d", integer=True, positive=True)
        mapping = {s: sp.Indexed(sp.IndexedBase(s.name, real=True), i) for syms in self.symbols for s in syms}
        return sp.Sum(expr.xreplace(mapping), (i, 0, d - 1))

    @property
    def display_expr(self) -> Any:
        """:attr:`total` rewritten to read well (:func:`anadiv.symbolic.display.display_form`): the same value."""
        return self._summed(display_form(self.expr))

    def latex(self, *, steps: bool = False) -> str:
        r"""The closed form as paper-ready LaTeX: one simplified formula, then its conditions.

        The first line is the formula, ``\mathrm{KL}\left(P \,\|\, Q\right) = ...``
        (``P`` and ``Q`` name the distributions, ``H\left(P\right)`` for the
        entropy), printed from :attr:`display_expr`: logarithms combined, terms
        sharing a digamma collected, constants last. Where the derivation has
        conditions, the second line lists them, ``\sigma_{1} > 0,\ \sigma_{2} > 0``.
        Lines end with ``\\`` and a newline, so the whole text goes into a
        ``gather*`` (or ``align*``) environment as it is, and each line alone
        into ``$...$``. No plain text is mixed in.

        Parameters
        ----------
        steps : bool
            Also the derivation's steps, as a third line: one ``aligned`` block,
            equations aligned at ``=`` (``\log q(x) &= ...``), the other steps as
            ``\text{...}`` rows.

        Returns
        -------
        str
            The LaTeX source (without ``$`` delimiters).

        Examples
        --------
        >>> from anadiv import Normal
        >>> from anadiv.symbolic import derive_kl
        >>> print(derive_kl(Normal, Normal).latex())
        \mathrm{KL}\left(P \,\|\, Q\right) = \log\frac{\sigma_{2}}{\sigma_{1}} + \frac{\sigma_{1}^{2} + \left(\mu_{1} - \mu_{2}\right)^{2}}{2 \sigma_{2}^{2}} - \frac{1}{2} \\
        \sigma_{1} > 0,\ \sigma_{2} > 0
        """
        lines = [f"{self._latex_lhs()} = {display_latex(self.display_expr)}"]
        conditions = self._shown_conditions()
        if conditions:
            lines.append(r",\ ".join(display_latex(c) for c in conditions))
        if steps and self.steps:
            lines.append(steps_latex(self.steps))
        return " \\\\\n".join(lines)

    def _latex_lhs(self) -> str:
        return KINDS[self.kind].latex(["P", "Q"][:len(self.families)])

    def _shown_conditions(self) -> list[Any]:
        """The conditions that say something (not ``True``)."""
        return [c for c in self.conditions if c is not sp.true and c is not True]

    def _repr_latex_(self) -> str:
        text = self.latex()
        if "\n" not in text:
            return f"${text}$"
        return "$\\begin{gathered}\n" + text + "\n\\end{gathered}$"

    def __str__(self) -> str:
        lines = [f"{self.title} = {self.total}"]
        if self.conditions:
            lines.append("where " + ", ".join(str(c) for c in self.conditions))
        lines.extend(f"  {i + 1}. {s}" for i, s in enumerate(self.steps))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Derivation {self.title} = {self.total}>"

    # ------------------------------------------------------------------ code
    @property
    def source(self) -> str:
        """Generated numpy source for this closed form (from :mod:`anadiv.codegen`)."""
        # loaded by name: the code generator consumes derivations, so it sits
        # above this module and is imported only when the source is asked for
        return importlib.import_module("anadiv.codegen").source_for(self)

    # ----------------------------------------------------------- substitution
    def substitute(self, mapping: dict[Any, Any]) -> "Derivation":
        """The same derivation with some parameters replaced (by numbers or expressions)."""
        if not mapping:
            return self
        expr = self.expr.xreplace(mapping)
        if isinstance(expr, sp.Piecewise) or expr.has(sp.Piecewise):
            expr = sp.piecewise_fold(expr)
        conditions = []
        for c in self.conditions:
            c2 = c.xreplace(mapping) if hasattr(c, "xreplace") else c
            if c2 is sp.true or c2 is True:
                continue
            conditions.append(c2)
        steps = [*self.steps, "substituted " + ", ".join(f"{k} = {v}" for k, v in mapping.items())]
        return replace(self, expr=expr, conditions=conditions, steps=steps)
