"""Write the hook table and the contract sections of docs/plugin-reference.md from
``asdbench.contracts``, where each contract is written once::

    python scripts/contract_reference.py          # rewrite the generated parts of the page
    python scripts/contract_reference.py --check  # exit 1 if they are out of date

``tests/test_contract_reference.py`` fails when the contracts and the page disagree.
"""

from __future__ import annotations

import inspect
import re
import sys
from pathlib import Path

from generated_page import write_or_check

from asdbench import contracts
from asdbench.registry.specs import SPEC_TYPES

PAGE = Path(__file__).resolve().parents[1] / "docs" / "plugin-reference.md"
PARTS = ("hooks", "contracts")


def markdown(docstring: str) -> str:
    """A docstring as Markdown: ``code`` in single backticks, Sphinx roles as their target."""
    text = inspect.cleandoc(docstring)
    text = re.sub(r":(?:class|func|data|meth|mod):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


#: The hooks that register no component.
OTHER_HOOKS = (
    "| `asdbench_presets()` | `asdbench.PresetSpec` | no factory: a named configuration "
    "([Presets](#presets)) |",
    "| `asdbench_commands(cli)` | nothing | receives the `asdbench` click group: add "
    "subcommands with `cli.add_command(...)` |",
)


def hooks() -> str:
    """The hook table: one row per kind (its hook, its spec record and how its factory is
    called), then the other hooks."""
    rows = ["| hook | yields | the factory is called as |", "|---|---|---|"]
    for kind in contracts.KINDS.values():
        required = [a for a in kind.context if a not in kind.optional_context]
        arguments = ", ".join(["*", *required, "**options"]) if required else "**options"
        call = f"`factory({arguments})`"
        if kind.optional_context:
            extra = ", ".join(f"`{a}`" for a in kind.optional_context)
            call += f", and {extra} to a factory that declares it takes it"
        spec = SPEC_TYPES[kind.name].__name__
        rows.append(f"| `{kind.hook}()` | `asdbench.{spec}` | {call} |")
    return "\n".join([*rows, *OTHER_HOOKS])


def sections() -> str:
    """The contract of each kind, then the capabilities, from their docstrings."""
    parts = [
        f"### {kind.contract.__name__}\n\n{markdown(kind.contract.__doc__ or '')}"
        for kind in contracts.KINDS.values()
    ]
    capabilities = (contracts.ReportsTrainingMetrics, contracts.Downloadable)
    parts.append(
        "### Capabilities\n\nDeclared by implementing a protocol, never guessed from "
        "attributes.\n\n"
        + "\n".join(f"- `asdbench.{c.__name__}`: {markdown(c.__doc__ or '')}" for c in capabilities)
    )
    return "\n\n".join(parts)


def render(page: str) -> str:
    for part, text in zip(PARTS, (hooks(), sections()), strict=True):
        begin = (
            f"<!-- {part}: generated from asdbench.contracts by scripts/contract_reference.py -->"
        )
        end = f"<!-- end of {part} -->"
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(page):
            raise SystemExit(f"{PAGE}: no {begin!r} ... {end!r} block")
        page = pattern.sub(lambda _, t=text, b=begin, e=end: f"{b}\n{t}\n{e}", page)
    return page


def main() -> int:
    return write_or_check(PAGE, render(PAGE.read_text()), "contract_reference.py")


if __name__ == "__main__":
    sys.exit(main())
