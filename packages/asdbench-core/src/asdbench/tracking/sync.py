"""``asdbench sync``: a journal (:mod:`asdbench.tracking.journal`) replayed against the tracking
server through the same writes the tracker makes (:mod:`asdbench.tracking.operations`): it
continues the existing runs, creates the missing ones (nested under their parents) and sets
their final status, so the server ends with what an uninterrupted run would have logged.

Replaying is resumable and idempotent: the number of replayed entries and the server id of each
offline run are saved after every entry, and a run created by a replay is tagged with its
offline key, so an interrupted ``sync`` continues where it stopped without duplicating runs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from asdbench.files import write_atomically
from asdbench.tracking import connection, operations, store
from asdbench.tracking.journal import read_journal

PROGRESS = "synced.json"


def pending(folder: Path, notice: Callable[[str], None] | None = None) -> int:
    """How many entries of the journal in ``folder`` are not on the server yet (the whole
    journal checked; ``notice`` is told of a last line cut by a kill)."""
    done = _progress(folder)["entries"]
    return max(0, len(read_journal(folder, notice)) - done)


def _progress(folder: Path) -> dict[str, Any]:
    path = folder / PROGRESS
    return json.loads(path.read_text()) if path.exists() else {"entries": 1, "ids": {}}


def _save_progress(folder: Path, progress: dict[str, Any]) -> None:
    write_atomically(folder / PROGRESS, json.dumps(progress))


def sync_journal(folder: Path, echo: Callable[[str], None], uri: str) -> list[str]:
    """Replay the journal in ``folder`` against the tracking store at ``uri``; returns the ids
    of the runs it finished as cells (for their leaderboards)."""
    entries = read_journal(folder)
    progress = _progress(folder)
    ids: dict[str, str] = progress["ids"]
    client = connection.client(uri)
    name = entries[0]["name"]
    experiment_id = operations.find_experiment(client, name)
    finished_cells = []

    def server_id(key: str) -> str:
        return ids.get(key, key)

    for index in range(progress["entries"], len(entries)):
        entry = entries[index]
        op = entry["op"]
        if op == "start":
            ids[entry["run"]] = operations.start_run(
                client,
                experiment_id,
                name=entry["name"],
                tags={**entry["tags"], store.OFFLINE_KEY: entry["run"]},
                params=entry["params"],
                parent=server_id(entry["parent"]) if entry.get("parent") else None,
                started=entry["time"],
                existing=_find_replayed(client, experiment_id, entry["run"]),
            )
        elif op == "metrics":
            operations.log_metrics(client, server_id(entry["run"]), entry["entries"])
        elif op == "artifact":
            operations.log_path(
                client, server_id(entry["run"]), folder / entry["file"], entry["artifact_path"]
            )
        else:  # "end": read_journal admits no other entry
            operations.end_run(client, server_id(entry["run"]), entry["status"], entry["time"])
            if entry.get("cell") and entry["status"] == "FINISHED":
                finished_cells.append(server_id(entry["run"]))
        progress = {"entries": index + 1, "ids": ids}
        _save_progress(folder, progress)
    replayed = len(entries) - 1
    echo(f"{folder}: {replayed} tracking entries on {client.tracking_uri} (experiment {name})")
    return finished_cells


def _find_replayed(client: Any, experiment_id: str, key: str) -> str | None:
    """The server run a previous, interrupted replay created for offline run ``key``."""
    runs = client.search_runs([experiment_id], f"tags.`{store.OFFLINE_KEY}` = '{key}'")
    return runs[0].info.run_id if runs else None
