"""MLflow tracking: one experiment per dataset, one parent run per benchmark cell, one nested
run per trial.

``MLFLOW_TRACKING_URI`` is honoured; otherwise MLflow's own default (a sqlite database,
``mlflow.db`` in the working directory). Tags are set on every run because children do not
inherit them. Models are logged as ``state_dict`` files, never pickled modules. A server that
goes away during a run does not stop it: see :mod:`asdbench.tracking.journal`.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asdbench.errors import AsdbenchError
from asdbench.pipeline.config import RunConfig
from asdbench.plugins.manager import CORE_DISTRIBUTION, core_version, get_plugins
from asdbench.tracking import store
from asdbench.tracking.journal import Journal, now_ms, offline_key

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
            f"the MLflow tracking server {uri} does not answer ({reason}); start it, pass "
            "--tracking-fallback local to log locally and upload later with `asdbench sync`, "
            "or unset MLFLOW_TRACKING_URI to log to ./mlflow.db"
        ) from exc


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` of this host exists (a pid of 0 or less: unknown, not alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def answers(uri: str) -> bool:
    try:
        check_reachable(uri)
    except AsdbenchError:
        return False
    return True


def limit_http_retries() -> None:
    """Shorten MLflow's retries (7, doubling from 2 s: minutes per call) so that a server that
    went away is noticed in seconds; a user's own settings win."""
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")


