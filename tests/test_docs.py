"""The documentation site builds with warnings as errors, and its examples run.

* ``mkdocs build --strict`` into a temporary folder (offline: no plugin
  fetches anything), skipped only when mkdocs is not installed.
* The generated closed-form page lists every registry entry with its formula.
* The ``>>>`` examples of the hand-written pages are run as doctests.
* Every public module of anadiv has a section in the API reference.

Budget: the build takes about 5-15 s.
"""

from __future__ import annotations

import doctest
import functools
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HOOK = DOCS / "_hooks" / "anadiv_docs.py"

# Pages with doctest examples; interop needs scipy only (torch/jax/dask blocks are plain code).
DOCTEST_PAGES = ["index.md", "getting-started.md", "interop.md", "derivation.md", "data.md"]


def _hook_module():
    spec = importlib.util.spec_from_file_location("anadiv_docs_hook", HOOK)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built once for this module's checks of it (the build is the expensive part)."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path_factory.mktemp("docs") / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env=env,
    )
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0, "\n".join(warnings) or result.stderr[-3000:]
    assert not warnings, "\n".join(warnings)
    return site


def _pages(site: Path) -> dict[str, str]:
    return {p.relative_to(site).as_posix(): p.read_text(encoding="utf-8") for p in site.rglob("*.html")}


def test_mkdocs_build_strict(built_site: Path) -> None:
    site = built_site
    page = (site / "closed-forms" / "index.html").read_text(encoding="utf-8")
    assert "kl_normal_normal" in page and 'class="arithmatex"' in page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    import anadiv

    # every public top-level name has a rendered entry (with its docstring)
    missing = [f"{mod}.{name}" for name, mod in anadiv._LAZY.items()
               if importlib.util.find_spec(mod) is not None and f'id="{mod}.{name}"' not in api]
    assert not missing, f"not in the API reference: {missing}"


def test_site_needs_no_network(built_site: Path) -> None:
    """No page loads a script or a stylesheet from outside the site; MathJax and its fonts are in it."""
    outside = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)=[\"'](?:https?:)?//", re.I)
    found = {name: outside.findall(text) for name, text in _pages(built_site).items()}
    assert not {k: v for k, v in found.items() if v}
    mathjax = built_site / "javascripts" / "mathjax"
    assert (mathjax / "tex-mml-chtml.js").stat().st_size > 500_000
    assert len(list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))) >= 20
    index = (built_site / "index.html").read_text(encoding="utf-8")
    assert 'src="javascripts/mathjax/tex-mml-chtml.js"' in index
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert not re.search(r"https?://", config.split("extra_javascript:", 1)[1].split("\n\n", 1)[0])


def test_site_code_shows_public_calls(built_site: Path) -> None:
    """No code block of the site reaches into anadiv's private generated modules."""
    code = re.compile(r"<pre\b.*?</pre>", re.S)
    private = {name: len([b for b in code.findall(text) if "_generated." in re.sub(r"<[^>]+>", "", b)])
               for name, text in _pages(built_site).items()}
    assert not {k: v for k, v in private.items() if v}
    page = (built_site / "closed-forms" / "index.html").read_text(encoding="utf-8")
    assert "anadiv.kl_function(&#39;beta&#39;, &#39;beta&#39;)" in page or "anadiv.kl_function('beta', 'beta')" in page


def test_site_formulas_fit_the_column(built_site: Path) -> None:
    """The display formulas of the site fit the content column (by the width estimate of
    ``docs/_hooks/formula_lines.py``; ``benchmarks/formula_widths.py`` measures rendered widths), but
    for a few closed forms holding one factor too wide for a line (a function of a long argument, such
    as a square root inside a logarithm), which stay within two columns."""
    import html

    lines = _hook_sibling("formula_lines")
    display = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)
    widths = [(lines.tex_width_em(html.unescape(tex)), name, html.unescape(tex)[:80])
              for name, text in _pages(built_site).items() for tex in display.findall(text)]
    assert len(widths) > 500
    wide = sorted((w, name, tex) for w, name, tex in widths if w > lines.COLUMN_EM)
    assert len(wide) <= 10, f"{len(wide)} formulas wider than the column, widest: {wide[-3:]}"
    assert not wide or wide[-1][0] <= 2 * lines.COLUMN_EM, wide[-1]
    assert all(name.startswith("closed-forms/") for _, name, _ in wide), wide


