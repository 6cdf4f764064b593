"""The package's import graph: no cycles, and each layer imports only the layers below it.

Every ``import`` statement of every module counts, at module level or inside a
function (a lazy import is still a dependency). Loads by name through
``importlib`` (the lazy attributes of ``anadiv``, the generated modules, the
array backends) are registrations, not edges.
"""

from __future__ import annotations

import ast
import functools
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "anadiv"

# Who may import whom: a module of the key's layer imports only anadiv modules of these layers.
LAYERS: dict[str, set[str]] = {
    "anadiv.errors": set(),
    "anadiv.distribution": set(),
    "anadiv.numeric": {"anadiv.numeric", "anadiv.errors"},
    "anadiv.constraints": {"anadiv.numeric", "anadiv.errors"},
    "anadiv.families": {"anadiv.families", "anadiv.distribution", "anadiv.constraints", "anadiv.numeric",
                        "anadiv.errors"},
    "anadiv.kinds": {"anadiv.kinds", "anadiv.constraints", "anadiv.numeric", "anadiv.errors"},
    "anadiv._generated": {"anadiv.numeric", "anadiv.kinds"},
    "anadiv.estimators": {"anadiv.estimators", "anadiv.mixture", "anadiv.distribution", "anadiv.families", "anadiv.kinds",
                          "anadiv.constraints", "anadiv.numeric", "anadiv.errors",
                          # the histogram estimators hand their probability vectors to anadiv.discrete
                          "anadiv.discrete", "anadiv._discrete_kinds"},
    # divergences of probability vectors: numeric only, so the estimators may build on them
    "anadiv.discrete": {"anadiv._discrete_kinds", "anadiv.numeric", "anadiv.pairwise_dask"},
    "anadiv.pairwise_dask": {"anadiv.numeric"},
    "anadiv._discrete_kinds": {"anadiv.numeric"},
}


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _imports(name: str, path: pathlib.Path, modules: dict[str, pathlib.Path]) -> set[str]:
    """anadiv modules that ``name`` imports, resolved to modules (a name from a package may be a submodule)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
        else:
            continue
        for target in targets:
            while target and target not in modules:  # `import anadiv.x.y` where y is an attribute
                target = target.rpartition(".")[0]
            if target.startswith("anadiv") and target != name:
                out.add(target)
    return out


@functools.lru_cache(maxsize=1)
def _read_graph() -> tuple[tuple[str, frozenset[str]], ...]:
    # parsing every module takes seconds: once per test process, not once per layer
    modules = _modules()
    return tuple((name, frozenset(_imports(name, path, modules))) for name, path in modules.items())


def _graph() -> dict[str, set[str]]:
    return {name: set(targets) for name, targets in _read_graph()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read() -> None:
    graph = _graph()
    assert "anadiv.numeric.xp" in graph["anadiv.numeric.backends.dask_backend"]
    assert "anadiv.families._base" in graph["anadiv.families.normal"]
    assert "anadiv.numeric.validation" in graph["anadiv.families._base"]


def test_no_import_cycles() -> None:
    graph = _graph()
    cycles = _cycles(graph)
    described = [
        " ; ".join(f"{a} -> {sorted(graph[a] & set(c))}" for a in c) for c in cycles
    ]
    assert not cycles, "import cycles:\n" + "\n".join(described)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layers_import_only_what_lies_below(layer: str) -> None:
    graph = _graph()
    allowed = LAYERS[layer]
    wrong = {
        name: sorted(t for t in targets if not any(t == a or t.startswith(a + ".") for a in allowed))
        for name, targets in graph.items()
        if name == layer or name.startswith(layer + ".")
    }
    wrong = {k: v for k, v in wrong.items() if v}
    assert not wrong, f"{layer} imports above its layer: {wrong}"


def test_earlier_module_names_are_the_same_modules() -> None:
    import anadiv.estimate
    import anadiv.estimators.gmm
    import anadiv.estimators.monte_carlo
    import anadiv.estimators.quadrature
    import anadiv.gmm
    import anadiv.quadrature

    assert anadiv.estimate is anadiv.estimators.monte_carlo
    assert anadiv.quadrature is anadiv.estimators.quadrature
    assert anadiv.gmm is anadiv.estimators.gmm
    from anadiv.gmm import kl_variational
    from anadiv.quadrature import kl_quad

    assert kl_variational is anadiv.estimators.gmm.kl_variational
    assert kl_quad is anadiv.kl_quad
