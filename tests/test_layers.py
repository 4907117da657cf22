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


def imported_modules(source: str, module: str) -> set[str]:
    """Every memcap module ``source`` imports, at any depth (function-level imports count too)."""
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
                out.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
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
