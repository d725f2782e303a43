"""``asdbench sweep --executor ray``: every trial of every cell as one Ray task.

The driver (the ``asdbench sweep`` process) prepares each cell's data, so the audio cache is
decoded once, before fan-out, into ``$ASDBENCH_CACHE_DIR``, which must be a folder every node
sees (a shared file system). It starts the cells' parent runs, submits the trials with their
resource requests and, as trials complete, finishes each cell whose trials are all done
(aggregate, ensemble, submission, leaderboard). A trial whose worker dies is retried by Ray; its
nested MLflow run is continued, not duplicated. A trial already in the trial cache (an earlier,
interrupted sweep trained it) is not resubmitted: the driver scores it. Ray is an optional
dependency (``pip install 'asdbench[ray]'``); this module imports it only when used.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

from asdbench.errors import AsdbenchError
from asdbench.paths import cache_dir
from asdbench.pipeline.cells import Cell, Outcome, close_cell, open_cell, run_trial
from asdbench.pipeline.config import RunConfig
from asdbench.pipeline.outputs import Echo, output_folder
from asdbench.pipeline.trials import Trial, trial_is_cached
from asdbench.tracking import store
from asdbench.tracking.tracker import Tracker


def _ray() -> Any:
    try:
        import ray
    except ImportError as exc:
        raise AsdbenchError(
            "--executor ray needs Ray: pip install 'asdbench[ray]' (or pip install ray)"
        ) from exc
    return ray


def connect(address: str | None, tracking_uri: str, echo: Echo) -> None:
    """Join the Ray cluster at ``address`` (None: ``RAY_ADDRESS`` or a new local one) with
    this process's tracking URI and cache folder passed to every worker. More than one node
    needs an MLflow server every node can reach."""
    ray = _ray()
    env = {
        "MLFLOW_TRACKING_URI": tracking_uri,
        "ASDBENCH_CACHE_DIR": str(cache_dir().resolve()),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("ASDBENCH_") and k not in env})
    handlers = {  # ray.init installs its own (a plain exit)
        number: signal.getsignal(number) or signal.SIG_DFL
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    ray.init(
        address=address,
        runtime_env={"env_vars": env},
        include_dashboard=False,
        log_to_driver=True,
        logging_level="WARNING",
    )
    for number, handler in handlers.items():  # a scheduler's SIGTERM still ends runs KILLED
        signal.signal(number, handler)
    nodes = [node for node in ray.nodes() if node.get("Alive")]
    if len(nodes) > 1 and not tracking_uri.startswith(("http://", "https://")):
        ray.shutdown()
        raise AsdbenchError(
            f"the Ray cluster has {len(nodes)} nodes but MLflow logs to {tracking_uri}: a local "
            "store is a file on one machine, so the other nodes' trials would be lost or "
            "clash; start `mlflow server` where every node can reach it and set "
            "MLFLOW_TRACKING_URI=http://HOST:PORT"
        )
    resources = ray.cluster_resources()
    echo(
        f"Ray: {len(nodes)} nodes, {resources.get('CPU', 0):g} CPUs, "
        f"{resources.get('GPU', 0):g} GPUs"
    )


def _trial_task(
    spec: dict[str, Any],
    experiment: str,
    parent_id: str,
    output: str,
    index: int,
    threads: int,
) -> Trial:
    """Runs on a Ray worker: rebuild the cell from the shared data and run one trial (resuming
    its checkpoint when an earlier attempt left one)."""
    import ray

    from asdbench.pipeline.config import from_portable
    from asdbench.pipeline.prepare import prepare
    from asdbench.pipeline.resources import use_threads

    def echo(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    config = from_portable(spec)
    use_threads(threads)
    tracker = Tracker(
        experiment, fallback="local", offline_dir=Path(output) / "mlflow-offline", echo=echo
    )
    dataset, table, cache = prepare(config, echo, False, build=False)
    cell = Cell(config, dataset, table, cache, Path(output), parent_id)
    context = ray.get_runtime_context()
    where = {store.RAY_NODE: context.get_node_id(), store.EXECUTOR: "ray"}
    return run_trial(cell, index, tracker, resume=True, progress=False, echo=echo, where=where)


def _for_workers(config: RunConfig, gpus_per_trial: float) -> RunConfig:
    """The config as every worker must see it: absolute paths (workers do not share the
    driver's folder) and the device the trial's resources give it (``auto``: CUDA only with
    ``--gpus-per-trial``, so a task never takes a GPU Ray did not reserve for it)."""

    def absolute(path: Path | None) -> Path | None:
        return Path(path).resolve() if path is not None else None

    device = config.device
    if device == "auto":
        device = "cuda" if gpus_per_trial > 0 else "cpu"
    elif device.startswith("cuda") and gpus_per_trial <= 0:
        raise AsdbenchError("--device cuda with --executor ray needs --gpus-per-trial (e.g. 1)")
    return dataclasses.replace(
        config,
        data_dir=absolute(config.data_dir),
        ground_truth=absolute(config.ground_truth),
        output=output_folder(config).resolve(),
        device=device,
    )


def run_on_ray(
    configs: list[RunConfig],
    *,
    address: str | None,
    cpus_per_trial: float,
    gpus_per_trial: float,
    max_retries: int,
    tracking_fallback: str,
    progress: bool,
    echo: Echo,
) -> list[Outcome]:
    """Run every trial of every cell of ``configs`` as Ray tasks; returns the finished cells.
    A cell whose trial fails is marked FAILED and the others go on; the failures are raised
    together at the end."""
    import mlflow

    ray = _ray()
    if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_retries < 0:
        raise AsdbenchError(
            "--cpus-per-trial must be positive, --gpus-per-trial and --max-retries not negative"
        )
    configs = [_for_workers(config, gpus_per_trial) for config in configs]
    trackers: dict[str, Tracker] = {}
    cells: list[Cell] = []
    connect(address, mlflow.get_tracking_uri(), echo)
    task = ray.remote(_trial_task)
    pending: dict[Any, tuple[int, int]] = {}
    cached: list[tuple[int, int]] = []
    done: dict[int, list[Trial]] = {}
    failed: dict[int, str] = {}
    outcomes: list[Outcome] = []

    def tracker_of(cell: Cell) -> Tracker:
        return trackers[store.experiment_name(cell.config)]

    def fail(position: int, index: int, error: str) -> None:
        """A trial that failed fails its cell (the other cells go on)."""
        cell = cells[position]
        echo(f"{cell.name} trial {index} failed: {error}")
        if position not in failed:
            failed[position] = error
            tracker_of(cell).end(cell.run_id, "FAILED")

    def complete(position: int, trial: Trial) -> None:
        """A trial done; the last one of its cell closes the cell."""
        cell = cells[position]
        if position in failed:
            return
        done[position].append(trial)
        if len(done[position]) == cell.config.trials:
            outcomes.append(close_cell(cell, done[position], tracker_of(cell), echo))

    try:
        for config in configs:
            name = store.experiment_name(config)
            if name not in trackers:
                trackers[name] = Tracker(
                    name,
                    fallback=tracking_fallback,
                    offline_dir=output_folder(config) / "mlflow-offline",
                    echo=echo,
                )
            cells.append(
                open_cell(config, trackers[name], progress=progress, echo=echo, resume=True)
            )
        threads = max(1, int(cpus_per_trial))
        for position, cell in enumerate(cells):
            done[position] = []
            for index in range(cell.config.trials):
                if trial_is_cached(cell.config, cell.cache, index):
                    cached.append((position, index))  # trained before: only scoring is left
                    continue
                ref = task.options(
                    num_cpus=cpus_per_trial,
                    num_gpus=gpus_per_trial,
                    max_retries=max_retries,
                    name=f"asdbench trial {cell.name} {index}",
                ).remote(
                    cell.config.portable(),
                    store.experiment_name(cell.config),
                    cell.run_id,
                    str(cell.output),
                    index,
                    threads,
                )
                pending[ref] = (position, index)
        echo(
            f"submitted {len(pending)} trials of {len(cells)} cells"
            + (f"; {len(cached)} trained earlier are scored here" if cached else "")
        )
        where = {
            store.EXECUTOR: "ray",
            store.RAY_NODE: ray.get_runtime_context().get_node_id(),
        }
        for position, index in cached:
            cell = cells[position]
            try:
                trial = run_trial(
                    cell,
                    index,
                    tracker_of(cell),
                    resume=True,
                    progress=False,
                    echo=echo,
                    where=where,
                )
            except AsdbenchError as exc:
                fail(position, index, str(exc).splitlines()[0])
                continue
            complete(position, trial)
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                position, index = pending.pop(ref)
                try:
                    trial = ray.get(ref)
                except (ray.exceptions.RayError, AsdbenchError) as exc:
                    fail(position, index, str(exc).splitlines()[0])
                    continue
                complete(position, trial)
    except BaseException as exc:
        if pending:  # a finished task is not cancelled: its reply would race the cancel
            _, running = ray.wait(list(pending), num_returns=len(pending), timeout=0)
            for ref in running:
                ray.cancel(ref, force=True)
        status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
        finished = {outcome.run_id for outcome in outcomes}
        for position, cell in enumerate(cells):
            if cell.run_id not in finished and position not in failed:
                tracker_of(cell).end_unfinished_children(cell.run_id, status)
                tracker_of(cell).end(cell.run_id, status)
        raise
    finally:
        ray.shutdown()
    if failed:
        raise AsdbenchError(
            f"{len(failed)} of {len(cells)} cells failed: "
            + "; ".join(f"{cells[p].name}: {why}" for p, why in failed.items())
        )
    return outcomes
