"""Unzipping dataset archives safely: an archive is checked whole before anything is extracted
(entries outside the target, links, encrypted entries, unsupported compression, duplicate or
over-long names, file/folder clashes within the archive or with what the target already holds,
sizes or compression ratios over a limit in one entry or the whole archive), extracted into a
temporary folder and only then moved into place, so a failed extraction leaves no partial
file."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from asdbench.errors import DataError

#: Bytes copied at a time.
CHUNK = 1 << 20
#: Archive limits: the largest entry, and the largest compression ratio of an entry over 1 MiB
#: (a DCASE WAV is under 1 MB and barely compresses; a zip bomb compresses a thousandfold).
MAX_ENTRY_BYTES = 2 << 30
MAX_RATIO = 100.0
#: Zip compression methods Python reads: stored, deflated, bzip2, lzma.
SUPPORTED_COMPRESSION = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_COMPRESSION_NAMES = {9: "deflate64", 10: "PKWARE implode", 93: "zstandard", 98: "PPMd"}
MAX_NAME_BYTES = 255


class ArchiveCorrupt(DataError):
    """An archive that cannot be opened or whose data fails its checks: worth fetching again."""


def _compression(method: int) -> str:
    return _COMPRESSION_NAMES.get(method, f"method {method}")


def _refuse(archive: Path, member: zipfile.ZipInfo, why: str) -> DataError:
    return DataError(f"{archive.name}: refused, entry {member.filename!r} {why}")


def _entry_problem(
    member: zipfile.ZipInfo,
    path: PurePosixPath,
    within: str | None,
    limits: tuple[int, float],
    seen: set[PurePosixPath],
) -> str | None:
    """Why one entry (at ``path`` once stripped; ``seen``: the paths before it) must be
    refused, or None."""
    max_entry_bytes, max_ratio = limits
    if within is not None and path.parts[:1] != (within,):
        return f"lies outside {within}/, the only folder this archive may fill"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    if member.flag_bits & 0x1:
        return "is encrypted; unpack the archive with its password elsewhere"
    if not member.is_dir() and member.compress_type not in SUPPORTED_COMPRESSION:
        return (
            f"uses {_compression(member.compress_type)} compression, which Python cannot "
            "read; unpack it with another tool (e.g. 7z) into the target folder"
        )
    if any(len(part.encode()) > MAX_NAME_BYTES for part in path.parts):
        return f"has a name part over {MAX_NAME_BYTES} bytes"
    if path in seen:
        return "appears twice"
    if member.file_size > max_entry_bytes:
        return f"is {member.file_size} bytes, over the {max_entry_bytes} limit"
    if member.file_size > CHUNK and member.file_size > max_ratio * max(member.compress_size, 1):
        return f"expands more than {max_ratio:g} times (a zip bomb?)"
    return None


def _check_members(
    archive: Path,
    target: Path,
    members: list[zipfile.ZipInfo],
    limits: tuple[int, float],
    strip: str | None,
    within: str | None,
) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every entry with the path it takes under ``target``, or an error for the first entry
    that must be refused; the paths are checked against what ``target`` already holds, so
    nothing there is removed or turned from a folder into a file or back."""
    checked, seen, folders = [], set(), set()
    for member in members:
        path = PurePosixPath(member.filename.replace("\\", "/"))
        if path.is_absolute() or ".." in path.parts or ":" in member.filename:
            raise _refuse(archive, member, "would be written outside the target folder")
        if strip is not None and path.parts[:1] == (strip,):
            path = PurePosixPath(*path.parts[1:])
            if not path.parts:
                continue  # the stripped folder itself
        problem = _entry_problem(member, path, within, limits, seen)
        if problem is None and not (target / path).resolve().is_relative_to(target):
            problem = "escapes the target folder"
        if problem is not None:
            raise _refuse(archive, member, problem)
        seen.add(path)
        folders.update(path.parents if not member.is_dir() else (path, *path.parents))
        checked.append((member, path))
    _check_clashes(archive, target, checked, folders)
    expanded = sum(member.file_size for member, _ in checked)
    packed = sum(member.compress_size for member, _ in checked)
    if expanded > CHUNK and expanded > limits[1] * max(packed, 1):
        raise DataError(
            f"{archive.name}: refused, its entries expand from {packed} to {expanded} bytes, "
            f"more than {limits[1]:g} times (a zip bomb?)"
        )
    return checked


