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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from asdbench.errors import AsdbenchError
from asdbench.paths import write_atomically

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


def read_journal(folder: Path) -> list[dict[str, Any]]:
    """The complete entries of a journal (a last line cut by a kill is ignored), checked: run
    keys of the form asdbench writes, artifacts inside the journal's own folder."""
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
            if number == len(lines) - 1:
                break
            raise AsdbenchError(f"{path}: line {number + 1} is corrupt") from exc
    if not entries or not isinstance(entries[0], dict) or entries[0].get("op") != "experiment":
        raise AsdbenchError(f"{path}: not an asdbench tracking journal")
    for number, entry in enumerate(entries[1:], start=2):
        _check_entry(folder, entry, f"{path}:{number}")
    return entries


def _check_entry(folder: Path, entry: Any, where: str) -> None:
    """Refuse an entry that names a run in a form asdbench never writes (it would be put into
    an MLflow search filter) or a file outside the journal folder (it would be uploaded)."""
    if not isinstance(entry, dict) or not isinstance(entry.get("run"), str):
        raise AsdbenchError(f"{where}: not a journal entry; refused (nothing uploaded)")
    for key in (entry["run"], entry.get("parent") or entry["run"]):
        if not isinstance(key, str) or not RUN_KEY.fullmatch(key):
            raise AsdbenchError(f"{where}: {key!r} is not a run id; refused (nothing uploaded)")
    if entry.get("op") == "artifact":
        name = entry.get("file")
        root = folder.resolve()
        files = [folder / name] if isinstance(name, str) and name else []
        if files and files[0].is_dir():
            files += list(files[0].rglob("*"))
        if not files or not all(f.resolve().is_relative_to(root) for f in files):
            raise AsdbenchError(
                f"{where}: the artifact {name!r} is not inside the journal folder {folder}; "
                "refused (nothing uploaded)"
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
