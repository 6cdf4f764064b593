"""Code generation: turn the engine's derivations into sympy-free numpy source.

``python -m anadiv.codegen`` rewrites ``anadiv/_generated/`` (one module per P
family plus the registry ``_index.py``); ``--check`` only compares.
:func:`source_for` gives the source of one derivation's function (the
engine's ``Derivation.source``).

This package imports sympy; the numeric path never imports it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["source_for", "render_function"]


def source_for(derivation: Any) -> str:
    """Python source of the generated numeric function for ``derivation``.

    Parameters
    ----------
    derivation : anadiv.symbolic.Derivation
        A KL, entropy or cross-entropy derivation.

    Returns
    -------
    str
        The function's source, as written into ``anadiv/_generated/``.
    """
    from .render import render_function

    return render_function(_generic(derivation)).source


def _generic(derivation: Any) -> Any:
    """The family-level derivation when ``derivation`` had values substituted.

    Generated functions take every parameter as an argument, so a derivation
    for instances (``derive_kl(Normal(0, 1), Normal(mu, 2))``) shows the code
    of its family pair.
    """
    import sympy

    declared = {s for syms in derivation.symbols for s in syms}
    expr = derivation.expr
    free = expr.free_symbols if isinstance(expr, sympy.Basic) else set()
    dims = {d for s in declared if isinstance(s, sympy.MatrixSymbol) for d in s.shape if isinstance(d, sympy.Symbol)}
    if free <= declared | dims and all(s in free or s in dims for s in declared if not isinstance(s, sympy.MatrixSymbol)):
        return derivation
    from anadiv.kinds import KINDS

    return KINDS[derivation.kind].derive(*derivation.families)


def render_function(derivation: Any) -> Any:
    """The :class:`~anadiv.codegen.render.GeneratedFunction` for ``derivation``."""
    from .render import render_function as _render

    return _render(derivation)
