"""Where asdbench keeps generated data and caches: ``$ASDBENCH_CACHE_DIR``, else the user
cache folder (``$XDG_CACHE_HOME/asdbench`` or ``~/.cache/asdbench``)."""

from __future__ import annotations

import os
from pathlib import Path

from asdbench.errors import DataError


def cache_dir() -> Path:
    explicit = os.environ.get("ASDBENCH_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "asdbench"


def check_writable_folder(folder: Path, what: str) -> None:
    """Refuse, before any work, a folder that cannot be created or written: the closest part
    of it that exists must be a folder this process may write (a read-only file system, a
    file in the way)."""
    existing = Path(folder).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise DataError(f"{what} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise DataError(
            f"{what} {folder}: {existing} cannot be written (read-only or no permission)"
        )
