"""Downloading dataset archives: resumable HTTP transfers, checksums, safe unzipping.

Used by dataset plugins. Partial transfers are kept as ``<file>.part`` and resumed with an HTTP
``Range`` request; a file is renamed into place only after its checksum (when known) matches.
Zip entries that would land outside the target folder (absolute paths, ``..``, links) are
refused before anything is extracted.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import shutil
import stat
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from asdbench.errors import DataError

CHUNK = 1 << 20


@dataclass(frozen=True)
class RemoteFile:
    name: str
    url: str
    #: ``"md5:<hex>"`` (Zenodo's form) or ``None`` when unknown.
    checksum: str | None = None
    size: int | None = None


def zenodo_files(record: str, base_url: str = "https://zenodo.org") -> list[RemoteFile]:
    """The files of a Zenodo record with their checksums, from the record API."""
    url = f"{base_url.rstrip('/')}/api/records/{record}"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            metadata = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"cannot read Zenodo record {record} at {url}: {exc}") from exc
    files = []
    for entry in metadata.get("files", []):
        name = entry["key"]
        link = entry.get("links", {}).get("self") or (
            f"{base_url.rstrip('/')}/records/{record}/files/{name}?download=1"
        )
        files.append(RemoteFile(name, link, entry.get("checksum"), entry.get("size")))
    return files


def _verify(path: Path, checksum: str | None) -> None:
    if not checksum:
        return
    algorithm, _, expected = checksum.partition(":")
    digest = hashlib.new(algorithm or "md5")
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        path.unlink()
        raise DataError(
            f"{path.name}: checksum mismatch ({algorithm} {digest.hexdigest()}, expected "
            f"{expected}); the corrupt file was removed, run the download again"
        )


def fetch(remote: RemoteFile, folder: Path, *, progress: bool = True) -> Path:
    """Download ``remote`` into ``folder``, resuming a ``.part`` file left by an interrupted
    transfer, and verify its checksum. A complete, verified file is not fetched again."""
    from tqdm.auto import tqdm

    folder.mkdir(parents=True, exist_ok=True)
    final = folder / remote.name
    if final.exists():
        return final
    partial = folder / f"{remote.name}.part"
    done = partial.stat().st_size if partial.exists() else 0
    request = urllib.request.Request(remote.url)
    if done:
        request.add_header("Range", f"bytes={done}-")
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and done:  # nothing left to fetch: the .part is complete
            partial.rename(final)
            _verify(final, remote.checksum)
            return final
        raise DataError(f"{remote.url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{remote.url}: {exc}") from exc
    with response:
        if done and response.status != 206:  # the server ignored Range: start again
            done = 0
        total = remote.size or (int(response.headers.get("Content-Length", 0)) + done) or None
        mode = "ab" if done else "wb"
        with (
            partial.open(mode) as out,
            tqdm(
                total=total,
                initial=done,
                unit="B",
                unit_scale=True,
                desc=remote.name,
                disable=not progress,
            ) as bar,
        ):
            while True:
                try:
                    block = response.read(CHUNK)
                except (OSError, http.client.HTTPException) as exc:
                    raise DataError(
                        f"{remote.name}: transfer interrupted ({exc}); run the download again "
                        "to resume"
                    ) from exc
                if not block:
                    break
                out.write(block)
                bar.update(len(block))
    if remote.size is not None and partial.stat().st_size < remote.size:
        raise DataError(
            f"{remote.name}: transfer ended at {partial.stat().st_size} of {remote.size} bytes; "
            "run the download again to resume"
        )
    partial.rename(final)
    _verify(final, remote.checksum)
    return final


def safe_extract(archive: Path, target: Path) -> list[Path]:
    """Extract a zip into ``target``, refusing it whole if any entry would escape ``target``
    (absolute path, ``..``) or is a symbolic link."""
    target = target.resolve()
    try:
        with zipfile.ZipFile(archive) as zipped:
            members = zipped.infolist()
            for member in members:
                path = PurePosixPath(member.filename.replace("\\", "/"))
                if path.is_absolute() or ".." in path.parts or ":" in member.filename:
                    raise DataError(
                        f"{archive.name}: refused, entry {member.filename!r} would "
                        "be written outside the target folder"
                    )
                if stat.S_ISLNK(member.external_attr >> 16):
                    raise DataError(
                        f"{archive.name}: refused, entry {member.filename!r} is a symbolic link"
                    )
                if not (target / path).resolve().is_relative_to(target):
                    raise DataError(
                        f"{archive.name}: refused, entry {member.filename!r} escapes "
                        "the target folder"
                    )
            target.mkdir(parents=True, exist_ok=True)
            written = []
            for member in members:
                destination = target / member.filename
                if member.is_dir():
                    destination.mkdir(parents=True, exist_ok=True)
                    continue
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zipped.open(member) as source, destination.open("wb") as out:
                    shutil.copyfileobj(source, out, CHUNK)
                written.append(destination)
            return written
    except zipfile.BadZipFile as exc:
        raise DataError(f"{archive}: not a valid zip file ({exc})") from exc
