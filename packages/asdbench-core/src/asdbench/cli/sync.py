"""``asdbench sync``: upload tracking kept locally while the MLflow server was unavailable."""

from __future__ import annotations

import os
from pathlib import Path

import click

from asdbench.errors import AsdbenchError
from asdbench.tracking import connection

DEFAULT_ROOT = Path("asdbench-output")


@click.command("sync", short_help="Upload the tracking kept locally while MLflow was unavailable.")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="List what would be uploaded.")
def sync_command(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Upload the tracking journals under PATHS (default: ./asdbench-output) to the MLflow
    tracking server: MLFLOW_TRACKING_URI, else the server each journal's run was logging to.
    Runs that started on the server are completed, runs started while it was away are created,
    and each cell gets its leaderboard. Safe to repeat: what was uploaded is not uploaded
    again. Only files inside a journal's own folder are ever sent."""
    from asdbench.pipeline.cells import publish_leaderboard
    from asdbench.tracking.connection import limit_http_retries
    from asdbench.tracking.journal import find_journals, recorded_uri
    from asdbench.tracking.sync import pending, sync_journal

    def notice(message: str) -> None:
        click.echo(message, err=True)

    journals = [  # every journal checked whole before anything is uploaded
        (folder, pending(folder, notice)) for folder in find_journals(list(paths) or [DEFAULT_ROOT])
    ]
    waiting = [(folder, count) for folder, count in journals if count]
    if not waiting:
        click.echo(f"nothing to upload ({len(journals)} journals, all uploaded)", err=True)
        return
    chosen = os.environ.get("MLFLOW_TRACKING_URI")
    targets = {folder: chosen or recorded_uri(folder) for folder, _ in waiting}
    for folder, count in waiting:
        click.echo(f"{folder}: {count} entries to upload to {targets[folder]}", err=True)
    if dry_run:
        return
    limit_http_retries()
    for uri in dict.fromkeys(targets.values()):
        if not uri:
            raise AsdbenchError("a journal records no tracking URI; set MLFLOW_TRACKING_URI")
        connection.require(uri)
    for folder, _ in waiting:
        uri = targets[folder]
        client = connection.client(uri)
        for run_id in sync_journal(folder, notice, uri):
            experiment = client.get_experiment(client.get_run(run_id).info.experiment_id)
            publish_leaderboard(uri, experiment.name, run_id)
            click.echo(run_id)
