"""``asdbench sweep``: the paper's grid (losses x datasets x trials) from one command."""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from asdbench.cli.options import NUM_WORKERS, PRECISION, TRACKING_FALLBACK
from asdbench.cli.signals import stop_on_sigterm
from asdbench.errors import OptionError
from asdbench.pipeline.config import DEFAULT_COMPONENTS, RunConfig
from asdbench.pipeline.resolve import resolve
from asdbench.pipeline.resources import DEVICES, check_device

SWEEP_KEYS = {
    "preset",
    "losses",
    "datasets",
    "backends",
    "embedders",
    "backend",
    "embedder",
    "trials",
    "seed",
    "ensemble",
    "epochs",
    "batch_size",
    "precision",
    "set",
    "data_dir",
    "ground_truth",
    "experiment",
    "device",
}


#: The most cells one sweep may have (each resolves in about 0.2 s, and trains for minutes).
MAX_CELLS = 1000


def read_sweep_file(path: Path) -> dict[str, Any]:
    """A TOML file with a ``[sweep]`` table; ``data_dir`` and ``ground_truth`` may be tables
    keyed by dataset name; ``set`` a list of ``KIND.OPTION=VALUE[,VALUE...]`` strings or a
    table of ``"KIND.OPTION" = value or [values]``."""
    try:
        table = tomllib.loads(path.read_text()).get("sweep")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise OptionError(f"{path}: {exc}") from exc
    if not isinstance(table, dict):
        raise OptionError(f"{path}: expected a [sweep] table")
    unknown = set(table) - SWEEP_KEYS
    if unknown:
        raise OptionError(
            f"{path}: unknown key {sorted(unknown)[0]!r}; keys: {', '.join(sorted(SWEEP_KEYS))}"
        )
    for key, value in table.items():
        wanted = _SWEEP_TYPES[key]
        if not wanted[1](value):
            raise OptionError(f"{path}: {key} must be {wanted[0]}, got {value!r}")
    return table


def _names_list(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and bool(value) and all(isinstance(v, str) for v in value)
    )


def _count(least: int) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, int) and not isinstance(value, bool) and value >= least


def _text_or_table(value: Any) -> bool:
    return isinstance(value, str) or (
        isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    )


def _set_values(value: Any) -> bool:
    plain = (str, int, float, bool)
    if isinstance(value, list):
        return all(isinstance(v, str) for v in value)
    return isinstance(value, dict) and all(
        isinstance(v, plain) or (isinstance(v, list) and v and all(isinstance(x, plain) for x in v))
        for v in value.values()
    )


#: What each sweep-file key takes: (how an error says it, the check).
_SWEEP_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    **{
        key: ("a name or a non-empty list of names", _names_list)
        for key in ("losses", "datasets", "backends", "embedders")
    },
    **{
        key: ("a name", lambda v: isinstance(v, str))
        for key in ("preset", "backend", "embedder", "ensemble", "precision", "experiment")
    },
    "trials": ("a whole number >= 1", _count(1)),
    "epochs": ("a whole number >= 1", _count(1)),
    "batch_size": ("a whole number >= 1", _count(1)),
    "seed": ("a whole number >= 0", _count(0)),
    "device": (f"one of {', '.join(DEVICES)}", lambda v: v in DEVICES),
    "set": ('a list of "KIND.OPTION=VALUE" strings or a table of values', _set_values),
    "data_dir": ("a folder or a table of folders by dataset", _text_or_table),
    "ground_truth": ("a folder or a table of folders by dataset", _text_or_table),
}


def grid_values(pairs: list[str], where: str) -> dict[str, list[str]]:
    """``["loss.subspace_dim=1,2,4"]`` -> ``{"loss.subspace_dim": ["1", "2", "4"]}``; a later
    pair for the same key replaces an earlier one (flags after the sweep file)."""
    grid: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        values = [v.strip() for v in text.split(",")]
        if not sep or not key.strip() or not all(values):
            raise OptionError(
                f"{where} {pair!r}: expected KIND.OPTION=VALUE or KIND.OPTION=V1,V2,..."
            )
        grid[key.strip()] = list(dict.fromkeys(values))
    return grid


def plan_sets(plan: dict[str, Any]) -> list[str]:
    """The sweep file's ``set`` as ``KIND.OPTION=V1,V2`` strings (a list or a table)."""
    sets = plan.get("set", [])
    if isinstance(sets, dict):
        return [
            f"{key}={','.join(map(str, v)) if isinstance(v, list) else v}"
            for key, v in sets.items()
        ]
    if not isinstance(sets, list) or not all(isinstance(v, str) for v in sets):
        raise OptionError("sweep file: 'set' must be a list of strings or a table")
    return sets


