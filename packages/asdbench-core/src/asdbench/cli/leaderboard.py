"""``asdbench leaderboard`` and ``asdbench ui``: comparing benchmark cells from MLflow."""

from __future__ import annotations

import os
import sys

import click

from asdbench.cli.main import cli
from asdbench.leaderboard import FORMATS, query, render_leaderboard


@cli.command("leaderboard")
@click.option("--dataset", default=None, help="Only cells of this dataset.")
@click.option(
    "--experiment",
    "experiments",
    multiple=True,
    help="MLflow experiment(s) [default: every asdbench-* experiment].",
)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
def leaderboard_command(dataset: str | None, experiments: tuple[str, ...], fmt: str) -> None:
    """One row per benchmark cell and partition, as the AdaProj paper's Table 1: source,
    target and domain-independent AUC and pAUC (mean ± std over trials), the official score and
    the ensemble's official score, sorted by official score."""
    rows = query(list(experiments) or None, dataset)
    if not rows:
        click.echo("No finished benchmark cells in MLflow yet (run `asdbench run`).", err=True)
        return
    click.echo(render_leaderboard(rows, fmt))


@cli.command("ui")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def ui_command(host: str, port: int) -> None:
    """Start the MLflow UI on the store asdbench logs to (MLFLOW_TRACKING_URI or ./mlflow.db).
    Parent runs are the leaderboard; their nested runs are the trials."""
    import mlflow

    uri = mlflow.get_tracking_uri()
    if uri.startswith(("http://", "https://")):
        click.echo(f"The tracking store is a server; open {uri} in a browser.")
        return
    click.echo(f"MLflow UI for {uri} at http://{host}:{port} (Ctrl-C stops it)", err=True)
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        uri,
        "--host",
        host,
        "--port",
        str(port),
    ]
    sys.stderr.flush()
    # Become the MLflow UI process, so that signals (Ctrl-C, SIGTERM) reach it directly.
    os.execv(sys.executable, command)
