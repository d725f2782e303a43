"""``asdbench sync``: upload tracking kept locally while the MLflow server was unavailable."""

from __future__ import annotations

from pathlib import Path

import click

from asdbench.cli.main import cli

DEFAULT_ROOT = Path("asdbench-output")


@cli.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--dry-run", is_flag=True, help="List what would be uploaded.")
def sync_command(paths: tuple[Path, ...], dry_run: bool) -> None:
    """Upload the tracking journals under PATHS (default: ./asdbench-output) to the MLflow
    tracking server (MLFLOW_TRACKING_URI): runs that started on the server are completed, runs
    started while it was away are created, and each cell gets its leaderboard. Safe to repeat:
    what was uploaded is not uploaded again."""
    from asdbench.offline import find_journals, pending, sync_journal
    from asdbench.pipeline import publish_leaderboard
    from asdbench.tracking import check_reachable, limit_http_retries

    journals = [
        (folder, pending(folder)) for folder in find_journals(list(paths) or [DEFAULT_ROOT])
    ]
    waiting = [(folder, count) for folder, count in journals if count]
    if not waiting:
        click.echo(f"nothing to upload ({len(journals)} journals, all uploaded)", err=True)
        return
    for folder, count in waiting:
        click.echo(f"{folder}: {count} entries to upload", err=True)
    if dry_run:
        return
    import mlflow
    from mlflow.tracking import MlflowClient

    limit_http_retries()
    check_reachable(mlflow.get_tracking_uri())
    client = MlflowClient()
    for folder, _ in waiting:
        for run_id in sync_journal(folder, lambda message: click.echo(message, err=True)):
            experiment = client.get_experiment(client.get_run(run_id).info.experiment_id)
            publish_leaderboard(client.tracking_uri, experiment.name, run_id)
            click.echo(run_id)