def _check_clashes(
    archive: Path,
    target: Path,
    checked: list[tuple[zipfile.ZipInfo, PurePosixPath]],
    folders: set[PurePosixPath],
) -> None:
    """Refuse a file where the archive or ``target`` needs a folder, and the reverse."""
    for member, path in checked:
        if not member.is_dir() and path in folders:
            raise _refuse(archive, member, "is a file where other entries need a folder")
        if not member.is_dir() and (target / path).is_dir():
            raise _refuse(archive, member, f"is a file, but {target / path} is a folder")
        for folder in (path, *path.parents) if member.is_dir() else path.parents:
            if (target / folder).is_file() or (target / folder).is_symlink():
                raise _refuse(archive, member, f"needs a folder where {target / folder} is a file")


def safe_extract(
    archive: Path,
    target: Path,
    *,
    strip: str | None = None,
    within: str | None = None,
    max_entry_bytes: int = MAX_ENTRY_BYTES,
    max_ratio: float = MAX_RATIO,
) -> list[Path]:
    """Extract a zip into ``target`` after checking it whole (see the module docstring); the
    files go to a temporary folder beside ``target`` first and are moved into place only when
    every one of them was written and passed its CRC check.

    ``strip``: a leading folder removed from the entries that start with it (an archive that
    holds ``dev_data/fan/...`` for a ``target`` that is ``dev_data``). ``within``: the one
    folder of ``target`` the archive may fill (its machine type's); an entry elsewhere is
    refused, so one archive cannot touch what another unpacked. Files already there are
    replaced only by the same path (the same part unpacked again)."""
    target = target.resolve()
    try:
        zipped = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveCorrupt(f"{archive}: not a valid zip file ({exc})") from exc
    with zipped:
        checked = _check_members(
            archive, target, zipped.infolist(), (max_entry_bytes, max_ratio), strip, within
        )
        target.mkdir(parents=True, exist_ok=True)
        needed = sum(member.file_size for member, _ in checked)
        free = shutil.disk_usage(target).free
        if needed > free:
            raise DataError(
                f"{archive.name}: needs {needed / 1e9:.1f} GB in {target}, "
                f"{free / 1e9:.1f} GB are free"
            )
        scratch = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        try:
            files = _unpack(archive, zipped, checked, scratch)
            for path in [p for m, p in checked if m.is_dir()]:
                (target / path).mkdir(parents=True, exist_ok=True)
            written = []
            for path in files:
                (target / path).parent.mkdir(parents=True, exist_ok=True)
                os.replace(scratch / path, target / path)
                written.append(target / path)
            return written
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _unpack(
    archive: Path,
    zipped: zipfile.ZipFile,
    checked: list[tuple[zipfile.ZipInfo, PurePosixPath]],
    scratch: Path,
) -> list[PurePosixPath]:
    """Write every file entry under ``scratch``; a damaged entry is :class:`ArchiveCorrupt`."""
    files = []
    for member, path in checked:
        if member.is_dir():
            continue
        (scratch / path).parent.mkdir(parents=True, exist_ok=True)
        try:
            with zipped.open(member) as source, (scratch / path).open("wb") as out:
                shutil.copyfileobj(source, out, CHUNK)
        except (zipfile.BadZipFile, EOFError, zlib.error) as exc:
            raise ArchiveCorrupt(
                f"{archive.name}: entry {member.filename!r} is damaged ({exc})"
            ) from exc
        except OSError as exc:
            raise DataError(f"{archive.name}: cannot write {path}: {exc}") from exc
        files.append(path)
    return files
