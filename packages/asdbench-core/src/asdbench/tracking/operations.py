"""The MLflow writes asdbench makes, each in one function: the tracker calls them while the
server answers, and ``asdbench sync`` replays a journal through the same functions, so a run
tracked offline ends on the server exactly as one tracked online."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from asdbench.errors import AsdbenchError
from asdbench.tracking import store

#: A metric value as the journal keeps it: key, value, time (ms), step.
MetricEntry = tuple[str, float, int, int]


def find_experiment(client: Any, name: str) -> str:
    """The id of MLflow experiment ``name``, created when missing (a deleted one is an error:
    MLflow would refuse to log into it)."""
    found = client.get_experiment_by_name(name)
    if found is None:
        return client.create_experiment(name, tags={store.EXPERIMENT_KIND: store.MODEL_TRAINING})
    if found.lifecycle_stage == "deleted":
        raise AsdbenchError(
            f"the MLflow experiment {name!r} is deleted; restore it "
            "(mlflow experiments restore) or choose another with --experiment"
        )
    return found.experiment_id


def send_batches(
    client: Any, run_id: str, *, params: Sequence = (), metrics: Sequence = (), tags: Sequence = ()
) -> None:
    """``log_batch`` within MLflow's per-call limits (100 params, 1000 metrics)."""
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100])
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[start : start + 1000])
    if tags:
        client.log_batch(run_id, tags=tags)


def start_run(
    client: Any,
    experiment_id: str,
    *,
    name: str,
    tags: Mapping[str, str],
    params: Mapping[str, str],
    parent: str | None,
    started: int,
    existing: str | None = None,
) -> str:
    """Start run ``name`` (nested under ``parent``) with its tags and params, or continue run
    ``existing`` (RUNNING again, tags updated, params logged again: MLflow accepts a param
    logged twice with the same value); returns its id."""
    from mlflow.entities import Param, RunTag

    if existing is None:
        server_tags = {**tags, store.PARENT: parent} if parent else dict(tags)
        run = client.create_run(experiment_id, start_time=started, tags=server_tags, run_name=name)
        run_id = run.info.run_id
    else:
        run_id = existing
        client.update_run(run_id, "RUNNING")
        send_batches(client, run_id, tags=[RunTag(k, v) for k, v in tags.items()])
    send_batches(client, run_id, params=[Param(k, str(v)) for k, v in params.items()])
    return run_id


def log_metrics(client: Any, run_id: str, entries: Sequence[MetricEntry]) -> None:
    from mlflow.entities import Metric

    send_batches(client, run_id, metrics=[Metric(k, float(v), t, s) for k, v, t, s in entries])


def log_path(client: Any, run_id: str, path: Path, artifact_path: str | None) -> None:
    """A file, or every file under a folder, as artifacts of the run."""
    if path.is_dir():
        client.log_artifacts(run_id, str(path), artifact_path)
    else:
        client.log_artifact(run_id, str(path), artifact_path)


def end_run(client: Any, run_id: str, status: str, ended: int) -> None:
    # MLflow prints "View run ... at <url>" to stdout; stdout is for results (``--format
    # json``), so the link goes to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        client.set_terminated(run_id, status, ended)
