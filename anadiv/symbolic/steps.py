r"""Derivation steps that know their LaTeX.

A step is a string (its readable text, as the derivation has always printed
it); an equation step, made by :func:`equation`, is a :class:`Step`, a string
that also keeps its left side in LaTeX and its right side as a sympy
expression, so that :func:`steps_latex` prints it as math without reading the
text back (no string is ever parsed into an expression). Other steps print as
``\text{...}`` rows.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x")
>>> s = equation("E_P[x]", r"\mathbb{E}_P\left[x\right]", sp.Symbol("mu"), note="the mean")
>>> str(s)
'E_P[x] = mu (the mean)'
>>> print(steps_latex([s, "supports nest"]))
\begin{aligned}
\mathbb{E}_P\left[x\right] &= \mu &&\text{(the mean)} \\
&\text{supports nest}
\end{aligned}
"""

from __future__ import annotations

from typing import Any, Sequence

from ..kinds import KINDS
from .display import display_latex

__all__ = ["Step", "equation", "result", "steps_latex", "latex_text"]


class Step(str):
    """A step's text, with its equation's parts for LaTeX: ``lhs`` (LaTeX), ``rhs`` (sympy), ``note`` (text)."""

    lhs: str
    rhs: Any
    note: str

    def __new__(cls, text: str, lhs: str = "", rhs: Any = None, note: str = "") -> Step:
        self = super().__new__(cls, text)
        self.lhs, self.rhs, self.note = lhs, rhs, note
        return self


def equation(lhs_text: str, lhs_latex: str, rhs: Any, note: str = "", *, text: str | None = None) -> Step:
    """The step ``lhs = rhs (note)``; ``text`` replaces the printed text where it is written differently."""
    if text is None:
        text = f"{lhs_text} = {rhs}" + (f" ({note})" if note else "")
    return Step(text, lhs_latex, rhs, note)


def result(kind: str, expr: Any, arity: int = 2, *, text: str | None = None) -> Step:
    r"""The last step, ``result = expr``; in LaTeX the kind's own left side (``\mathrm{KL}\left(P \,\|\, Q\right)``)."""
    return equation("result", KINDS[kind].latex(["P", "Q"][:arity]), expr, text=text)


_TEXT_ESCAPES = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "_": r"\_", "^": r"\^{}", "#": r"\#",
                 "$": r"\$", "%": r"\%", "&": r"\&", "~": r"\~{}"}


def latex_text(text: str) -> str:
    r"""``\text{...}`` of plain text, its LaTeX special characters escaped."""
    return r"\text{" + "".join(_TEXT_ESCAPES.get(c, c) for c in str(text)) + "}"


def _row(step: Any) -> str:
    if isinstance(step, Step) and step.lhs:
        row = rf"{step.lhs} &= {display_latex(step.rhs)}"
        return row + (rf" &&{latex_text(f'({step.note})')}" if step.note else "")
    return "&" + latex_text(step)


def steps_latex(steps: Sequence[Any]) -> str:
    r"""The steps as one ``aligned`` block: equations aligned at ``=``, other steps as text rows."""
    rows = " \\\\\n".join(_row(s) for s in steps)
    return "\\begin{aligned}\n" + rows + "\n\\end{aligned}"
