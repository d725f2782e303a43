"""Functions that do one thing and modules that hold one topic: no function longer than 60
lines and no module longer than 400, in the source of every package, plugin and example."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LONGEST_FUNCTION = 60
LONGEST_MODULE = 400


def sources() -> list[Path]:
    return sorted(
        path
        for folder in ("packages", "plugins", "examples")
        for path in (ROOT / folder).glob("*/src/**/*.py")
    )


def long_functions(text: str) -> list[tuple[str, int]]:
    """Each function (method, nested function) over the limit, with its length in lines."""
    return [
        (node.name, node.end_lineno - node.lineno + 1)
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]


def test_the_checker_measures_functions_from_def_to_last_line():
    body = "".join(f"    x = {i}\n" for i in range(LONGEST_FUNCTION - 1))
    assert long_functions(f"def fits():\n{body}") == []
    assert long_functions(f"def long():\n{body}    return x\n") == [("long", 61)]


def test_no_function_is_longer_than_60_lines():
    found = [
        f"{path.relative_to(ROOT)}: {name} ({length} lines)"
        for path in sources()
        for name, length in long_functions(path.read_text())
    ]
    assert found == []


def test_no_module_is_longer_than_400_lines():
    found = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for path in sources()
        if (lines := len(path.read_text().splitlines())) > LONGEST_MODULE
    ]
    assert sources() and found == []
