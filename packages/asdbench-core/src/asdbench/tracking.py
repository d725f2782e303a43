"""MLflow tracking: one experiment per dataset, one parent run per benchmark cell, one nested
run per trial.

``MLFLOW_TRACKING_URI`` is honoured; otherwise MLflow's own default (a sqlite database,
``mlflow.db`` in the working directory). Tags are set on every run because children do not
inherit them. Models are logged as ``state_dict`` files, never pickled modules.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asdbench.config import RunConfig
from asdbench.errors import AsdbenchError
from asdbench.plugins import CORE_DISTRIBUTION, core_version, get_plugins

#: Tag keys (every run carries all of them).
TAG_PREFIX = "asdbench."


def experiment_name(config: RunConfig) -> str:
    return config.experiment or f"asdbench-{config.dataset.name}"


def cell_tags(config: RunConfig, run_type: str) -> dict[str, str]:
    """The ``asdbench.*`` tags: components, run type, cell hash and installed versions."""
    tags = {f"{TAG_PREFIX}{kind}": choice.name for kind, choice in config.choices().items()}
    tags[f"{TAG_PREFIX}run_type"] = run_type
    tags[f"{TAG_PREFIX}cell"] = config.cell_hash()
    tags[f"{TAG_PREFIX}trials"] = str(config.trials)
    tags[f"{TAG_PREFIX}seed"] = str(config.seed)
    versions = {CORE_DISTRIBUTION: core_version()}
    for info in get_plugins().info():
        if info.distribution and info.version:
            versions[info.distribution] = info.version
    tags.update({f"{TAG_PREFIX}pkg.{dist}": version for dist, version in versions.items()})
    return tags


def flat_params(config: RunConfig) -> dict[str, str]:
    """The resolved configuration as ``section.option`` params."""
    params: dict[str, str] = {}
    for section, value in config.as_dict().items():
        if isinstance(value, dict):
            if "options" in value:
                params[f"{section}.name"] = str(value["name"])
                params.update({f"{section}.{k}": str(v) for k, v in value["options"].items()})
            else:
                params.update({f"{section}.{k}": str(v) for k, v in value.items()})
        else:
            params[section] = str(value)
    return params


def check_reachable(uri: str, timeout_seconds: float = 5.0) -> None:
    """Fail in seconds, before any training, when a tracking server does not answer (MLflow's
    own client would retry for minutes)."""
    if not uri.startswith(("http://", "https://")):
        return
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{uri.rstrip('/')}/health", timeout=timeout_seconds):
            return
    except urllib.error.HTTPError:
        return  # it answers (a proxy may not expose /health)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise AsdbenchError(
            f"the MLflow tracking server {uri} does not answer ({reason}); start it, or unset "
            "MLFLOW_TRACKING_URI to log to ./mlflow.db"
        ) from exc


class Tracker:
    """Thin wrapper over MLflow's fluent API for one benchmark cell."""

    def __init__(self, experiment: str) -> None:
        try:
            import mlflow
        except ImportError as exc:  # pragma: no cover - mlflow-skinny is a core dependency
            raise AsdbenchError("MLflow is not installed: pip install mlflow-skinny") from exc
        self.mlflow = mlflow
        check_reachable(mlflow.get_tracking_uri())
        try:
            mlflow.set_experiment(experiment)
        except Exception as exc:
            uri = mlflow.get_tracking_uri()
            raise AsdbenchError(f"cannot use the MLflow tracking store {uri}: {exc}") from exc

    @property
    def uri(self) -> str:
        return self.mlflow.get_tracking_uri()

    @contextmanager
    def run(
        self, name: str, tags: Mapping[str, str], params: Mapping[str, str], *, nested: bool = False
    ) -> Iterator[str]:
        """A run (nested under the active one when ``nested``); yields its id. A run left by an
        exception is marked FAILED, by an interruption KILLED."""
        run = self.mlflow.start_run(run_name=name, tags=dict(tags), nested=nested)
        try:
            self.mlflow.log_params(dict(params))
            yield run.info.run_id
        except KeyboardInterrupt:
            self._end("KILLED")
            raise
        except BaseException:
            self._end("FAILED")
            raise
        else:
            self._end("FINISHED")

    def _end(self, status: str) -> None:
        # MLflow prints "View run ... at <url>" to stdout for a server; stdout is for results
        # (``--format json``), so the link goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            self.mlflow.end_run(status)

    def metrics(self, values: Mapping[str, float], step: int | None = None) -> None:
        clean = {k: float(v) for k, v in values.items() if v == v}  # drop NaN
        if clean:
            self.mlflow.log_metrics(clean, step=step)

    def step_metrics(self, steps: list[tuple[int, dict[str, float]]]) -> None:
        """Per-step training curves, sent in one batch."""
        from mlflow.entities import Metric
        from mlflow.tracking import MlflowClient

        if not steps:
            return
        run_id = self.mlflow.active_run().info.run_id
        now = int(time.time() * 1000)
        entries = [
            Metric(key, float(value), now, step)
            for step, values in steps
            for key, value in values.items()
            if value == value
        ]
        client = MlflowClient()
        for start in range(0, len(entries), 1000):
            client.log_batch(run_id, metrics=entries[start : start + 1000])

    def artifacts(self, folder: Path, artifact_path: str | None = None) -> None:
        if folder.exists():
            self.mlflow.log_artifacts(str(folder), artifact_path)

    def artifact(self, path: Path, artifact_path: str | None = None) -> None:
        self.mlflow.log_artifact(str(path), artifact_path)

    def json(self, payload: Any, path: str) -> None:
        self.mlflow.log_dict(payload, path)
