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


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, env=env,
    )
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0, "\n".join(warnings) or result.stderr[-3000:]
    assert not warnings, "\n".join(warnings)
    page = (site / "closed-forms" / "index.html").read_text(encoding="utf-8")
    assert "kl_normal_normal" in page and 'class="arithmatex"' in page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    import anadiv

    # every public top-level name has a rendered entry (with its docstring)
    missing = [f"{mod}.{name}" for name, mod in anadiv._LAZY.items()
               if importlib.util.find_spec(mod) is not None and f'id="{mod}.{name}"' not in api]
    assert not missing, f"not in the API reference: {missing}"


def test_closed_form_page_lists_every_registry_entry() -> None:
    from anadiv import api

    hook = _hook_module()
    markdown = hook.closed_forms_markdown()
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
