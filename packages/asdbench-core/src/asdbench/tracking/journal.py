"""Tracking that outlives the tracking server: a local journal of MLflow calls.

When the MLflow server stops answering during a run, the run goes on and every later tracking
call is appended to ``journal.jsonl`` in a run folder (artifacts copied beside it). Runs
created on the server before the outage keep their server ids in the journal; runs started
afterwards get an ``offline-`` key. ``asdbench sync`` uploads it (:mod:`asdbench.tracking.sync`).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from asdbench.errors import AsdbenchError
from asdbench.files import write_atomically

JOURNAL = "journal.jsonl"
OFFLINE_PREFIX = "offline-"


def now_ms() -> int:
    return int(time.time() * 1000)


def offline_key() -> str:
    """The key of a run started while the server was away (until ``sync`` gives it an id)."""
    return f"{OFFLINE_PREFIX}{uuid.uuid4().hex[:16]}"


class Journal:
    """Appends tracking calls to ``folder/journal.jsonl``; each line is one complete call."""

    def __init__(self, folder: Path, experiment: str, uri: str) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._path = folder / JOURNAL
        self._count = 0
        self.write({"op": "experiment", "name": experiment, "uri": uri})

    def write(self, entry: dict[str, Any]) -> None:
        with self._path.open("a") as handle:
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._count += 1

    def _slot(self, name: str) -> Path:
        """A new place for an artifact called ``name``, relative to the journal folder (one
        folder per entry, so equal names never collide)."""
        target = Path("artifacts") / f"{self._count:06d}" / name
        (self.folder / target).parent.mkdir(parents=True, exist_ok=True)
        return target

    def keep_file(self, path: Path) -> str:
        """Copy ``path`` (a file or folder) into the journal folder; returns its relative path."""
        target = self._slot(path.name)
        if path.is_dir():
            shutil.copytree(path, self.folder / target)
        else:
            shutil.copy2(path, self.folder / target)
        return str(target)

    def keep_text(self, text: str, artifact_file: str) -> tuple[str, str | None]:
        """Write ``text`` as the artifact ``artifact_file``; returns (file, artifact folder)."""
        name = Path(artifact_file)
        target = self._slot(name.name)
        write_atomically(self.folder / target, text)
        folder = str(name.parent) if str(name.parent) != "." else None
        return str(target), folder


#: The run keys a journal may hold: an MLflow run id, or an offline key (``offline_key``).
RUN_KEY = re.compile(rf"[0-9a-f]{{32}}|{OFFLINE_PREFIX}[0-9a-f]{{16}}")


#: The run statuses a journal's ``end`` entries may set.
STATUSES = ("FINISHED", "FAILED", "KILLED")


def read_journal(folder: Path, notice: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """The complete entries of a journal, every one checked before any is uploaded (see
    :func:`_check_entry`). A last line cut by a kill is left out and ``notice`` told so."""
    entries = []
    path = folder / JOURNAL
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise AsdbenchError(f"{path}: cannot be read ({exc})") from exc
    for number, line in enumerate(lines):
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines) - 1 and number > 0:
                if notice is not None:
                    notice(
                        f"{path}: its last line was cut off (the run was killed while writing "
                        "it) and is left out"
                    )
                break
            raise AsdbenchError(
                f"{path}:{number + 1}: not a JSON line; refused (nothing uploaded)"
            ) from exc
    first = entries[0] if entries else None
    if (
        not isinstance(first, dict)
        or first.get("op") != "experiment"
        or not isinstance(first.get("name"), str)
        or not isinstance(first.get("uri", ""), str)
    ):
        raise AsdbenchError(f"{path}: not an asdbench tracking journal")
    for number, entry in enumerate(entries[1:], start=2):
        _check_entry(folder, entry, f"{path}:{number}")
    return entries


def _check_entry(folder: Path, entry: Any, where: str) -> None:
    """Refuse an entry that is not one the tracker writes, with its fields of the types it
    writes: a run in a form asdbench never writes (it would be put into an MLflow search
    filter), a file outside the journal folder (it would be uploaded), an artifact path that
    climbs out of the run's artifacts."""

    def refuse(why: str) -> AsdbenchError:
        return AsdbenchError(f"{where}: {why}; refused (nothing uploaded)")

    if not isinstance(entry, dict) or not isinstance(entry.get("run"), str):
        raise refuse("not a journal entry")
    for key in (entry["run"], entry.get("parent") or entry["run"]):
        if not isinstance(key, str) or not RUN_KEY.fullmatch(key):
            raise refuse(f"{key!r} is not a run id")
    op = entry.get("op")
    if op == "start":
        _check_start(entry, refuse)
    elif op == "metrics":
        metrics = entry.get("entries")
        if not isinstance(metrics, list) or not all(_is_metric(m) for m in metrics):
            raise refuse("its metrics are not a list of [name, number, time, step]")
    elif op == "artifact":
        _check_artifact(folder, entry, refuse)
    elif op == "end":
        if entry.get("status") not in STATUSES or not _is_int(entry.get("time")):
            raise refuse(f"an end entry needs a status ({', '.join(STATUSES)}) and a time")
        if not isinstance(entry.get("cell", False), bool):
            raise refuse("its 'cell' is not true or false")
    else:
        raise refuse(f"{op!r} is not an entry the tracker writes")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_metric(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 4
        and isinstance(value[0], str)
        and isinstance(value[1], (int, float))
        and not isinstance(value[1], bool)
        and _is_int(value[2])
        and _is_int(value[3])
    )


def _check_start(entry: dict[str, Any], refuse: Callable[[str], AsdbenchError]) -> None:
    if not isinstance(entry.get("name"), str) or not _is_int(entry.get("time")):
        raise refuse("a start entry needs a name and a time")
    for field in ("tags", "params"):
        values = entry.get(field)
        if not isinstance(values, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int, float, bool, type(None)))
            for k, v in values.items()
        ):
            raise refuse(f"its {field} are not a table of names and plain values")


def _check_artifact(
    folder: Path, entry: dict[str, Any], refuse: Callable[[str], AsdbenchError]
) -> None:
    name = entry.get("file")
    root = folder.resolve()
    files = [folder / name] if isinstance(name, str) and name else []
    if files and files[0].is_dir():
        files += list(files[0].rglob("*"))
    if not files or not all(f.resolve().is_relative_to(root) for f in files):
        raise refuse(f"the artifact {name!r} is not inside the journal folder {folder}")
    if not files[0].exists():
        raise refuse(f"the artifact {name!r} is missing from the journal folder")
    destination = entry.get("artifact_path")
    if destination is not None and (
        not isinstance(destination, str)
        or not destination
        or PurePosixPath(destination).is_absolute()
        or ".." in PurePosixPath(destination).parts
        or "\\" in destination
    ):
        raise refuse(
            f"the artifact path {destination!r} is not a folder inside the run's artifacts"
        )


def find_journals(paths: list[Path]) -> Iterator[Path]:
    """Every folder holding a journal under ``paths`` (a journal folder itself, or above it)."""
    for path in paths:
        if (path / JOURNAL).exists():
            yield path
        elif path.is_dir():
            yield from sorted(p.parent for p in path.rglob(JOURNAL))
        else:
            raise AsdbenchError(f"{path}: no such folder")


def recorded_uri(folder: Path) -> str:
    """The tracking URI the run of the journal in ``folder`` was logging to."""
    return str(read_journal(folder)[0].get("uri") or "")
