"""Writing files safely: every file and cache entry through a temporary name and one rename
(a killed process never leaves one that is later trusted), and locks for work that two
processes must not do at once."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from asdbench.errors import DataError


@contextmanager
def atomic_directory(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it becomes ``target`` in one
    rename, so a process killed mid-write never leaves a folder that is later trusted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield temporary
        if target.exists():  # another process finished first: keep its result
            shutil.rmtree(temporary)
        else:
            temporary.rename(target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise


@contextmanager
def atomic_file(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Yield a file (``"w"`` text, ``"wb"`` binary) opened under a temporary name beside
    ``path``; when the block ends it takes ``path``'s name in one rename. A reader never sees
    half a file; an interruption or a failed write leaves the old file (or none) and no
    temporary file. A write the file system refuses (full disk, read-only folder) is a
    ``DataError`` naming ``path``. Every file asdbench writes goes through here."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # "x": a new file with the permissions the umask gives (mkstemp's would be 0600)
        with open(temporary, mode.replace("w", "x"), newline=None if "b" in mode else "") as out:
            yield out
        os.replace(temporary, path)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError):
            reason = exc.strerror or "the write failed"
            raise DataError(f"{path}: cannot be written ({reason})") from exc
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` at once (:func:`atomic_file`)."""
    with atomic_file(path) as stream:
        stream.write(text)


@contextmanager
def exclusive(lock: Path, what: str, echo: Callable[[str], None]) -> Iterator[None]:
    """Hold an exclusive lock on file ``lock`` while ``what`` is done (training a trial,
    downloading into a folder), so that a second process doing the same waits instead of
    overwriting the first one's files; it is told which process it waits for."""
    import fcntl
    import socket

    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            echo(f"waiting for {holder}, which is {what}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)
