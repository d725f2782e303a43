"""Write docs/cli.md, the command-line reference, from the ``--help`` of every ``asdbench``
command (first-party plugins' commands included)::

    python scripts/cli_reference.py          # rewrite docs/cli.md
    python scripts/cli_reference.py --check  # exit 1 if docs/cli.md is out of date

``tests/test_cli_reference.py`` fails when the page and the commands disagree.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import click
from generated_page import write_or_check

from asdbench.cli import cli

PAGE = Path(__file__).resolve().parents[1] / "docs" / "cli.md"
WIDTH = 100
HEADER = """# Command-line reference

Generated from `--help` by `python scripts/cli_reference.py`; `tests/test_cli_reference.py`
fails when a command changes and this page does not. Every command exits with status 2 and a
one-line error on bad input, before any work starts.
"""


def commands(
    command: click.Command, path: tuple[str, ...], parent: click.Context | None
) -> Iterator[tuple[tuple[str, ...], click.Context]]:
    """Every command under ``command`` with its context, depth first, in name order."""
    settings = {**command.context_settings, "terminal_width": WIDTH, "max_content_width": WIDTH}
    ctx = click.Context(command, info_name=path[-1], parent=parent, **settings)
    yield path, ctx
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, (*path, name), ctx)


def render() -> str:
    parts = [HEADER]
    for path, ctx in commands(cli, ("asdbench",), None):
        parts.append(f"## `{' '.join(path)}`\n\n```\n{ctx.command.get_help(ctx)}\n```\n")
    return "\n".join(parts)


def main() -> int:
    return write_or_check(PAGE, render(), "cli_reference.py")


if __name__ == "__main__":
    sys.exit(main())