def test_closed_form_grids_link_to_formulas(built_site: Path) -> None:
    page = (built_site / "closed-forms" / "index.html").read_text(encoding="utf-8")
    grids = re.findall(r'<div class="closed-form-grid".*?</div>', page, re.S)
    assert len(grids) >= 5  # KL (3 groups and more), cross-entropy, entropy, ...
    targets = set(re.findall(r'<a href="#([^"]+)"', "".join(grids)))
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert targets and not targets - ids, sorted(targets - ids)[:5]
    assert {"kl-normal-normal", "entropy-normal", "cross-entropy-beta-beta"} <= targets


def test_notebook_pages_show_outputs(built_site: Path) -> None:
    nbformat = pytest.importorskip("nbformat")
    for notebook in sorted((ROOT / "examples").glob("*.ipynb")):
        page = built_site / "examples" / notebook.stem / "index.html"
        assert page.exists(), notebook.name
        text = page.read_text(encoding="utf-8")
        code_cells = [c for c in nbformat.read(notebook, as_version=4).cells if c.cell_type == "code"]
        # the code cells and, after them, their outputs: text blocks, figures or formulas
        outputs = text.count('<div class="highlight"') - len(code_cells) + text.count("<img ")
        assert outputs > 0, f"{notebook.name} is published without outputs"
        assert (built_site / "examples" / notebook.name).exists()  # the download link's file
    figures = list((built_site / "examples").glob("*.png"))
    assert figures and all(f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for f in figures)


