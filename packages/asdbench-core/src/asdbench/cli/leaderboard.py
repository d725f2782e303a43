"""``asdbench leaderboard`` and ``asdbench ui``: comparing benchmark cells from MLflow."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys
import time

import click

from asdbench.cli.options import WHERE, store_line
from asdbench.errors import OptionError
from asdbench.reporting.leaderboard.board import DOMAIN_COLUMNS, query
from asdbench.reporting.leaderboard.render import FORMATS, render_leaderboard
from asdbench.reporting.leaderboard.table1 import LAYOUTS, check_table1_format, render_table1
from asdbench.scoring.statistics import STD


@click.command(
    "leaderboard", short_help="One row per cell and partition, from MLflow (Table 1's figures)."
)
@click.option("--dataset", default=None, help="Only cells of this dataset.")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    help="MLflow experiment(s) [default: every asdbench-* experiment].",
)
@WHERE
@click.option(
    "--columns",
    type=click.Choice(list(DOMAIN_COLUMNS)),
    default="table1",
    show_default=True,
    help="table1: source-only/target-only AUC and pAUC, as the AdaProj code computes the "
    "paper's Table 1; official: the official DCASE AUC (source), AUC (target) and pAUC.",
)
@click.option(
    "--std",
    type=click.Choice(list(STD)),
    default="sample",
    show_default=True,
    help="Standard deviation over trials: sample (ddof 1) or population (ddof 0, as the "
    "AdaProj code prints it).",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="cells",
    show_default=True,
    help="cells: one row per cell and partition, then each configuration's mean over datasets; "
    "table1: the paper's Table 1, one row per configuration (losses in the paper's order), the "
    "official score of each dataset and partition as columns.",
)
def leaderboard_command(
    dataset: str | None,
    experiments: tuple[str, ...],
    where: tuple[str, ...],
    columns: str,
    std: str,
    fmt: str,
    layout: str,
) -> None:
    """One row per benchmark cell and partition, in the layout of the AdaProj paper's Table 1:
    source, target and domain-independent AUC and pAUC (harmonic means over sections, mean ±
    std over trials), the official DCASE score and the ensemble's official score, sorted by
    official score. Settings that differ between cells are columns; unfinished cells are
    marked; a configuration run on several datasets gets its mean over them. ``--layout
    table1`` prints the paper's arrangement instead."""
    from asdbench.tracking.connection import existing_store

    if layout == "table1":
        check_table1_format(fmt)
    uri = existing_store()
    store_line(uri)
    board = query(uri, list(experiments) or None, dataset, where=where, layout=columns, std=std)
    if not board.rows:
        click.echo(f"No benchmark cells in {uri} (run `asdbench run`).", err=True)
        return
    if layout == "table1":
        click.echo(render_table1(board, fmt).rstrip("\n"))
        return
    click.echo(render_leaderboard(board, fmt).rstrip("\n"))


@click.command("ui", short_help="Start the MLflow UI and print the link to each leaderboard.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Server worker processes (MLflow's own default is 4).",
)
def ui_command(host: str, port: int, workers: int) -> None:
    """Start the MLflow UI on the store asdbench logs to (MLFLOW_TRACKING_URI or ./mlflow.db)
    and print, per asdbench experiment, the link to its leaderboard: the runs table with the
    official scores as columns, sorted. Parent runs are cells; their nested runs the trials."""
    from asdbench.tracking import connection, store

    uri = connection.existing_store()
    store_line(uri)
    remote = uri.startswith(("http://", "https://"))
    if not remote:
        check_port_free(host, port)
    base = uri if remote else f"http://{host}:{port}"
    mlflow = connection.client(uri)
    experiments = store.experiments(mlflow)
    for experiment in experiments:
        link = store.leaderboard_link(base, experiment.experiment_id)
        click.echo(f"{experiment.name}: {link}", err=True)
    if not experiments:
        click.echo("No asdbench experiment yet: `asdbench run` makes one.", err=True)
    if remote:
        click.echo("The tracking store is a server: the links above open its UI.", err=True)
        return
    # Only leaderboard links are printed: MLflow's own start page is its GenAI welcome page.
    click.echo(f"MLflow UI for {uri} on port {port} (Ctrl-C stops it)", err=True)
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", uri, "--host", host,
               "--port", str(port), "--workers", str(workers)]  # fmt: skip
    sys.exit(serve(command))


def check_port_free(host: str, port: int) -> None:
    """Refuse, before anything starts, a port another program listens on: the links printed
    would open that program, and MLflow's helpers would linger after its server failed."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.bind((host, port))
    except OSError as exc:
        reason = "in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
        raise OptionError(f"--port {port} on {host}: {reason}; choose another with --port") from exc


def serve(command: list[str]) -> int:
    """Run the MLflow UI in a process group of its own and stop the whole group (the server,
    its workers and MLflow's job consumers) however this process ends: the server exiting,
    Ctrl-C or SIGTERM. Returns the exit status to leave with."""
    server = subprocess.Popen(command, process_group=0)

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        return server.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        stop_group(server)


def stop_group(server: subprocess.Popen) -> None:
    """SIGTERM the server's process group, then SIGKILL whatever is left after 10 s."""
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sent)
        except ProcessLookupError:
            return
        if _group_ends(server, seconds=10):
            return


def _group_ends(server: subprocess.Popen, seconds: float) -> bool:
    """Whether no process of the server's group is left within ``seconds`` (the server itself
    is reaped meanwhile, so that it does not linger as a zombie)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        server.poll()
        try:
            os.killpg(server.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False