def experiment_id(client: Any, name: str) -> str:
    """The id of MLflow experiment ``name``, created when missing (a deleted one is an error:
    MLflow would refuse to log into it)."""
    from asdbench.tracking import store

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
    client: Any, run_id: str, *, params: list = (), metrics: list = (), tags: list = ()
) -> None:
    """``log_batch`` within MLflow's per-call limits (100 params, 1000 metrics)."""
    for start in range(0, len(params), 100):
        client.log_batch(run_id, params=params[start : start + 100])
    for start in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[start : start + 1000])
    if tags:
        client.log_batch(run_id, tags=tags)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class Tracker:
    """MLflow runs of one benchmark cell, through the client API with explicit run ids.

    When an HTTP tracking server stops answering, the tracker says so once and from then on
    appends every call to a local journal (:mod:`asdbench.tracking.journal`) in
    ``offline_dir``, which ``asdbench sync`` uploads later; the run itself goes on. With
    ``fallback="local"`` a server that does not answer at the start is treated the same way
    instead of being an error.
    """

    def __init__(
        self,
        experiment: str,
        *,
        fallback: str = "error",
        offline_dir: Path | None = None,
        echo: Callable[[str], None] = _stderr,
    ) -> None:
        try:
            import mlflow
            from mlflow.tracking import MlflowClient
        except ImportError as exc:  # pragma: no cover - mlflow-skinny is a core dependency
            raise AsdbenchError("MLflow is not installed: pip install mlflow-skinny") from exc
        limit_http_retries()
        self.uri = mlflow.get_tracking_uri()
        self.experiment = experiment
        self.offline_dir = offline_dir or Path("asdbench-output") / "mlflow-offline"
        self.journal: Journal | None = None
        self._echo = echo
        self._cells: set[str] = set()
        store.check_writable(self.uri)
        self.experiment_id = ""
        try:
            check_reachable(self.uri)
        except AsdbenchError as exc:
            if fallback != "local":
                raise
            self._client = MlflowClient(self.uri)
            self._go_offline(str(exc))
            return
        try:
            with store.first_use(self.uri):  # a new sqlite store is created by one process
                self._client = MlflowClient(self.uri)
                self.experiment_id = experiment_id(self._client, experiment)
        except AsdbenchError:
            raise
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AsdbenchError(
                f"cannot use the MLflow tracking store {self.uri}: {reason}"
            ) from exc

    def _go_offline(self, reason: str) -> None:
        folder = self.offline_dir / time.strftime("%Y%m%d-%H%M%S")
        self.journal = Journal(folder, self.experiment, self.uri)
        self._echo(
            f"warning: MLflow tracking at {self.uri} is unavailable ({reason.splitlines()[0]}); "
            f"the run continues and its tracking is kept in {folder}; upload it later with: "
            f"asdbench sync {folder}"
        )

    def _call(self, action: Callable[[], Any], entry: Callable[[], dict[str, Any]]) -> Any:
        """``action`` against the server; once the server is gone, ``entry()`` into the journal
        instead (an entry is built only then: it may copy files)."""
        if self.journal is None:
            try:
                return action()
            except Exception as exc:
                if answers(self.uri):
                    raise
                self._go_offline(str(exc))
        assert self.journal is not None
        self.journal.write(entry())
        return None

    def sync_hint(self) -> str | None:
        """What to run to upload what was kept locally (None when nothing was)."""
        return f"asdbench sync {self.journal.folder}" if self.journal else None

    @contextmanager
    def run(
        self, name: str, tags: Mapping[str, str], params: Mapping[str, str], *, parent: str = ""
    ) -> Iterator[str]:
        """A run (nested under run ``parent`` when given); yields its id and ends it FINISHED,
        or FAILED / KILLED when left by an exception / an interruption. A nested run of the same
        name under the same parent that never finished (its worker died) is continued instead
        of duplicated."""
        run_id = self.start(name, tags, params, parent=parent)
        with self.ending(run_id):
            yield run_id
        self.end(run_id, "FINISHED")

    def start(
        self, name: str, tags: Mapping[str, str], params: Mapping[str, str], *, parent: str = ""
    ) -> str:
        """Start a run (see :meth:`run`); the caller ends it with :meth:`end`."""
        run_id = self._start(name, dict(tags), {k: str(v) for k, v in params.items()}, parent)
        if tags.get(f"{TAG_PREFIX}run_type") == "cell":
            self._cells.add(run_id)
        return run_id

    @contextmanager
    def ending(self, run_id: str) -> Iterator[None]:
        """End run ``run_id`` KILLED on an interruption, FAILED on an error, and re-raise."""
        try:
            yield
        except KeyboardInterrupt:
            self.end(run_id, "KILLED")
            raise
        except BaseException:
            self.end(run_id, "FAILED")
            raise

    def end_unfinished_children(self, parent: str, status: str) -> None:
        """End every RUNNING run under ``parent`` with ``status`` (their workers were stopped
        with the driver), when online."""
        if self.journal is not None:
            return
        for run in self._client.search_runs(
            [self.experiment_id],
            f"tags.mlflow.parentRunId = '{parent}' and attributes.status = 'RUNNING'",
        ):
            self.end(run.info.run_id, status)

    def child_named(self, parent: str, name: str) -> str | None:
        """The run named ``name`` under ``parent``, when online: a continued parent (its worker
        died, or its process was killed) continues its trials' runs instead of duplicating
        them."""
        if self.journal is not None or not parent:
            return None
        runs = self._client.search_runs(
            [self.experiment_id],
            f"tags.mlflow.parentRunId = '{parent}' and attributes.run_name = '{name}'",
        )
        return runs[0].info.run_id if runs else None

    def abandoned_cells(self, tags: Mapping[str, str]) -> list[str]:
        """The cell runs of the cell ``tags`` describe (configuration, trials, seed) left
        RUNNING by a process of this host that is gone (killed with SIGKILL, crashed), newest
        first, when online. Runs of other hosts may be alive and are left alone."""
        if self.journal is not None:
            return []
        keys = (f"{TAG_PREFIX}{key}" for key in ("cell", "trials", "seed"))
        query = " and ".join(f"tags.`{key}` = '{tags[key]}'" for key in keys)
        runs = self._client.search_runs(
            [self.experiment_id],
            f"{query} and tags.`{TAG_PREFIX}run_type` = 'cell' and attributes.status = 'RUNNING'",
            order_by=["attributes.start_time DESC"],
        )
        host = socket.gethostname()
        return [
            run.info.run_id
            for run in runs
            if run.data.tags.get(f"{TAG_PREFIX}host") == host
            and not process_alive(int(run.data.tags.get(f"{TAG_PREFIX}pid", "0")))
        ]

    def continue_run(self, run_id: str, tags: Mapping[str, str]) -> str:
        """Continue run ``run_id`` (RUNNING again, with ``tags`` updated)."""
        from mlflow.entities import RunTag

        self._client.update_run(run_id, "RUNNING")
        send_batches(self._client, run_id, tags=[RunTag(k, v) for k, v in tags.items()])
        if tags.get(f"{TAG_PREFIX}run_type") == "cell":
            self._cells.add(run_id)
        return run_id

    def _start(self, name: str, tags: dict[str, str], params: dict[str, str], parent: str) -> str:
        from mlflow.entities import Param, RunTag

        started = now_ms()
        server_tags = {**tags, "mlflow.parentRunId": parent} if parent else tags

        def create_or_continue() -> str:
            previous = self.child_named(parent, name)
            if previous is not None:
                self._client.update_run(previous, "RUNNING")
                tags_now = [RunTag(k, v) for k, v in tags.items()]
                send_batches(self._client, previous, tags=tags_now)
                return previous
            run = self._client.create_run(
                self.experiment_id, start_time=started, tags=server_tags, run_name=name
            )
            params_now = [Param(k, v) for k, v in params.items()]
            send_batches(self._client, run.info.run_id, params=params_now)
            return run.info.run_id

        key = offline_key()
        entry = {
            "op": "start",
            "run": key,
            "parent": parent or None,
            "name": name,
            "tags": tags,
            "params": params,
            "time": started,
        }
        return self._call(create_or_continue, lambda: entry) or key

    def end(self, run_id: str, status: str) -> None:
        ended = now_ms()
        entry = {"op": "end", "run": run_id, "status": status, "time": ended}
        if run_id in self._cells:
            entry["cell"] = True

        def terminate() -> None:
            # MLflow prints "View run ... at <url>" to stdout; stdout is for results
            # (``--format json``), so the link goes to stderr.
            with contextlib.redirect_stdout(sys.stderr):
                self._client.set_terminated(run_id, status, ended)

        self._call(terminate, lambda: entry)

    def metrics(self, run_id: str, values: Mapping[str, float], step: int = 0) -> None:
        self.step_metrics(run_id, [(step, dict(values))])

    def step_metrics(self, run_id: str, steps: list[tuple[int, dict[str, float]]]) -> None:
        """Metrics at several steps, sent in batches (NaN dropped)."""
        from mlflow.entities import Metric

        logged = now_ms()
        entries = [
            (key, float(value), logged, int(step))
            for step, values in steps
            for key, value in values.items()
            if value == value
        ]
        if not entries:
            return

        def send() -> None:
            send_batches(self._client, run_id, metrics=[Metric(*entry) for entry in entries])

        self._call(send, lambda: {"op": "metrics", "run": run_id, "entries": entries})

    def artifacts(self, run_id: str, folder: Path, artifact_path: str | None = None) -> None:
        """Every file under ``folder`` (nothing when it does not exist)."""
        if folder.exists():
            self._keep(run_id, folder, artifact_path, self._client.log_artifacts)

    def artifact(self, run_id: str, path: Path, artifact_path: str | None = None) -> None:
        self._keep(run_id, path, artifact_path, self._client.log_artifact)

    def _keep(self, run_id: str, path: Path, artifact_path: str | None, log: Callable) -> None:
        def entry() -> dict[str, Any]:
            assert self.journal is not None
            kept = self.journal.keep_file(path)
            return {"op": "artifact", "run": run_id, "file": kept, "artifact_path": artifact_path}

        self._call(lambda: log(run_id, str(path), artifact_path), entry)

    def text(self, run_id: str, text: str, artifact_file: str) -> None:
        def entry() -> dict[str, Any]:
            assert self.journal is not None
            kept, folder = self.journal.keep_text(text, artifact_file)
            return {"op": "artifact", "run": run_id, "file": kept, "artifact_path": folder}

        self._call(lambda: self._client.log_text(run_id, text, artifact_file), entry)

    def json(self, run_id: str, payload: Any, artifact_file: str) -> None:
        self.text(run_id, json.dumps(payload, indent=2, default=str), artifact_file)

    def run_link(self, run_id: str) -> str | None:
        """The UI address of a run on an HTTP server."""
        if self.journal is not None or not self.uri.startswith(("http://", "https://")):
            return None
        return f"{self.uri.rstrip('/')}/#/experiments/{self.experiment_id}/runs/{run_id}"
