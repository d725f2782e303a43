"""``asdbench sweep``: the paper's grid (losses x datasets x trials) from one command."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import click

from asdbench.cli.main import NUM_WORKERS, PRECISION, TRACKING_FALLBACK, cli, stop_on_sigterm
from asdbench.config import RunConfig, resolve
from asdbench.errors import OptionError

SWEEP_KEYS = {
    "losses",
    "datasets",
    "trials",
    "seed",
    "ensemble",
    "epochs",
    "batch_size",
    "precision",
    "embedder",
    "backend",
    "set",
    "data_dir",
    "ground_truth",
    "experiment",
    "device",
}


def read_sweep_file(path: Path) -> dict[str, Any]:
    """A TOML file with a ``[sweep]`` table; ``data_dir`` and ``ground_truth`` may be tables
    keyed by dataset name."""
    try:
        table = tomllib.loads(path.read_text()).get("sweep")
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise OptionError(f"{path}: {exc}") from exc
    if not isinstance(table, dict):
        raise OptionError(f"{path}: expected a [sweep] table")
    unknown = set(table) - SWEEP_KEYS
    if unknown:
        raise OptionError(
            f"{path}: unknown key {sorted(unknown)[0]!r}; keys: {', '.join(sorted(SWEEP_KEYS))}"
        )
    return table


def finished_cells(configs: list[RunConfig]) -> set[str]:
    """``<cell hash>:<trials>:<seed>`` of every FINISHED parent run in MLflow."""
    from mlflow.tracking import MlflowClient

    from asdbench.tracking import experiment_name

    client = MlflowClient()
    done = set()
    for name in {experiment_name(c) for c in configs}:
        experiment = client.get_experiment_by_name(name)
        if experiment is None:
            continue
        for run in client.search_runs(
            [experiment.experiment_id],
            "tags.`asdbench.run_type` = 'cell' and attributes.status = 'FINISHED'",
            max_results=10_000,
        ):
            tags = run.data.tags
            done.add(
                f"{tags.get('asdbench.cell')}:{tags.get('asdbench.trials')}:{tags.get('asdbench.seed')}"
            )
    return done


def tracking_available(fallback: str) -> bool:
    """Whether the tracking server answers; when it does not, an error unless ``fallback`` is
    ``local`` (then no cell counts as finished: finished ones rescore from the trial cache)."""
    import mlflow

    from asdbench.errors import AsdbenchError
    from asdbench.tracking import check_reachable

    try:
        check_reachable(mlflow.get_tracking_uri())
    except AsdbenchError as exc:
        if fallback != "local":
            raise
        click.echo(f"warning: {exc}", err=True)
        return False
    return True


@cli.command("sweep")
@click.option(
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A TOML file with a [sweep] table (keys as the options below).",
)
@click.option("--loss", "losses", multiple=True, help="Losses (repeat) [default: adaproj].")
@click.option(
    "--dataset", "datasets", multiple=True, help="Datasets (repeat) [default: synthetic]."
)
@click.option("--trials", type=int, default=None, help="Trials per cell [default: 1].")
@click.option("--ensemble", default=None, help="Ensemble of each cell's trials.")
@click.option("--seed", type=int, default=None)
@click.option("--epochs", type=int, default=None)
@click.option("--batch-size", type=int, default=None)
@PRECISION
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
@click.option(
    "--ground-truth", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None
)
@click.option("--set", "sets", multiple=True, metavar="KIND.OPTION=VALUE")
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
    losses: tuple[str, ...],
    datasets: tuple[str, ...],
    trials: int | None,
    ensemble: str | None,
    seed: int | None,
    epochs: int | None,
    batch_size: int | None,
    precision: str | None,
    data_dir: Path | None,
    ground_truth: Path | None,
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
) -> None:
    """Run every cell of losses x datasets with its trials, skipping cells already finished
    in MLflow, so an interrupted sweep continues where it stopped (interrupted trials resume
    from their checkpoints, finished ones from the trial cache). Prints the leaderboard.

    With --executor ray every trial is a Ray task on the cluster at --address; the data is
    prepared here first, so ASDBENCH_CACHE_DIR and the dataset folders must be on a file system
    every node shares, and MLflow must be a server every node reaches (docs/cluster.md)."""
    from asdbench.leaderboard import query, render_leaderboard
    from asdbench.pipeline import run_benchmark

    plan = read_sweep_file(config_file) if config_file else {}
    losses = losses or tuple(plan.get("losses", ("adaproj",)))
    datasets = datasets or tuple(plan.get("datasets", ("synthetic",)))
    data_dirs = plan.get("data_dir", {})
    truths = plan.get("ground_truth", {})
    configs = []
    for dataset in datasets:
        for loss in losses:
            train = {
                k: v
                for k, v in (
                    ("epochs", epochs or plan.get("epochs")),
                    ("batch_size", batch_size or plan.get("batch_size")),
                    ("precision", precision or plan.get("precision")),
                )
                if v is not None
            }
            folder = data_dir or (
                data_dirs.get(dataset) if isinstance(data_dirs, dict) else data_dirs
            )
            truth = ground_truth or (truths.get(dataset) if isinstance(truths, dict) else truths)
            configs.append(
                resolve(
                    loss=loss,
                    dataset=dataset,
                    embedder=plan.get("embedder", "dual_branch"),
                    backend=plan.get("backend", "kmeans"),
                    ensemble=ensemble or plan.get("ensemble"),
                    sets=[*plan.get("set", []), *sets],
                    train=train,
                    trials=trials or plan.get("trials", 1),
                    seed=seed if seed is not None else plan.get("seed", 0),
                    data_dir=Path(folder) if folder else None,
                    ground_truth=Path(truth) if truth else None,
                    experiment=plan.get("experiment"),
                    device=plan.get("device", "auto"),
                )
            )
    from asdbench.resources import bounded_workers

    workers = bounded_workers(num_workers, lambda message: click.echo(message, err=True))
    stop_on_sigterm()
    online = tracking_available(tracking_fallback)
    done = finished_cells(configs) if online else set()
    todo = []
    for config in configs:
        key = f"{config.cell_hash()}:{config.trials}:{config.seed}"
        label = f"{config.dataset.name} / {config.loss.name} ({config.trials} trials)"
        if key in done:
            click.echo(f"done     {label}", err=True)
            continue
        click.echo(f"{'to run' if dry_run else 'queued'}  {label}", err=True)
        todo.append(config)
    if dry_run:
        return

    def echo(message: str) -> None:
        click.echo(message, err=True)

    if executor == "ray" and todo:
        from asdbench.ray_executor import run_on_ray

        outcomes = run_on_ray(
            todo,
            address=address,
            cpus_per_trial=cpus_per_trial,
            gpus_per_trial=gpus_per_trial,
            max_retries=max_retries,
            tracking_fallback="local",  # the start was checked above
            progress=not quiet,
            echo=echo,
        )
    else:
        outcomes = [
            run_benchmark(
                config,
                resume=True,
                progress=not quiet,
                echo=echo,
                tracking_fallback="local",  # the start was checked above
                num_workers=workers,
            )
            for config in todo
        ]
    online = online and all(outcome.sync_hint is None for outcome in outcomes)
    if not online:
        click.echo(
            "MLflow was unavailable: upload the kept tracking with `asdbench sync`, then "
            "`asdbench leaderboard` shows the sweep",
            err=True,
        )
    else:
        rows = query(dataset=None)
        wanted = {c.dataset.name for c in configs}
        click.echo(render_leaderboard([r for r in rows if r.dataset in wanted]))
