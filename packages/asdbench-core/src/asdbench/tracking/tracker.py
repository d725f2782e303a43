"""MLflow tracking: one experiment per dataset, one parent run per benchmark cell, one nested
run per trial.

``MLFLOW_TRACKING_URI`` is honoured; otherwise MLflow's own default (a sqlite database,
``mlflow.db`` in the working directory). Tags are set on every run because children do not
inherit them. Models are logged as ``state_dict`` files, never pickled modules. A server that
goes away during a run does not stop it: see :mod:`asdbench.tracking.journal`.
"""

from __future__ import annotations

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
from asdbench.tracking import connection, operations, store
from asdbench.tracking.journal import Journal, now_ms, offline_key


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
        connection.limit_http_retries()
        self.uri = connection.tracking_uri()
        self.experiment = experiment
        self.offline_dir = offline_dir or Path("asdbench-output") / "mlflow-offline"
        self.journal: Journal | None = None
        self._echo = echo
        self._cells: set[str] = set()
        connection.check_writable(self.uri)
        self.experiment_id = ""
        try:
            connection.check_reachable(self.uri)
        except AsdbenchError as exc:
            if fallback != "local":
                raise
            self._client = connection.client(self.uri)
            self._go_offline(str(exc))
            return
        try:
            with connection.first_use(self.uri):  # a new sqlite store is created by one process
                self._client = connection.client(self.uri)
                self.experiment_id = operations.find_experiment(self._client, experiment)
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
                if connection.answers(self.uri):
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
        if tags.get(store.RUN_TYPE) == "cell":
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
            [self.experiment_id], store.children(parent, "attributes.status = 'RUNNING'")
        ):
            self.end(run.info.run_id, status)

    def child_named(self, parent: str, name: str) -> str | None:
        """The run named ``name`` under ``parent``, when online: a continued parent (its worker
        died, or its process was killed) continues its trials' runs instead of duplicating
        them."""
        if self.journal is not None or not parent:
            return None
        runs = self._client.search_runs(
            [self.experiment_id], store.children(parent, f"attributes.run_name = '{name}'")
        )
        return runs[0].info.run_id if runs else None

    def abandoned_cells(self, tags: Mapping[str, str]) -> list[str]:
        """The cell runs of the cell ``tags`` describe (configuration, trials, seed) left
        RUNNING by a process of this host that is gone (killed with SIGKILL, crashed), newest
        first, when online. Runs of other hosts may be alive and are left alone."""
        if self.journal is not None:
            return []
        runs = self._client.search_runs(
            [self.experiment_id],
            f"{store.same_cell(tags)} and attributes.status = 'RUNNING'",
            order_by=["attributes.start_time DESC"],
        )
        host = socket.gethostname()
        return [
            run.info.run_id
            for run in runs
            if run.data.tags.get(store.HOST) == host
            and not process_alive(int(run.data.tags.get(store.PID, "0")))
        ]

    def continue_run(self, run_id: str, tags: Mapping[str, str]) -> str:
        """Continue run ``run_id`` (RUNNING again, with ``tags`` updated)."""
        operations.start_run(
            self._client,
            self.experiment_id,
            name="",
            tags=tags,
            params={},
            parent=None,
            started=now_ms(),
            existing=run_id,
        )
        if tags.get(store.RUN_TYPE) == "cell":
            self._cells.add(run_id)
        return run_id

    def _start(self, name: str, tags: dict[str, str], params: dict[str, str], parent: str) -> str:
        started = now_ms()

        def create_or_continue() -> str:
            return operations.start_run(
                self._client,
                self.experiment_id,
                name=name,
                tags=tags,
                params=params,
                parent=parent,
                started=started,
                existing=self.child_named(parent, name),
            )

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
        self._call(lambda: operations.end_run(self._client, run_id, status, ended), lambda: entry)

    def metrics(self, run_id: str, values: Mapping[str, float], step: int = 0) -> None:
        self.step_metrics(run_id, [(step, dict(values))])

    def step_metrics(self, run_id: str, steps: list[tuple[int, dict[str, float]]]) -> None:
        """Metrics at several steps, sent in batches (NaN dropped)."""
        logged = now_ms()
        entries = [
            (key, float(value), logged, int(step))
            for step, values in steps
            for key, value in values.items()
            if value == value
        ]
        if not entries:
            return

        self._call(
            lambda: operations.log_metrics(self._client, run_id, entries),
            lambda: {"op": "metrics", "run": run_id, "entries": entries},
        )

    def artifacts(self, run_id: str, folder: Path, artifact_path: str | None = None) -> None:
        """Every file under ``folder`` (nothing when it does not exist)."""
        if folder.exists():
            self.artifact(run_id, folder, artifact_path)

    def artifact(self, run_id: str, path: Path, artifact_path: str | None = None) -> None:
        """A file, or every file under a folder."""

        def entry() -> dict[str, Any]:
            assert self.journal is not None
            kept = self.journal.keep_file(path)
            return {"op": "artifact", "run": run_id, "file": kept, "artifact_path": artifact_path}

        self._call(lambda: operations.log_path(self._client, run_id, path, artifact_path), entry)

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
