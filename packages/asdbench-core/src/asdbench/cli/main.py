"""The command group: error handling, ``--version`` and plugin subcommands."""

from __future__ import annotations

import errno
import sys
from typing import Any

import click

from asdbench.cli.components import list_command, plugins_command
from asdbench.cli.data import data_group
from asdbench.cli.evaluate import evaluate_command
from asdbench.cli.leaderboard import leaderboard_command, ui_command
from asdbench.cli.plot import plot_group
from asdbench.cli.run import run_command
from asdbench.cli.runs import runs_group
from asdbench.cli.sweep import sweep_command
from asdbench.cli.sync import sync_command
from asdbench.errors import AsdbenchError
from asdbench.registry.manager import CORE_DISTRIBUTION, core_version, get_plugins

#: Exit status for every error a user can cause (click uses 2 for usage errors too).
USER_ERROR = 2


class AsdbenchGroup(click.Group):
    """A group that turns user errors into one line and exit status 2, and that adds the
    subcommands of the plugins registered at the time it is asked (never at import)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *get_plugins().commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name) or get_plugins().commands().get(name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each command with its whole first sentence, wrapped (click cuts it at the
        terminal's width, mid-phrase)."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AsdbenchError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(USER_ERROR)
        except Exception as exc:
            message = machine_problem(exc)
            if message is None:
                raise
            click.echo(f"Error: {message}", err=True)
            ctx.exit(USER_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


#: Failures of the machine, not of asdbench: a full disk, a size or quota limit, a read-only
#: file system, a missing permission (errno), and SQLite's words for the same.
MACHINE_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EFBIG: "the file is over the size limit",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
}
SQLITE_PROBLEMS = {
    "database or disk is full": "the disk under the MLflow store is full",
    "attempt to write a readonly database": "the MLflow store is read-only",
    "disk i/o error": "the MLflow store's disk failed a read or write",
    "unable to open database file": "the MLflow store cannot be opened",
}


def machine_problem(exc: BaseException) -> str | None:
    """One line for a failure of the disk or the file system anywhere in ``exc``'s chain
    (MLflow and SQLAlchemy wrap SQLite's), None for anything else (a bug keeps its
    traceback)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in MACHINE_ERRNOS:
            where = f"{current.filename}: " if current.filename else ""
            return f"{where}{MACHINE_ERRNOS[current.errno]} ({current.strerror})"
        text = str(current).lower()
        for words, meaning in SQLITE_PROBLEMS.items():
            if words in text and type(current).__module__.split(".")[0] in (
                "sqlite3",
                "sqlalchemy",
                "mlflow",
            ):
                return f"{meaning} (SQLite: {words})"
        current = current.__cause__ or current.__context__
    return None


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"{CORE_DISTRIBUTION} {core_version()}")
    seen = set()
    for info in get_plugins().info():
        if info.distribution not in (None, CORE_DISTRIBUTION, *seen):
            seen.add(info.distribution)
            click.echo(f"  {info.distribution} {info.version}")
    ctx.exit()


@click.group(cls=AsdbenchGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_print_version,
    help="Show the core version and every installed plugin distribution.",
)
def cli() -> None:
    """asdbench: benchmark semi-supervised anomalous sound detection (DCASE Task 2).

    Start with `asdbench run` (AdaProj on the built-in synthetic dataset), then
    `asdbench plugins` and `asdbench list` to see what is installed.
    """


# Core's commands; plugins add theirs through the ``asdbench_commands`` hook (AsdbenchGroup).
for _command in (
    data_group,
    evaluate_command,
    leaderboard_command,
    list_command,
    plot_group,
    plugins_command,
    run_command,
    runs_group,
    sweep_command,
    sync_command,
    ui_command,
):
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="asdbench", standalone_mode=True)
    except AsdbenchError as exc:  # raised while building the plugin manager, before a command
        click.echo(f"Error: {exc}", err=True)
        sys.exit(USER_ERROR)
