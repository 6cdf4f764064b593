"""The example notebooks as site pages, with their outputs.

Each notebook of ``examples/`` is executed once (``examples/_execute.py``, shared
with ``tests/test_notebooks.py``) and written as a Markdown page: its Markdown
cells as they are, its code cells as Python blocks, and after each the outputs
(printed text and values as text blocks, LaTeX as display formulas, HTML tables
as they are, PNG figures as image files beside the page). No nbconvert and no
JavaScript: the page is themed, searched and checked like any other.
"""

from __future__ import annotations

import base64
import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
#: the folder of the notebook pages in the site
SITE_DIR = "examples"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class NotebookPage:
    """One notebook's page: its path in the site, title, Markdown and the files it shows."""

    page: str
    title: str
    markdown: str
    files: dict[str, bytes] = field(default_factory=dict)


def notebooks() -> list[Path]:
    return sorted(EXAMPLES.glob("*.ipynb"))


def page_path(notebook: Path) -> str:
    return f"{SITE_DIR}/{notebook.stem}.md"


def title(notebook: Path) -> str:
    """The notebook's first heading (read from the committed file: no execution)."""
    import nbformat

    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return m.group(1).strip()
    return notebook.stem


def _executor() -> Any:
    spec = importlib.util.spec_from_file_location("anadiv_examples_execute", EXAMPLES / "_execute.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def _fence(text: str, lang: str = "text") -> list[str]:
    text = _ANSI.sub("", text).rstrip("\n")
    ticks = "````" if "```" in text else "```"
    return [f"{ticks}{lang}", text, ticks, ""]


def _output(out: Any, stem: str, n: int, files: dict[str, bytes]) -> list[str]:
    kind = out.get("output_type")
    if kind == "stream":
        return _fence(out.get("text", ""))
    if kind == "error":  # the executor raises first; kept readable should one be published
        return _fence("\n".join(out.get("traceback", [])))
    data = out.get("data", {})
    if "image/png" in data:
        name = f"{stem}-{n}.png"
        files[f"{SITE_DIR}/{name}"] = base64.b64decode(data["image/png"])
        return [f"![output {n}]({name})", ""]
    if "text/latex" in data:
        tex = data["text/latex"].strip().strip("$").strip()
        return ["\\[", tex, "\\]", ""]
    if "text/html" in data:
        return ['<div class="notebook-output" markdown="0">', data["text/html"].strip(), "</div>", ""]
    if "text/plain" in data:
        return _fence(data["text/plain"])
    return []


def to_markdown(notebook: Path, nb: Any) -> NotebookPage:
    """The page of an executed notebook."""
    files: dict[str, bytes] = {}
    out = [f"*This page is the notebook `examples/{notebook.name}` "
           f"([download]({notebook.name})), executed when the site was built.*", ""]
    n = 0
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            out += [cell.source, ""]
        elif cell.cell_type == "code":
            out += _fence(cell.source, "python")
            for output in cell.get("outputs", []):
                n += 1
                out += _output(output, notebook.stem, n, files)
    # the notebook's title line goes first, so that it is the page's heading
    text = "\n".join(out)
    m = re.search(r"^#\s+.+$", text, flags=re.M)
    if m:
        text = m.group(0) + "\n\n" + text[:m.start()] + text[m.end():]
    files[f"{SITE_DIR}/{notebook.name}"] = notebook.read_bytes()
    return NotebookPage(page_path(notebook), title(notebook), text, files)


def pages() -> list[NotebookPage]:
    """Every notebook's page, executing those not executed yet (once, shared with the tests)."""
    execute = _executor()
    paths = notebooks()
    done = execute.executed_all(paths)
    return [to_markdown(p, done[p]) for p in paths]
