"""``asdbench sweep``: the paper's grid (losses x datasets x trials) from one command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from asdbench.cli.options import NUM_WORKERS, PRECISION, TRACKING_FALLBACK
from asdbench.cli.signals import stop_on_sigterm
from asdbench.pipeline.config import RunConfig
from asdbench.pipeline.resources import check_device
from asdbench.pipeline.sweeps import build_configs, cell_labels, read_sweep_file


def finished_cells(configs: list[RunConfig]) -> set[str]:
    """``<cell hash>:<trials>:<seed>`` of every FINISHED parent run in MLflow."""
    from asdbench.tracking import connection, store

    return store.finished_cells(connection.client(), [c.experiment_name for c in configs])


def tracking_available(fallback: str) -> bool:
    """Whether the tracking server answers; when it does not, an error unless ``fallback`` is
    ``local`` (then no cell counts as finished: finished ones rescore from the trial cache)."""
    from asdbench.errors import AsdbenchError
    from asdbench.tracking.connection import check_reachable, check_writable, tracking_uri

    check_writable(tracking_uri())  # a store no run could log to is an error in any case
    try:
        check_reachable(tracking_uri())
    except AsdbenchError as exc:
        if fallback != "local":
            raise
        click.echo(f"warning: {exc}", err=True)
        return False
    return True


@click.command(
    "sweep", short_help="Run every cell of a grid with its trials; finished cells are skipped."
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file with a [sweep] table (keys as the options below; flags win).",
)
@click.option(
    "--preset",
    default=None,
    metavar="NAME",
    help="A named configuration for every cell (asdbench list presets); the lists and --set "
    "override its values.",
)
@click.option("--loss", "losses", multiple=True, help="Losses (repeat) [default: adaproj].")
@click.option(
    "--dataset", "datasets", multiple=True, help="Datasets (repeat) [default: synthetic]."
)
@click.option("--backend", "backends", multiple=True, help="Back ends (repeat) [default: kmeans].")
@click.option(
    "--embedder", "embedders", multiple=True, help="Embedders (repeat) [default: dual_branch]."
)
@click.option("--trials", type=int, default=None, help="Trials per cell [default: 1].")
@click.option(
    "--ensemble", default=None, help="Ensemble of each cell's trials (none: no ensemble)."
)
@click.option("--seed", type=int, default=None)
@click.option("--epochs", type=int, default=None)
@click.option("--batch-size", type=int, default=None)
@PRECISION
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--ground-truth", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="KIND.OPTION=VALUE[,VALUE...]",
    help="A setting for every cell, or with several comma-separated values one cell per value "
    "(crossed with the other lists), e.g. loss.subspace_dim=1,2,4,8.",
)
@click.option("--dry-run", is_flag=True, help="List the cells and which are done.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@TRACKING_FALLBACK
@NUM_WORKERS
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="local: cells and trials one after another here; ray: every trial a Ray task.",
)
@click.option(
    "--address", default=None, help="Ray cluster address [default: RAY_ADDRESS or local]."
)
@click.option("--cpus-per-trial", type=float, default=1.0, show_default=True, help="Ray: CPUs.")
@click.option("--gpus-per-trial", type=float, default=0.0, show_default=True, help="Ray: GPUs.")
@click.option(
    "--max-retries",
    type=int,
    default=3,
    show_default=True,
    help="Ray: resubmissions of a trial whose worker died.",
)
def sweep_command(
    config_file: Path | None,
    sets: tuple[str, ...],
    dry_run: bool,
    quiet: bool,
    tracking_fallback: str,
    num_workers: int | None,
    executor: str,
    address: str | None,
    cpus_per_trial: float,
    gpus_per_trial: float,
    max_retries: int,
    **flags: Any,
) -> None:
    """Run every cell of the grid (losses x embedders x backends x datasets x every list of
    --set values) with its trials, skipping cells already finished in MLflow, so an
    interrupted sweep continues where it stopped (interrupted trials resume from their
    checkpoints, finished ones from the trial cache). Prints the leaderboard.

    With --executor ray every trial is a Ray task on the cluster at --address; the data is
    prepared here first, so ASDBENCH_CACHE_DIR and the dataset folders must be on a file system
    every node shares, and MLflow must be a server every node reaches (docs/cluster.md)."""
    from asdbench.pipeline.resources import bounded_workers

    plan = read_sweep_file(config_file) if config_file else {}
    configs = build_configs(plan, flags, sets)
    if executor == "local":  # a Ray worker checks the device it is given
        for device in {config.device for config in configs}:
            check_device(device)
    workers = bounded_workers(num_workers, lambda message: click.echo(message, err=True))
    stop_on_sigterm()
    online = tracking_available(tracking_fallback)
    todo = _queue(configs, finished_cells(configs) if online else set(), dry_run)
    if dry_run:
        return
    outcomes = run_cells(
        todo,
        executor=executor,
        workers=workers,
        progress=not quiet,
        ray_options={
            "address": address,
            "cpus_per_trial": cpus_per_trial,
            "gpus_per_trial": gpus_per_trial,
            "max_retries": max_retries,
        },
    )
    if not online or any(outcome.sync_hint for outcome in outcomes):
        click.echo(
            "MLflow was unavailable: upload the kept tracking with `asdbench sync`, then "
            "`asdbench leaderboard` shows the sweep",
            err=True,
        )
        return
    click.echo(_leaderboard(configs))


def _queue(configs: list[RunConfig], done: set[str], dry_run: bool) -> list[RunConfig]:
    """The cells still to run, each listed as done, to run or queued."""
    todo = []
    for config, name in zip(configs, cell_labels(configs), strict=True):
        if f"{config.cell_hash()}:{config.trials}:{config.seed}" in done:
            click.echo(f"done     {name}", err=True)
            continue
        click.echo(f"{'to run' if dry_run else 'queued'}  {name}", err=True)
        todo.append(config)
    return todo


def _leaderboard(configs: list[RunConfig]) -> str:
    """The leaderboard of the sweep's experiments, in the sweep's std when it has one."""
    from asdbench.reporting.leaderboard.board import query
    from asdbench.reporting.leaderboard.render import render_leaderboard
    from asdbench.tracking import connection

    stds = {c.std for c in configs}
    board = query(
        connection.tracking_uri(),
        sorted({c.experiment_name for c in configs}),
        std=stds.pop() if len(stds) == 1 else "sample",
    )
    return render_leaderboard(board)


def run_cells(
    configs: list[RunConfig],
    *,
    executor: str,
    workers: int,
    progress: bool,
    ray_options: dict[str, Any],
) -> list:
    """Run the cells here one after another, or every trial as a Ray task."""

    def echo(message: str) -> None:
        click.echo(message, err=True)

    if executor == "ray" and configs:
        from asdbench.pipeline.ray_executor import run_on_ray

        return run_on_ray(
            configs,
            **ray_options,
            tracking_fallback="local",  # the start was checked by the caller
            progress=progress,
            echo=echo,
        )
    from asdbench.pipeline.cells import run_benchmark

    return [
        run_benchmark(
            config,
            resume=True,
            progress=progress,
            echo=echo,
            tracking_fallback="local",  # the start was checked by the caller
            num_workers=workers,
        )
        for config in configs
    ]