@functools.lru_cache(maxsize=None)
def _hook_sibling(name: str):
    spec = importlib.util.spec_from_file_location(f"anadiv_docs_{name}", DOCS / "_hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


@functools.lru_cache(maxsize=1)
def _closed_forms_page() -> str:
    return _hook_module().closed_forms_markdown()


def test_closed_form_page_lists_every_registry_entry() -> None:
    from anadiv import api

    markdown = _closed_forms_page()
    for kind in ("kl", "cross_entropy", "entropy"):
        for entry in api.closed_form_pairs(kind):
            assert f"`{entry.function}`" in markdown, entry
            if entry.status != "infinite":
                # a section with the formula of that function
                anchor = "-".join([kind.replace("_", "-"), entry.p.replace("_", "-")]
                                  + ([entry.q.replace("_", "-")] if entry.q else []))
                section = markdown.split(f"{{#{anchor}}}", 1)[1].split("\n### ", 1)[0]
                assert "\\[" in section and f"{entry.function}(" in section, anchor


def test_formula_latex_is_read_from_the_generated_docstring() -> None:
    from anadiv import Normal, kl_function

    hook = _hook_module()
    latex = hook.formula_latex(kl_function(Normal, Normal))
    assert latex is not None and "\\sigma_{2}" in latex and "\\mu_{1}" in latex


def _python_blocks(text: str) -> str:
    """The fenced ```python blocks of a Markdown page, as one doctest text."""
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    return "\n\n".join(b for b in blocks if ">>>" in b)


@pytest.mark.parametrize("page", DOCTEST_PAGES)
def test_page_examples_run(page: str) -> None:
    text = _python_blocks((DOCS / page).read_text(encoding="utf-8"))
    if not text:
        pytest.skip(f"{page} has no doctest examples")
    parser = doctest.DocTestParser()
    test = parser.get_doctest(text, {}, page, page, 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    out: list[str] = []
    runner.run(test, out=out.append)
    result = runner.summarize(verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, "".join(out)


def test_api_reference_covers_the_public_modules() -> None:
    import anadiv

    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^:::\s+([\w.]+)", text, flags=re.M))
    modules = set(anadiv._LAZY.values()) | {"anadiv.discrete", "anadiv.estimators.gmm", "anadiv.estimators.quadrature", "anadiv.numeric.xp", "anadiv.cli", "anadiv.errors"}
    missing = sorted(m for m in modules if importlib.util.find_spec(m) is not None and m not in documented)
    assert not missing, f"no API section for {missing}"
    families = {f"anadiv.families.{cls.__name__}" for cls in anadiv.FAMILIES.values()}
    assert not sorted(families - documented), f"families missing from api.md: {sorted(families - documented)}"


def test_nav_lists_every_page() -> None:
    """Every Markdown page is in the navigation (mkdocs would only log it at INFO)."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if not p.relative_to(DOCS).parts[0].startswith("_")}
    missing = sorted(p for p in pages if p not in config)
    assert not missing, f"pages not in mkdocs.yml's nav: {missing}"


def _console_examples(text: str) -> list[tuple[str, list[str]]]:
    """``$ anadiv ...`` commands of ```console blocks, with the output lines shown after them."""
    examples: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                examples.append((line[2:], []))
            elif examples:
                examples[-1][1].append(line)
    return [(cmd, out) for cmd, out in examples if cmd.startswith("anadiv ")]


def test_cli_page_examples_print_what_the_page_shows(capsys: pytest.CaptureFixture[str]) -> None:
    import fnmatch
    import shlex

    from anadiv.cli import main

    examples = _console_examples((DOCS / "cli.md").read_text(encoding="utf-8"))
    assert len(examples) >= 10
    for cmd, expected in examples:
        code = main(shlex.split(cmd, comments=True)[1:])
        out, err = capsys.readouterr()
        shown = [line for line in (out + err).splitlines()]
        is_error = any(line.startswith("anadiv: error:") for line in expected)
        assert code == (2 if is_error else 0), (cmd, err)
        for want, got in zip(expected, shown):
            # "..." in the page stands for text left out
            assert fnmatch.fnmatchcase(got, want.replace("[", "[[]").replace("...", "*")), (cmd, want, got)
        if expected:
            assert len(shown) >= len(expected), (cmd, shown)


# ------------------------------------------------------------------ formula lines
def _open_groups_at_line_ends(tex: str) -> list[str]:
    """What is still open where a line or cell of an ``aligned``/``cases`` block ends (MathJax's errors)."""
    lines = _hook_sibling("formula_lines")
    stack: list[str] = []
    problems = []
    for t in lines._tokens(tex):
        if t in ("{", "\\left", "\\begin"):
            stack.append(t)
        elif t in ("}", "\\right", "\\end"):
            if not stack or {"}": "{", "\\right": "\\left", "\\end": "\\begin"}[t] != stack[-1]:
                problems.append(f"unmatched {t}")
            else:
                stack.pop()
        elif t in ("\\\\", "&") and stack and stack[-1] != "\\begin":  # opened since the environment began
            problems.append(f"{t} inside an open group")
    if stack:
        problems.append(f"unclosed {stack}")
    return problems


def test_broken_closed_forms_are_valid_and_fit() -> None:
    """Every closed form of the page over lines: each line closes what it opens, and (by the estimate)
    all but a few fit the column; the few hold one factor too wide for a line (a function of a long
    argument, such as a square root inside a logarithm), and stay within two columns."""
    lines = _hook_sibling("formula_lines")
    page = lines.break_display_blocks(_closed_forms_page())
    formulas = re.findall(r"^\\\[\n(.*?)\n\\\]$", page, flags=re.S | re.M)
    assert len(formulas) > 400
    invalid = {f[:80]: p for f in formulas if (p := _open_groups_at_line_ends(f))}
    assert not invalid, list(invalid.items())[:3]
    widths = sorted(lines.tex_width_em(f) for f in formulas)
    assert sum(w > lines.COLUMN_EM for w in widths) <= 10
    assert widths[-1] <= 2 * lines.COLUMN_EM


@pytest.mark.parametrize("tex, pieces", [
    # a sum: cut at its signs, the relation's left side kept on the first line
    (r"D = a_{1} + b_{1} - c_{1} + d_{1} - e_{1} + f_{1}", 2),
    # a piecewise form: the value over lines, the condition below it
    (r"\begin{cases} a + b + c + d + e + f & \text{for}\: x > 0 \\\infty & \text{otherwise} \end{cases}", 2),
    # a delimited group too wide: its delimiters become \Bigl( \Bigr)
    (r"x \left(a + b + c + d + e + f + g + h\right)", 2),
])
def test_break_lines_keeps_the_formula(tex: str, pieces: int) -> None:
    lines = _hook_sibling("formula_lines")
    broken = lines.break_lines(tex, max_em=7)
    assert broken.count("\\\\") >= pieces - 1 + ("cases" in tex), broken
    assert not _open_groups_at_line_ends(broken), broken
    layout = re.compile(r"\\begin\{aligned\}|\\end\{aligned\}|\\\\|&|\\quad|\{\}|\\Bigl|\\Bigr|\\left|\\right|\s")
    assert layout.sub("", broken) == layout.sub("", tex)
    assert lines.break_lines(broken, max_em=7) == broken  # a second pass leaves it
    assert lines.break_lines("a + b", max_em=7) == "a + b"  # what fits is left alone
