"""The command group: error handling, ``--version`` and plugin subcommands."""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

import click

from asdbench.errors import AsdbenchError
from asdbench.plugins.manager import CORE_DISTRIBUTION, core_version, get_plugins

#: Exit status for every error a user can cause (click uses 2 for usage errors too).
USER_ERROR = 2


class AsdbenchGroup(click.Group):
    """A group that turns user errors into one line and exit status 2, and that adds the
    subcommands of the plugins registered at the time it is asked (never at import)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *get_plugins().commands()})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self.commands.get(name) or get_plugins().commands().get(name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AsdbenchError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(USER_ERROR)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)


TRACKING_FALLBACK = click.option(
    "--tracking-fallback",
    type=click.Choice(["error", "local"]),
    default="error",
    show_default=True,
    help="When the MLflow server does not answer at the start: fail, or keep the tracking "
    "locally for `asdbench sync`. (A server lost during the run always falls back to local.)",
)


NUM_WORKERS = click.option(
    "--num-workers",
    type=int,
    default=None,
    help="Audio decoding threads and torch threads [default: the cores available to this "
    "process; more is cut to that].",
)


PRECISION = click.option(
    "--precision",
    type=click.Choice(["fp32", "bf16"]),
    default=None,
    help="bf16: autocast training and embedding (CPU and CUDA) [default: fp32]. Faster only "
    "where the hardware has bf16 matrix units (docs/performance.md).",
)


def stop_on_sigterm() -> None:
    """Treat SIGTERM (a scheduler, ``kill``) like Ctrl-C: the run in progress is marked KILLED in
    MLflow and its last checkpoint stays for ``--resume``, instead of dying mid-write. A second
    Ctrl-C or SIGTERM while that is done ends the process at once, with exit status 130."""
    interrupted = False

    def interrupt(signum: int, frame: object) -> None:
        nonlocal interrupted
        if interrupted:
            os._exit(130)
        interrupted = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)


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


def main() -> None:
    """Console-script entry point."""
    try:
        cli.main(prog_name="asdbench", standalone_mode=True)
    except AsdbenchError as exc:  # raised while building the plugin manager, before a command
        click.echo(f"Error: {exc}", err=True)
        sys.exit(USER_ERROR)


# Subcommand modules register themselves on `cli`.
from asdbench.cli import components as _components  # noqa: E402,F401
from asdbench.cli import data as _data  # noqa: E402,F401
from asdbench.cli import evaluate as _evaluate  # noqa: E402,F401
from asdbench.cli import leaderboard as _leaderboard  # noqa: E402,F401
from asdbench.cli import plot as _plot  # noqa: E402,F401
from asdbench.cli import run as _run  # noqa: E402,F401
from asdbench.cli import runs as _runs  # noqa: E402,F401
from asdbench.cli import sweep as _sweep  # noqa: E402,F401
from asdbench.cli import sync as _sync  # noqa: E402,F401
