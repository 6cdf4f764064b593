"""The package type-checks, and the public API's types are what tests/typing_public_api.py pins.

mypy runs in-process (``mypy.api``) with the settings of ``[tool.mypy]`` in
pyproject.toml, on a fresh cache (as in CI, where none is kept). The test is
skipped only where mypy is not installed (it is in the ``test`` extra).
"""

from __future__ import annotations

import ast
import doctest
import gc
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_the_package_and_its_public_types_check(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mypy_api = pytest.importorskip("mypy.api", reason="mypy is not installed (pip install anadiv[test])")
    monkeypatch.chdir(ROOT)  # the config, the package and the tests as a checkout has them
    thresholds = gc.get_threshold()
    try:
        stdout, stderr, status = mypy_api.run([
            "--config-file", str(ROOT / "pyproject.toml"),
            "--cache-dir", str(tmp_path / "mypy-cache"),
            "anadiv",
            "tests/typing_public_api.py",
        ])
    finally:
        gc.set_threshold(*thresholds)  # mypy tunes the collector for itself; the worker's next tests get it back
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert status == 0 and not errors, f"mypy reports {len(errors)} error(s):\n" + "\n".join(errors) + stderr


def _type_checking_imports(tree: ast.Module) -> dict[str, str]:
    """Name -> the module it comes from (``anadiv.api``), for the imports under ``if TYPE_CHECKING:``."""
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1:
                    module = "anadiv" + (f".{stmt.module}" if stmt.module else "")
                    found.update({alias.asname or alias.name: module for alias in stmt.names})
    return found


def test_type_checkers_see_every_lazy_name_of_anadiv() -> None:
    import anadiv

    seen = _type_checking_imports(ast.parse((ROOT / "anadiv" / "__init__.py").read_text(encoding="utf-8")))
    # anadiv.cli imports anadiv (its version): left out, or the import graph would have a cycle
    lazy = set(anadiv._LAZY) | set(anadiv._SUBMODULES) - {"cli"}
    assert sorted(lazy - set(seen)) == [], "lazy names a type checker does not see: import them under TYPE_CHECKING"
    assert sorted(set(seen) - lazy) == [], "names under TYPE_CHECKING that anadiv does not load lazily"
    moved = {name: module for name, module in anadiv._LAZY.items() if seen[name] != module}
    assert moved == {}, "under TYPE_CHECKING from another module than _LAZY says"


def test_typing_helpers_examples_run() -> None:
    import anadiv.kinds  # noqa: F401  (the kinds register the result check's rules, which refine's examples read)
    import anadiv.numeric.caching
    import anadiv.numeric.refine
    import anadiv.typing

    for module in (anadiv.typing, anadiv.numeric.caching, anadiv.numeric.refine):
        result = doctest.testmod(module, verbose=False)
        assert result.failed == 0 and result.attempted > 0, module.__name__