def _names(flags: tuple[str, ...], plan: dict[str, Any], plural: str) -> list[str | None]:
    """The names of one kind to cross; ``[None]`` when none is given (the preset's, or the
    default)."""
    if flags:
        return list(dict.fromkeys(flags))
    value = plan.get(plural, plan.get(plural[:-1]))
    return list(dict.fromkeys([value] if isinstance(value, str | None) else value))


def build_configs(
    plan: dict[str, Any], flags: dict[str, Any], sets: tuple[str, ...]
) -> list[RunConfig]:
    """Every cell of the grid: losses x embedders x backends x datasets x every list of
    ``--set`` values, each resolved and checked before any work starts."""
    grid = {**grid_values(plan_sets(plan), "set"), **grid_values(list(sets), "--set")}
    keys = list(grid)
    kinds = {
        kind: _names(flags[plural], plan, plural)
        for kind, plural in (
            ("dataset", "datasets"),
            ("loss", "losses"),
            ("embedder", "embedders"),
            ("backend", "backends"),
        )
    }
    data_dirs, truths = plan.get("data_dir", {}), plan.get("ground_truth", {})
    train = {
        name: flags[name] if flags[name] is not None else plan.get(name)
        for name in ("epochs", "batch_size", "precision")
    }
    planned = math.prod(len(names) for names in kinds.values()) * math.prod(
        len(values) for values in grid.values()
    )
    if planned > MAX_CELLS:
        raise OptionError(
            f"the grid has {planned} cells, more than {MAX_CELLS}: split it into several sweeps"
        )
    configs = []
    for dataset, loss, embedder, backend, values in itertools.product(
        *kinds.values(), itertools.product(*grid.values())
    ):
        dataset = dataset or DEFAULT_COMPONENTS["dataset"]
        folder = flags["data_dir"] or (
            data_dirs.get(dataset) if isinstance(data_dirs, dict) else data_dirs
        )
        truth = flags["ground_truth"] or (
            truths.get(dataset) if isinstance(truths, dict) else truths
        )
        configs.append(
            resolve(
                loss=loss,
                dataset=dataset,
                embedder=embedder,
                backend=backend,
                ensemble=flags["ensemble"] or plan.get("ensemble"),
                preset=flags["preset"] or plan.get("preset"),
                sets=[f"{k}={v}" for k, v in zip(keys, values, strict=True)],
                train={k: v for k, v in train.items() if v is not None},
                trials=flags["trials"] or plan.get("trials"),
                seed=flags["seed"] if flags["seed"] is not None else plan.get("seed", 0),
                data_dir=Path(folder).expanduser() if folder else None,
                ground_truth=Path(truth).expanduser() if truth else None,
                experiment=plan.get("experiment"),
                device=plan.get("device", "auto"),
            )
        )
    # Values that mean the same (4, 04 and +4; true and yes) make one cell, run once.
    unique = {(c.cell_hash(), c.trials, c.seed): c for c in reversed(configs)}
    return [c for c in configs if unique[(c.cell_hash(), c.trials, c.seed)] is c]


def cell_labels(configs: list[RunConfig]) -> list[str]:
    """``synthetic / adaproj/dual_branch/kmeans loss.subspace_dim=16 (10 trials)``: each cell
    named by its components and the settings that vary across the sweep."""
    from asdbench.pipeline.outputs import cell_name

    params = [c.params() for c in configs]
    varying = [
        key
        for key in dict.fromkeys(k for p in params for k in p)
        if not key.endswith(".name") and len({p.get(key) for p in params}) > 1
    ]
    return [
        " ".join(
            [
                f"{c.dataset.name} / {cell_name(c)}",
                *(f"{k}={p[k]}" for k in varying if k in p and k != "data_dir"),
                f"({c.trials} trials)",
            ]
        )
        for c, p in zip(configs, params, strict=True)
    ]


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
    done = finished_cells(configs) if online else set()
    todo = []
    for config, name in zip(configs, cell_labels(configs), strict=True):
        if f"{config.cell_hash()}:{config.trials}:{config.seed}" in done:
            click.echo(f"done     {name}", err=True)
            continue
        click.echo(f"{'to run' if dry_run else 'queued'}  {name}", err=True)
        todo.append(config)
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
    from asdbench.reporting.leaderboard.board import query
    from asdbench.reporting.leaderboard.render import render_leaderboard
    from asdbench.tracking import connection

    stds = {c.std for c in configs}
    board = query(
        connection.tracking_uri(),
        sorted({c.experiment_name for c in configs}),
        std=stds.pop() if len(stds) == 1 else "sample",
    )
    click.echo(render_leaderboard(board))


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
