"""Every hook has a test and a section in the docs (datasette's meta-tests)."""

from pathlib import Path

import pytest

from asdbench.registry.hookspecs import AsdbenchSpecs

HOOKS = [name for name in vars(AsdbenchSpecs) if name.startswith("asdbench_")]
ROOT = Path(__file__).resolve().parents[3]
TESTS = Path(__file__).parent


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    page = ROOT / "docs" / "plugin-reference.md"
    assert f"`{hook}" in page.read_text(), f"docs/plugin-reference.md: {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_test(hook):
    sources = "".join(
        path.read_text() for path in TESTS.glob("test_*.py") if path.name != "test_meta.py"
    )
    assert f"def {hook}(" in sources, f"no test registers a plugin implementing {hook}"
