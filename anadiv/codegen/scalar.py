"""Function bodies for expressions of scalar symbols (every univariate closed form).

:func:`scalar_body` prints a sympy expression as the body of a generated
function over an array namespace ``xp``: common subexpressions as temporaries,
``log1p``/increment forms for accuracy, guarded branches, and the result check
(``xp._refine.checked``) with its cancellation scale. :mod:`.matrix` prints the
multivariate bodies (and uses this one per coordinate); :mod:`.render` puts a
body into a whole function.
"""

from __future__ import annotations

from typing import Any

import sympy

from .helpers import with_exact_widths, with_increments, with_log1p
from .printer import XpPrinter, constants_to_floats, guard_piecewise_branches
from .refine import cancellation_scale, exact_name

__all__ = ["scalar_body"]


def scalar_body(expr: Any, args: list[str], kind: str | None = None, fname: str | None = None,
                undefined: str | None = None) -> list[str]:
    """Body lines (indented) computing ``expr`` of scalar symbols named ``args``.

    With ``kind`` and ``fname`` the result goes through ``xp._refine.checked``
    (NaN, inf, a negative KL or cancelling terms send an element to the exact
    form ``_<fname>_exact``; see :mod:`anadiv.codegen.refine`). With
    ``undefined`` (a message) the expression has a ``nan`` branch, where no
    closed form exists: ``xp._refine.defined`` raises it for such an element.
    """
    printer = XpPrinter()
    expr = constants_to_floats(sympy.sympify(expr))
    lines = [f"    xp = namespace({', '.join(args)})"]
    free = {s.name for s in expr.free_symbols}
    unused = [a for a in args if a not in free]
    if not free:
        lines.append(f"    return xp.full({printer.doprint(expr)}, {', '.join(args)})")
        return lines
    expr = guard_piecewise_branches(with_log1p(with_exact_widths(with_increments(expr))))
    checked = kind is not None and fname is not None
    scale = cancellation_scale(expr) if checked else None
    temps = sympy.numbered_symbols("t")
    exprs = [expr] if scale is None else [expr, scale]
    replacements, reduced_all = sympy.cse(exprs, symbols=temps, order="canonical")
    reduced = reduced_all[0]
    guarded = expr.has(sympy.Piecewise) or checked
    indent = "        " if guarded else "    "
    if guarded:
        # xp.where evaluates every branch; the branch not taken may overflow
        # or take the log of a negative number: its warnings mean nothing. A
        # checked result is recomputed wherever an intermediate overflowed, so
        # the float path's warnings mean nothing there either.
        lines.append('    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):')
    for sym, sub in replacements:
        lines.append(f"{indent}{sym} = {printer.doprint(sub)}")
    result = printer.doprint(reduced)
    if unused:
        # keep the broadcast shape and dtype of every argument
        result = f"{result} + xp.full(0.0, {', '.join(unused)})"
    if checked and fname is not None:
        scale_src = "None" if scale is None else printer.doprint(reduced_all[1])
        result = f"xp._refine.checked({kind!r}, {result}, {scale_src}, {exact_name(fname)}, {', '.join(args)})"
    if undefined is not None:
        result = f"xp._refine.defined({result}, {undefined!r}, {', '.join(args)})"
    lines.append(f"{indent}return {result}")
    return lines
