"""Test-session plumbing: the engine's derivations shared between the test processes.

Many test files check the engine's derivations (against quadrature, mpmath, the
generated code), each in every pytest-xdist worker, and a derivation costs a
fraction of a second to seconds of sympy: the same few hundred derivations were
computed once per worker. Here the engine's two cached entry points
(``engine._two_sided`` and ``engine._entropy``) are wrapped so that a derivation
between built-in families is pickled to a directory keyed by a hash of anadiv's
source (every ``.py`` outside ``_generated``), this file and sympy's version, and read back
by the other workers (and by a later run of the same source). A changed engine or
family gives another key, so nothing stale is ever served. The check that the
committed code equals the engine's output (``tests/test_codegen.py``) runs the
code generator in a subprocess of its own, which derives everything afresh.

When the tests run in workers (``pytest -n N``), the controlling process fills
the cache first, with ``N`` processes over every pair the workers' collection
would derive (``derivable_pairs`` tries them all): otherwise the workers, which
collect the same files in the same order at the same time, would each derive
every pair before either had written one.

Set ``ANADIV_TEST_DERIVATION_CACHE=0`` to derive in every process.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]


def _source_key() -> str:
    import sympy

    digest = hashlib.sha256(sympy.__version__.encode())
    digest.update(Path(__file__).read_bytes())  # this file's pickling is part of what is stored
    for path in sorted((ROOT / "anadiv").rglob("*.py")):
        if "_generated" in path.parts:
            continue
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:20]


def _builtin(cls: Any) -> bool:
    from anadiv.families import FAMILIES

    return (isinstance(cls, type) and FAMILIES.get(getattr(cls, "name", "")) is cls
            and cls.__module__.startswith("anadiv.families."))


class _Pickler(pickle.Pickler):
    """A pickler that keeps unevaluated relations unevaluated.

    sympy pickles ``StrictGreaterThan(sigma_1, 0, evaluate=False)`` as its class
    and arguments, and unpickling calls the class, which evaluates it to ``True``
    for a positive symbol: a derivation's conditions would come back as ``True``.
    """

    def reducer_override(self, obj: Any) -> Any:
        import copyreg

        from sympy.core.relational import Relational

        if isinstance(obj, Relational):
            return copyreg.__newobj_ex__, (type(obj), obj.args, {"evaluate": False})
        return NotImplemented


def _shared(function: Callable[..., Any], directory: Path) -> Callable[..., Any]:
    from anadiv.errors import NoClosedFormError

    @functools.lru_cache(maxsize=None)
    def cached(*args: Any) -> Any:
        classes = [a for a in args if isinstance(a, type)]
        if not all(map(_builtin, classes)):
            return function(*args)
        path = directory / ("-".join(a if isinstance(a, str) else a.name for a in args) + ".pickle")
        try:
            outcome, value = pickle.loads(path.read_bytes())
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            try:
                outcome, value = "ok", function(*args)
            except NoClosedFormError as exc:
                outcome, value = "none", str(exc)
            fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    _Pickler(f).dump((outcome, value))
                os.replace(tmp, path)  # atomic: another worker reads a whole file or none
            except (pickle.PicklingError, AttributeError, TypeError):
                # a function class a family builds at run time (not importable by name): derive per process
                os.unlink(tmp)
        if outcome == "none":
            raise NoClosedFormError(value)
        return value

    cached.__wrapped__ = function  # type: ignore[attr-defined]
    return cached


def _candidates() -> list[tuple[Any, ...]]:
    """The arguments of every derivation the engine's survey tries, as ``_two_sided``/``_entropy`` take them."""
    from anadiv.families import FAMILIES
    from anadiv.kinds import KINDS

    fams = sorted(FAMILIES.values(), key=lambda f: f.name)
    out: list[tuple[Any, ...]] = []
    for kind in KINDS.values():
        if kind.route is None or not kind.linear:
            # the Renyi family has its own route (anadiv.symbolic.chernoff), quick and not shared
            continue
        if kind.arity == 1:
            out += [(P,) for P in fams]
        else:
            out += [(kind.name, P, Q) for P in fams for Q in fams if P is Q or not (_vector(P) or _vector(Q))]
    return out


def _vector(f: Any) -> bool:
    return bool(f.event_ndim) or any(p.constraint.event_ndim for p in f.parameters)


def _derive_one(args: tuple[Any, ...]) -> None:
    from anadiv.errors import NoClosedFormError
    from anadiv.symbolic import engine

    try:
        (engine._entropy if len(args) == 1 else engine._two_sided)(*args)
    except NoClosedFormError:
        pass


def _prewarm(processes: int) -> None:
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(processes) as pool:
        for _ in pool.imap_unordered(_derive_one, _candidates()):
            pass


def pytest_configure(config: Any) -> None:
    if os.environ.get("ANADIV_TEST_DERIVATION_CACHE", "1") == "0":
        return
    from anadiv.symbolic import engine

    directory = Path(tempfile.gettempdir()) / "anadiv-test-derivations" / _source_key()
    directory.mkdir(parents=True, exist_ok=True)
    engine._two_sided = _shared(engine._two_sided, directory)
    engine._entropy = _shared(engine._entropy, directory)
    workers = getattr(config.option, "numprocesses", None)
    if not hasattr(config, "workerinput") and isinstance(workers, int) and workers > 1:
        _prewarm(workers)


def pytest_collection_finish(session: Any) -> None:
    """Freeze the constants Hypothesis mixes into its examples.

    Hypothesis (6.13x and later) draws about 5 % of its values from the literals of
    the local modules loaded *so far*, so which examples a ``derandomize=True``
    test draws depended on the modules the worker had imported before it (the
    other tests it happened to run first): the same commit drew different
    examples in another checkout or worker split (a hang and a failure the
    local run never saw). After collection every test module is loaded; the
    pool is taken then, in every process alike, and kept.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - hypothesis is in the test extra
        return
    compute = getattr(providers, "_get_local_constants", None)
    if compute is None:  # pragma: no cover - a Hypothesis without the pool
        return
    frozen = compute()
    providers._get_local_constants = lambda: frozen
