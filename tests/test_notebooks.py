"""Execute every notebook of ``examples/`` (they assert what they show).

Each notebook runs in a fresh ``python3`` kernel through nbclient with a
per-cell timeout and matplotlib's Agg backend, once for this test and the docs
build (``examples/_execute.py`` keeps the executed copy the site publishes). The committed notebooks must
carry no outputs and match ``examples/_build_notebooks.py``. Budget: about
5-15 s per notebook (kernel start included); the ones that sample or integrate
for longer are marked slow.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NOTEBOOKS = sorted(p.name for p in EXAMPLES.glob("*.ipynb"))
# Monte Carlo up to 3e5 samples plus quadrature: may take > 20 s on 2 cores.
SLOW = {"04_mixture_kl_monte_carlo.ipynb"}
# Notebooks that draw plots need matplotlib (an optional extra).
NEEDS_MATPLOTLIB = {"04_mixture_kl_monte_carlo.ipynb", "05_js_clustering.ipynb"}


def _example_script(name: str):
    """The module of ``examples/<name>.py`` (the folder is no package)."""
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _builder():
    return _example_script("_build_notebooks")


def test_every_notebook_is_built_by_the_script() -> None:
    builder = _builder()
    assert sorted(builder.NOTEBOOKS) == NOTEBOOKS
    for name in NOTEBOOKS:
        committed = (EXAMPLES / name).read_text(encoding="utf-8")
        assert committed == builder.render(name), f"{name} differs from _build_notebooks.py: rerun it"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name} has outputs"


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n for n in NOTEBOOKS]
)
def test_notebook_runs(name: str) -> None:
    if name in NEEDS_MATPLOTLIB:
        pytest.importorskip("matplotlib")
    # run once for this test and the docs build, which publishes the outputs (examples/_execute.py)
    try:
        nb = _executor().executed(EXAMPLES / name)
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{name}: {err}"[:4000])
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    assert any(c.outputs for c in nb.cells if c.cell_type == "code"), f"{name} shows no output"


def _executor():
    return _example_script("_execute")


def test_executed_all_waits_for_notebooks_another_process_is_running(monkeypatch: pytest.MonkeyPatch) -> None:
    """The docs build asks for every notebook; those a test worker is running are waited for, one by one
    (the last one waited for was lost: a clean clone's first docs build failed with an IndexError)."""
    execute = _executor()
    running_elsewhere = {"b", "c"}
    calls: list[tuple[str, bool]] = []

    def fake(path: Path, wait: bool = True) -> object:
        calls.append((path.name, wait))
        return None if (path.name in running_elsewhere and not wait) else f"executed {path.name}"

    monkeypatch.setattr(execute, "executed", fake)
    paths = [Path("a"), Path("b"), Path("c")]
    assert execute.executed_all(paths) == {p: f"executed {p.name}" for p in paths}
    assert ("b", True) in calls and ("c", True) in calls
