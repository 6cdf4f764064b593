"""Execute every notebook of ``examples/`` (they assert what they show).

Each notebook runs in a fresh ``python3`` kernel through nbclient with a
per-cell timeout and matplotlib's Agg backend. The committed notebooks must
carry no outputs and match ``examples/_build_notebooks.py``. Budget: about
5-15 s per notebook (kernel start included); the ones that sample or integrate
for longer are marked slow.
"""

from __future__ import annotations

import importlib.util
import os
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
CELL_TIMEOUT = 300


def _builder():
    spec = importlib.util.spec_from_file_location("_build_notebooks", EXAMPLES / "_build_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


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
def test_notebook_runs(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if name in NEEDS_MATPLOTLIB:
        pytest.importorskip("matplotlib")
    # The kernel inherits the environment: no display needed, no GPU probing.
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(EXAMPLES / name, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=CELL_TIMEOUT, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    )
    try:
        client.execute()
    except nbclient.exceptions.CellExecutionError as err:
        pytest.fail(f"{name}: {err}"[:4000])
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.get("output_type") == "error"]
    assert not errors
    assert os.environ.get("MPLBACKEND") == "Agg"
