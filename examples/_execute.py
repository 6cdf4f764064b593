"""Execute the example notebooks once, for the tests and the documentation site alike.

``tests/test_notebooks.py`` runs every notebook (they assert what they show) and
the docs build publishes them with their outputs. Both ask :func:`executed`,
which runs a notebook in a fresh ``python3`` kernel (nbclient; figures through
matplotlib's inline backend, as PNG outputs) and keeps the executed copy under ``build/executed-notebooks/`` (or
``$ANADIV_EXECUTED_NOTEBOOKS``), named by a hash of the notebook, of anadiv's
source, of this file and of the Python and library versions: a changed
notebook or library gives another name, so a stale output is never published.

Processes share the copies: a file lock per notebook makes the second asker
wait for the first one's run and read its result, so in a test run (pytest-xdist
workers, the docs build in a subprocess) each notebook runs once.
:func:`executed_all` (the docs build) takes the notebooks nobody is running
first, so it and the test workers run different notebooks side by side.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

try:  # file locks: POSIX; elsewhere two processes may both run a notebook (correct, only slower)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CELL_TIMEOUT = 300
#: the kernel's environment: figures as PNG outputs (matplotlib's inline backend, no display needed),
#: no debugger file checks
KERNEL_ENV = {"MPLBACKEND": "module://matplotlib_inline.backend_inline", "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
_VERSIONED = ("numpy", "scipy", "sympy", "mpmath", "matplotlib", "pandas", "nbclient", "ipykernel")


def cache_dir() -> Path:
    return Path(os.environ.get("ANADIV_EXECUTED_NOTEBOOKS", ROOT / "build" / "executed-notebooks"))


def _key(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    digest.update(sys.version.encode())
    for name in _VERSIONED:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            digest.update(f"{name}={importlib.metadata.version(name)}".encode())
    for source in sorted((ROOT / "anadiv").rglob("*.py")):
        digest.update(source.relative_to(ROOT).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in KERNEL_ENV}
    os.environ.update(KERNEL_ENV)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _run(path: Path) -> Any:
    import nbclient
    import nbformat

    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    # the kernel's own stderr (ipykernel's start-up notices) would read as the docs build's warnings:
    # it goes to a file, shown only when the kernel dies
    with _kernel_env(), tempfile.TemporaryFile("w+") as log:
        try:
            client.execute(stderr=log)  # raises CellExecutionError, naming the cell, when one fails
        except nbclient.exceptions.DeadKernelError as err:
            log.seek(0)
            raise nbclient.exceptions.DeadKernelError(f"{err}\nkernel stderr:\n{log.read()[-3000:]}") from err
    return nb


def executed(path: Path, *, wait: bool = True) -> Any:
    """The notebook at ``path`` with its outputs, run here or read from the shared copy.

    Parameters
    ----------
    path : Path
        A notebook of ``examples/``.
    wait : bool
        When another process is running it: wait for its result (True), or
        return None at once (False).

    Raises
    ------
    nbclient.exceptions.CellExecutionError
        When a cell fails (nothing is kept, so the next asker runs it again).
    """
    import nbformat

    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / f"{path.stem}-{_key(path)}.ipynb"
    if copy.exists():
        return nbformat.read(copy, as_version=4)
    with open(folder / f"{path.stem}.lock", "w") as lock:
        if fcntl is not None:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                return None
        if copy.exists():  # run by the process that held the lock
            return nbformat.read(copy, as_version=4)
        nb = _run(path)
        partial = copy.with_suffix(f".{os.getpid()}.tmp")
        nbformat.write(nb, partial)
        partial.replace(copy)
        return nb


def executed_all(paths: list[Path]) -> dict[Path, Any]:
    """Every notebook of ``paths`` executed; those another process is running are left to it meanwhile."""
    done: dict[Path, Any] = {}
    pending = list(paths)
    while pending:
        started = [p for p in pending if (nb := executed(p, wait=False)) is not None and done.setdefault(p, nb)]
        pending = [p for p in pending if p not in started]
        if pending:  # all the rest are running elsewhere: wait for the first
            first = pending.pop(0)
            done[first] = executed(first, wait=True)
    return {p: done[p] for p in paths}
