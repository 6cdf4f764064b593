"""Griffe extension: render reST math and roles of numpy-style docstrings.

anadiv's docstrings are numpy-style with reST markup (``.. math::`` blocks,
``:math:`...``` and ``:func:`...``` roles), which is what ``help()`` and
Sphinx users read. mkdocstrings renders docstrings as Markdown, so before
rendering this extension rewrites

* ``.. math:: X`` (one line, or an indented block) into an arithmatex
  display block ``\\[ X \\]``, broken over lines that fit the page column
  (``formula_lines.py``),
* ``:math:`X``` into inline ``\\( X \\)``,
* ``:func:`name``` (and ``:class:``, ``:mod:``, ``:meth:``, ``:attr:``,
  ``:data:``, ``:obj:``, ``:exc:``) into inline code,

and gives functions whose docstring is assigned at import time
(``f.__doc__ = ...``, invisible to static analysis) that docstring.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any

import griffe


def _load_formula_lines() -> Any:
    # mkdocstrings loads this extension by path: its folder is not on sys.path
    path = Path(__file__).with_name("formula_lines.py")
    spec = importlib.util.spec_from_file_location("griffe_math_formula_lines", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


_FORMULA_LINES = _load_formula_lines()
_INLINE_MATH = re.compile(r":math:`([^`]+)`")
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|meth|attr|data|obj|exc|const):`~?([^`]+)`")


def rst_to_markdown(text: str) -> str:
    """Rewrite the reST math and cross-reference roles of one docstring."""
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.lstrip()
        if stripped.startswith(".. math::"):
            indent = line[: len(line) - len(stripped)]
            inline = stripped[len(".. math::"):].strip()
            body: list[str] = [inline] if inline else []
            i += 1
            # The block is every following line indented deeper (or blank).
            while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) > len(indent)):
                if lines[i].strip():
                    body.append(lines[i].strip())
                i += 1
            if body:
                # one formula over lines that fit the page column (formula_lines.py)
                body = _FORMULA_LINES.break_lines("\n".join(body)).splitlines()
                out += ["", f"{indent}\\[", *(f"{indent}{b}" for b in body), f"{indent}\\]", ""]
            continue
        out.append(line)
        i += 1
    text = "\n".join(out)
    text = _INLINE_MATH.sub(lambda m: f"\\({m.group(1)}\\)", text)
    return _ROLE.sub(lambda m: f"`{m.group(1)}`", text)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _runtime_doc(obj: griffe.Object) -> str | None:
    """The docstring an object gets at import time (``f.__doc__ = ...``), if any.

    Static analysis cannot see such assignments (the estimators share one
    docstring template), so the object is looked up in its imported module.
    """
    if not obj.path.startswith("anadiv") or obj.kind.value not in ("function", "class"):
        return None
    try:
        value: Any = importlib.import_module(obj.module.path)
        for part in obj.path[len(obj.module.path) + 1:].split("."):
            value = getattr(value, part)
    except Exception:  # not importable: keep griffe's view
        return None
    doc = getattr(value, "__doc__", None)
    return inspect.cleandoc(doc) if isinstance(doc, str) and doc.strip() else None


class RstMath(griffe.Extension):
    """Apply :func:`rst_to_markdown` to every docstring griffe loads (and
    pick up docstrings assigned at import time)."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is None:
            doc = _runtime_doc(obj)
            if doc is not None:
                obj.docstring = griffe.Docstring(doc, parent=obj)
        if obj.docstring is not None:
            obj.docstring.value = rst_to_markdown(obj.docstring.value)
