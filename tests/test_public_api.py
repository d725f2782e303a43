"""The public API: what ``asdbench.__all__`` declares resolves, stays import-light, is documented
on docs/api.md, and is all that the plugins in this repository import from the core."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

import asdbench
import asdbench.testing

ROOT = Path(__file__).resolve().parents[1]
#: Core modules a plugin may import from, and the names each offers.
PUBLIC = {
    "asdbench": set(asdbench.__all__),
    "asdbench.testing": set(asdbench.testing.__all__),
    "asdbench.cli": {"cli"},
}


def violations(source: str) -> list[str]:
    """Every use of a core name outside the public API in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"import {a.name}"
                for a in node.names
                if a.name.startswith("asdbench.") and a.name not in PUBLIC
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "asdbench":
            allowed = PUBLIC.get(node.module or "", set())
            found += [
                f"from {node.module} import {a.name}" for a in node.names if a.name not in allowed
            ]
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "asdbench"
            and node.attr not in PUBLIC["asdbench"]
        ):
            found.append(f"asdbench.{node.attr}")
    return found


def plugin_files() -> list[Path]:
    return sorted(
        path
        for folder in ("plugins", "examples")
        for path in (ROOT / folder).glob("*/**/*.py")
        if ".venv" not in path.parts
    )


def test_the_checker_finds_private_imports():
    private = (
        "import asdbench\n"
        "from asdbench.pipeline.run import TEAM\n"
        "import asdbench.tracking.tracker\n"
        "from asdbench import Tracker, secret\n"
        "x = asdbench.tracking.connection.client(None)\n"
    )
    assert violations(private) == [
        "from asdbench.pipeline.run import TEAM",
        "import asdbench.tracking.tracker",
        "from asdbench import secret",
        "asdbench.tracking",
    ]


def test_plugins_import_only_the_public_api():
    files = plugin_files()
    assert len(files) > 20, "the plugins in the repository were not found"
    offenders = [
        f"{path.relative_to(ROOT)}: {use}" for path in files for use in violations(path.read_text())
    ]
    assert offenders == [], "\n".join(offenders)


def test_every_public_name_resolves():
    missing = [name for name in asdbench.__all__ if not hasattr(asdbench, name)]
    assert missing == []
    with pytest.raises(AttributeError, match="no attribute 'pipeline_internals'"):
        asdbench.pipeline_internals  # noqa: B018


def test_importing_asdbench_loads_neither_torch_nor_mlflow():
    check = (
        "import sys, asdbench; asdbench.available('loss'); "
        "print(sorted(m for m in ('torch', 'mlflow', 'sklearn') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_api_page_documents_every_public_name():
    page = (ROOT / "docs" / "api.md").read_text()
    undocumented = [
        name for name in asdbench.__all__ if not re.search(rf"`{re.escape(name)}[`(]", page)
    ]
    assert undocumented == []
