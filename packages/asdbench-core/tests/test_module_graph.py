"""The core's layout is its architecture: modules grouped by pipeline stage, each stage importing
only from the stages below it (imports for type checkers included), and no import cycle at run
time (imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

import asdbench

SOURCE = Path(asdbench.__file__).parent
#: The stages from the bottom up; a module may import from its own stage and those below.
STAGES = {
    "asdbench.errors": 0,
    "asdbench.paths": 0,
    "asdbench.files": 0,
    "asdbench.data": 1,
    "asdbench.contracts": 2,
    "asdbench.registry": 3,
    "asdbench.synthetic": 4,
    "asdbench.model": 4,
    "asdbench.backends": 4,
    "asdbench.scoring": 4,
    "asdbench.training": 5,
    "asdbench.submission": 5,
    "asdbench.tracking": 6,
    "asdbench.reporting": 7,
    "asdbench.pipeline": 8,
    "asdbench.cli": 9,
    "asdbench.testing": 9,
    "asdbench": 10,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(SOURCE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    parts = module.split(".")
    return next(".".join(parts[:n]) for n in (2, 1) if ".".join(parts[:n]) in STAGES)


def run_time_nodes(tree: ast.AST):
    """Every node except those under ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        yield node
        yield from run_time_nodes(node)


def imports(path: Path, modules: set[str], *, type_only: bool = False) -> set[str]:
    """The core modules ``path`` imports at run time, and with ``type_only`` for type checkers
    too."""
    found = set()
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree) if type_only else run_time_nodes(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("asdbench"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                found.add(full if full in modules else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("asdbench")}
    return found & modules


def graph(*, type_only: bool = False) -> dict[str, set[str]]:
    paths = {module_name(p): p for p in SOURCE.rglob("*.py")}
    return {
        name: imports(path, set(paths), type_only=type_only) - {name}
        for name, path in paths.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(graph()) == []


def test_each_stage_imports_only_the_stages_below():
    upward = [
        f"{module} imports {target}"
        for module, targets in graph(type_only=True).items()
        for target in targets
        if STAGES[stage(target)] > STAGES[stage(module)] and stage(module) != "asdbench"
    ]
    assert upward == []


def test_the_stage_check_sees_imports_of_either_kind(tmp_path):
    """An upward import for type checkers only is an upward import too; one inside a
    function is one at run time."""
    modules = {"asdbench.data.clips", "asdbench.pipeline.config", "asdbench.cli.run"}
    planted = tmp_path / "planted.py"
    planted.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from asdbench.pipeline.config import RunConfig\n"
        "def f():\n"
        "    from asdbench.cli import run\n"
    )
    assert imports(planted, modules) == {"asdbench.cli.run"}
    assert imports(planted, modules, type_only=True) == {
        "asdbench.cli.run",
        "asdbench.pipeline.config",
    }


def test_every_module_belongs_to_a_stage():
    top_level = sorted(p.stem for p in SOURCE.glob("*.py"))
    assert top_level == ["__init__", "contracts", "errors", "files", "paths"]
    packages = sorted(p.name for p in SOURCE.iterdir() if (p / "__init__.py").exists())
    assert {f"asdbench.{name}" for name in packages} <= set(STAGES)
