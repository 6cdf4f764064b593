"""How wide are the site's display formulas? Rendered widths, without a browser.

Reads every display formula (``<div class="arithmatex">\\[ ... \\]</div>``) of a
built site, renders its TeX to SVG with ziamath (a pure-Python TeX-math
renderer with an OpenType math font) at the size MathJax sets it on the page,
and compares the width with the content column (see
``docs/_hooks/formula_lines.py`` for both numbers: 688 px column, 19 px
formula em). It also reports how the cheap estimate the tests use
(``formula_lines.tex_width_em``) follows the rendered widths.

Usage::

    mkdocs build --site-dir /tmp/site
    python benchmarks/formula_widths.py /tmp/site [--top 10]

Needs ``ziamath`` (the ``bench`` extra). About a minute for the site's 600 formulas.
"""

from __future__ import annotations

import argparse
import html
import importlib.util
import re
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
_DISPLAY = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def _formula_lines():
    spec = importlib.util.spec_from_file_location("formula_lines", ROOT / "docs" / "_hooks" / "formula_lines.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def display_formulas(site: Path) -> list[tuple[str, str]]:
    """(page, TeX) of every display formula of the built site."""
    out = []
    for page in sorted(site.rglob("*.html")):
        for m in _DISPLAY.finditer(page.read_text(encoding="utf-8")):
            out.append((page.relative_to(site).as_posix(), html.unescape(m.group(1)).strip()))
    return out


def _render_px(tex: str, size_px: float) -> float:
    import ziamath

    return float(ziamath.Latex(tex, size=size_px).getsize()[0])


def rendered_width_px(tex: str, size_px: float, lines: Any) -> float | None:
    """The width of the formula as ziamath sets it, or None where ziamath cannot parse it.

    ziamath's time grows faster than the formula's length (half a minute for a
    5,000-character closed form), so a long formula is set piece by piece, which
    gives the same width: the terms of a sum side by side (each later term as
    ``{}+ term``, so the sign keeps its spacing), the lines of an ``aligned``
    block one by one (the widest counts, ``&`` and the ``\\quad`` indent kept), the
    rows of a ``cases`` block as value, gap and condition.
    """
    tex = tex.strip()
    try:
        if len(tex) < 200:
            return _render_px(tex, size_px)
        m = re.fullmatch(r"\\begin\{aligned\}(.*)\\end\{aligned\}", tex, flags=re.S)
        if m and "aligned" not in m.group(1):
            return max(_pieces_px(row.replace("&", ""), size_px, lines) for row in m.group(1).split("\\\\"))
        m = re.fullmatch(r"\\begin\{cases\}(.*)\\end\{cases\}", tex, flags=re.S)
        if m:
            brace = _render_px(r"\begin{cases} x & y \end{cases}", size_px) - _render_px("x \\quad y", size_px)
            rows = [_top_cell_split(row) for row in _top_rows(m.group(1))]
            return brace + _render_px(r"\quad", size_px) + max(
                _pieces_px(value, size_px, lines) + (_pieces_px(cond, size_px, lines) if cond.strip() else 0.0)
                for value, _, cond in rows)
        return _pieces_px(tex, size_px, lines)
    except Exception:  # ziamath lacks a few macros: reported as unmeasured
        return None


def _top_rows(body: str) -> list[str]:
    """The rows of an environment's body, at its own level (not those of a nested ``aligned``)."""
    rows, depth, start = [], 0, 0
    for m in re.finditer(r"\\begin|\\end|\\\\", body):
        if m.group(0) == "\\begin":
            depth += 1
        elif m.group(0) == "\\end":
            depth -= 1
        elif depth == 0:
            rows.append(body[start:m.start()])
            start = m.end()
    return rows + [body[start:]]


def _top_cell_split(row: str) -> tuple[str, str, str]:
    """A row cut at its first ``&`` outside a nested environment."""
    depth = 0
    for m in re.finditer(r"\\begin|\\end|&", row):
        if m.group(0) == "\\begin":
            depth += 1
        elif m.group(0) == "\\end":
            depth -= 1
        elif depth == 0:
            return row[:m.start()], "&", row[m.end():]
    return row, "", ""


def _pieces_px(tex: str, size_px: float, lines: Any) -> float:
    tex = tex.strip()
    if tex.startswith(r"\begin{aligned}"):
        return rendered_width_px(tex, size_px, lines) or 0.0
    if len(tex) < 200:
        return _render_px(tex, size_px) if tex else 0.0
    terms = ["".join(t).strip() for t in lines._split_top(lines._tokens(tex))]
    return sum(_render_px(t if k == 0 else "{}" + t, size_px) for k, t in enumerate(terms) if t)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built site (mkdocs build --site-dir ...)")
    parser.add_argument("--top", type=int, default=5, help="list the N widest formulas")
    args = parser.parse_args(argv)
    lines = _formula_lines()
    formulas = display_formulas(args.site)
    rows = []
    for page, tex in formulas:
        px = rendered_width_px(tex, lines.FORMULA_EM_PX, lines)
        rows.append((px, lines.tex_width_em(tex) * lines.FORMULA_EM_PX, page, tex))
    measured = [r for r in rows if r[0] is not None]
    wide = [r for r in measured if r[0] > lines.COLUMN_PX]
    est_wide = [r for r in rows if r[1] > lines.COLUMN_PX]
    print(f"display formulas: {len(rows)} ({len(rows) - len(measured)} not measurable by ziamath)")
    print(f"column: {lines.COLUMN_PX:.0f} px, formula em: {lines.FORMULA_EM_PX:.0f} px")
    print(f"rendered wider than the column: {len(wide)}; widest: {max(r[0] for r in measured):.0f} px")
    print(f"estimated wider than the column: {len(est_wide)}; widest estimate: {max(r[1] for r in rows):.0f} px")
    ratios = [r[1] / r[0] for r in measured if r[0] > 50]
    print(f"estimate / rendered: median {statistics.median(ratios):.2f}, "
          f"5%-95% {sorted(ratios)[len(ratios) // 20]:.2f}-{sorted(ratios)[-len(ratios) // 20 - 1]:.2f}")
    by_page: dict[str, int] = {}
    for r in wide:
        by_page[r[2]] = by_page.get(r[2], 0) + 1
    for page, n in sorted(by_page.items()):
        print(f"  {page}: {n} too wide")
    for px, est, page, tex in sorted(measured, reverse=True)[: args.top]:
        print(f"{px:7.0f} px (estimate {est:5.0f})  {page}  {tex[:90]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
