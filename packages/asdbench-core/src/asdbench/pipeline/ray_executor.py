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
from asdbench.tracking import connection, store
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
    if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_retries < 0:
        raise AsdbenchError(
            "--cpus-per-trial must be positive, --gpus-per-trial and --max-retries not negative"
        )
    ray = _ray()
    configs = [_for_workers(config, gpus_per_trial) for config in configs]
    connect(address, connection.tracking_uri(), echo)
    sweep = _RaySweep(ray, tracking_fallback, progress, echo)
    try:
        sweep.open_cells(configs)
        cached = sweep.submit(cpus_per_trial, gpus_per_trial, max_retries)
        sweep.score_here(cached)
        sweep.collect()
    except BaseException as exc:
        sweep.abort("KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    finally:
        ray.shutdown()
    if sweep.failed:
        raise AsdbenchError(
            f"{len(sweep.failed)} of {len(sweep.cells)} cells failed: "
            + "; ".join(f"{sweep.cells[p].name}: {why}" for p, why in sweep.failed.items())
        )
    return sweep.outcomes


class _RaySweep:
    """The driver's state: the cells (by position), the trials submitted to Ray, the trials
    done per cell, the cells that failed and the outcomes of the cells closed."""

    def __init__(self, ray: Any, tracking_fallback: str, progress: bool, echo: Echo) -> None:
        self.ray = ray
        self.tracking_fallback = tracking_fallback
        self.progress = progress
        self.echo = echo
        self.trackers: dict[str, Tracker] = {}
        self.cells: list[Cell] = []
        self.pending: dict[Any, tuple[int, int]] = {}
        self.done: dict[int, list[Trial]] = {}
        self.failed: dict[int, str] = {}
        self.outcomes: list[Outcome] = []

    def tracker_of(self, cell: Cell) -> Tracker:
        return self.trackers[cell.config.experiment_name]

    def open_cells(self, configs: list[RunConfig]) -> None:
        """Prepare each cell's data here (the audio cache is decoded once, before fan-out)
        and start its parent run (one tracker per experiment)."""
        for config in configs:
            name = config.experiment_name
            if name not in self.trackers:
                self.trackers[name] = Tracker(
                    name,
                    fallback=self.tracking_fallback,
                    offline_dir=output_folder(config) / "mlflow-offline",
                    echo=self.echo,
                )
            cell = open_cell(
                config, self.trackers[name], progress=self.progress, echo=self.echo, resume=True
            )
            self.done[len(self.cells)] = []
            self.cells.append(cell)

    def submit(
        self, cpus_per_trial: float, gpus_per_trial: float, max_retries: int
    ) -> list[tuple[int, int]]:
        """Submit every trial not in the trial cache; returns the cached ones (cell position,
        trial index), which only need scoring."""
        task = self.ray.remote(_trial_task)
        threads = max(1, int(cpus_per_trial))
        cached = []
        for position, cell in enumerate(self.cells):
            for index in range(cell.config.trials):
                if trial_is_cached(cell.config, cell.cache, index):
                    cached.append((position, index))
                    continue
                ref = task.options(
                    num_cpus=cpus_per_trial,
                    num_gpus=gpus_per_trial,
                    max_retries=max_retries,
                    name=f"asdbench trial {cell.name} {index}",
                ).remote(
                    cell.config.portable(),
                    cell.config.experiment_name,
                    cell.run_id,
                    str(cell.output),
                    index,
                    threads,
                )
                self.pending[ref] = (position, index)
        self.echo(
            f"submitted {len(self.pending)} trials of {len(self.cells)} cells"
            + (f"; {len(cached)} trained earlier are scored here" if cached else "")
        )
        return cached

    def score_here(self, cached: list[tuple[int, int]]) -> None:
        """Score the trials trained earlier in the driver, from the trial cache."""
        where = {
            store.EXECUTOR: "ray",
            store.RAY_NODE: self.ray.get_runtime_context().get_node_id(),
        }
        for position, index in cached:
            cell = self.cells[position]
            try:
                trial = run_trial(
                    cell,
                    index,
                    self.tracker_of(cell),
                    resume=True,
                    progress=False,
                    echo=self.echo,
                    where=where,
                )
            except AsdbenchError as exc:
                self.fail(position, index, str(exc).splitlines()[0])
                continue
            self.complete(position, trial)

    def collect(self) -> None:
        """Take each submitted trial as it finishes."""
        while self.pending:
            ready, _ = self.ray.wait(list(self.pending), num_returns=1)
            for ref in ready:
                position, index = self.pending.pop(ref)
                try:
                    trial = self.ray.get(ref)
                except (self.ray.exceptions.RayError, AsdbenchError) as exc:
                    self.fail(position, index, str(exc).splitlines()[0])
                    continue
                self.complete(position, trial)

    def fail(self, position: int, index: int, error: str) -> None:
        """A trial that failed fails its cell (the other cells go on)."""
        cell = self.cells[position]
        self.echo(f"{cell.name} trial {index} failed: {error}")
        if position not in self.failed:
            self.failed[position] = error
            self.tracker_of(cell).end(cell.run_id, "FAILED")

    def complete(self, position: int, trial: Trial) -> None:
        """A trial done; the last one of its cell closes the cell."""
        cell = self.cells[position]
        if position in self.failed:
            return
        self.done[position].append(trial)
        if len(self.done[position]) == cell.config.trials:
            tracker = self.tracker_of(cell)
            self.outcomes.append(close_cell(cell, self.done[position], tracker, self.echo))

    def abort(self, status: str) -> None:
        """Cancel the tasks still running (a finished task is not cancelled: its reply would
        race the cancel) and end every open cell and its trials with ``status``."""
        if self.pending:
            _, running = self.ray.wait(list(self.pending), num_returns=len(self.pending), timeout=0)
            for ref in running:
                self.ray.cancel(ref, force=True)
        finished = {outcome.run_id for outcome in self.outcomes}
        for position, cell in enumerate(self.cells):
            if cell.run_id not in finished and position not in self.failed:
                self.tracker_of(cell).end_unfinished_children(cell.run_id, status)
                self.tracker_of(cell).end(cell.run_id, status)
