"""The package's layers: a module imports only from its own layer or the layers below it."""

import ast
from pathlib import Path

import pytest

import memcap

PACKAGE = Path(memcap.__file__).parent

# bottom to top; memcap/__init__.py documents them
LAYERS = {
    "memcap.theory": 0,
    "memcap.papers": 0,
    "memcap.infra": 0,
    "memcap.data": 1,
    "memcap.model": 1,
    "memcap.measures": 2,
    "memcap.engine": 3,
    "memcap.book": 4,
}


def layer_of(module: str) -> int | None:
    """The layer of a memcap module (``memcap.engine.runs`` -> 3); None for ``memcap`` itself."""
    for prefix, layer in LAYERS.items():
        if module == prefix or module.startswith(prefix + "."):
            return layer
    if module == "memcap":
        return None
    raise ValueError(f"module {module!r} is in no layer: add its subpackage to LAYERS and to memcap/__init__.py")


def imported_modules(source: str, module: str, known: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """Every memcap module ``source`` imports, at any depth (function-level imports count too). ``from p import
    name`` imports the module ``p.name`` when that is a file of the package or one of the ``known`` modules."""
    out = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "memcap")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            if base.split(".")[0] != "memcap":
                continue
            for alias in node.names:  # `from memcap.engine import runs` imports memcap.engine.runs
                candidate = f"{base}.{alias.name}"
                out.add(candidate if candidate in known or (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                        or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else base)
    return out


def upward_imports(source: str, module: str) -> list[str]:
    own = layer_of(module)
    if own is None:
        return []
    return [f"{module} (layer {own}) imports {m} (layer {layer_of(m)})"
            for m in sorted(imported_modules(source, module)) if (layer_of(m) or 0) > own]


def package_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), path


def test_no_module_imports_a_higher_layer():
    problems = []
    for module, path in package_modules():
        problems += upward_imports(path.read_text(), module)
    assert not problems, "\n".join(problems)


def test_infra_imports_nothing_else_from_memcap():
    """infra shares layer 0 with theory and papers, yet knows nothing of them either: it is the house's plumbing."""
    problems = [f"{module} imports {m}" for module, path in package_modules() if module.startswith("memcap.infra")
                for m in sorted(imported_modules(path.read_text(), module)) if not m.startswith("memcap.infra")]
    assert not problems, "\n".join(problems)


def test_every_module_is_in_a_layer():
    for module, _ in package_modules():
        layer_of(module)  # raises for a module outside every layer


def test_the_checker_sees_upward_imports_at_any_depth():
    source = "import numpy\n\ndef f():\n    from memcap.engine.runs import CapacityRun\n"
    assert upward_imports(source, "memcap.measures.capacity") == [
        "memcap.measures.capacity (layer 2) imports memcap.engine.runs (layer 3)"]
    assert upward_imports("from memcap.engine import runs\n", "memcap.data.uniform") == [
        "memcap.data.uniform (layer 1) imports memcap.engine.runs (layer 3)"]
    assert upward_imports("from memcap.data import biod\n", "memcap.infra.sweep") == [
        "memcap.infra.sweep (layer 0) imports memcap.data.biod (layer 1)"]
    assert upward_imports("from memcap.theory.information import entropy\n", "memcap.data.markov") == []
    with pytest.raises(ValueError, match="memcap.extras"):
        layer_of("memcap.extras.thing")


def import_graph(sources: dict[str, str]) -> dict[str, set[str]]:
    """module -> the memcap modules it imports (at any depth), for the modules in ``sources`` only."""
    known = set(sources)
    return {m: {t for t in imported_modules(src, m, known) if t in known and t != m} for m, src in sources.items()}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The import circles of a graph: each strongly connected set of two or more modules, sorted (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
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
                circles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(circles)


def test_no_import_circle():
    """A module that imports another which (directly or through others) imports it back, at module level or
    inside a function, is one job split in two or two jobs tangled: merge them or move the shared part below both."""
    sources = {module: path.read_text() for module, path in package_modules()}
    circles = import_circles(import_graph(sources))
    assert not circles, "import circles:\n" + "\n".join(" <-> ".join(c) for c in circles)


def test_the_circle_finder_sees_direct_indirect_and_function_level_circles():
    sources = {
        "memcap.engine.a": "from memcap.engine import b\n",
        "memcap.engine.b": "def f():\n    from memcap.engine.a import thing\n",  # function level counts
        "memcap.engine.c": "import memcap.engine.d\n",
        "memcap.engine.d": "from memcap.engine.e import x\n",
        "memcap.engine.e": "from memcap.engine import c\n",
        "memcap.engine.f": "from memcap.engine import a\n",  # imports a circle, is in none
    }
    assert import_circles(import_graph(sources)) == [["memcap.engine.a", "memcap.engine.b"],
                                                      ["memcap.engine.c", "memcap.engine.d", "memcap.engine.e"]]
    assert import_circles(import_graph({"memcap.engine.a": "import os\n"})) == []
