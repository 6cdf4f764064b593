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

    return render_function(derivation).source


def render_function(derivation: Any) -> Any:
    """The :class:`~anadiv.codegen.render.GeneratedFunction` for ``derivation``."""
    from .render import render_function as _render

    return _render(derivation)
