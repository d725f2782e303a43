"""Downloading dataset archives: resumable HTTP transfers, checksums, then safe unzipping
(:mod:`asdbench.data.archives`).

Used by dataset plugins. Only ``http``/``https`` links are followed, redirects included.
Partial transfers are kept as ``<file>.part`` and resumed with an HTTP ``Range`` request; a
file is verified (checksum, size) *before* it is renamed into place, and a verified file
carries a ``<file>.verified`` marker: a file without a matching marker is verified again before
use, and one that fails is fetched again. An archive that cannot be opened or fails its CRCs
is discarded and fetched once more.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from asdbench.data.archives import CHUNK, MAX_NAME_BYTES, ArchiveCorrupt, safe_extract
from asdbench.errors import DataError
from asdbench.files import write_atomically

#: Checksum algorithms by name, and by the length of a bare hex digest.
ALGORITHMS = ("md5", "sha1", "sha256", "sha512")
_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
#: Transfers: the lowest rate (bytes/s, averaged over RATE_WINDOW seconds) before a transfer
#: is given up as stalled, and the longest wait for any byte.
MIN_RATE = 1024
RATE_WINDOW = 60.0


@dataclass(frozen=True)
class RemoteFile:
    name: str
    url: str
    #: ``"md5:<hex>"`` (Zenodo's form), ``"sha256:<hex>"``..., a bare hex digest, or ``None``.
    checksum: str | None = None
    size: int | None = None


def parse_checksum(text: str | None, where: str) -> tuple[str, str] | None:
    """(algorithm, lower-case hex digest) of ``text``, None when there is none; a form not
    understood is an error naming ``where``, before anything is fetched."""
    if not text:
        return None
    algorithm, sep, digest = text.strip().rpartition(":")
    algorithm = algorithm.lower() if sep else _BY_LENGTH.get(len(digest), "")
    digest = digest.lower()
    if (
        algorithm not in ALGORITHMS
        or not digest
        or any(c not in "0123456789abcdef" for c in digest)
    ):
        raise DataError(
            f"{where}: checksum {text!r} is not understood (expected md5:, sha1:, sha256: or "
            "sha512: and a hex digest, or a bare hex digest)"
        )
    if len(digest) * 4 != hashlib.new(algorithm).digest_size * 8:
        raise DataError(f"{where}: checksum {text!r} has the wrong length for {algorithm}")
    return algorithm, digest


def check_url(url: str) -> str:
    """``url`` if it is an http or https link (the only ones asdbench follows)."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DataError(f"{url}: refused, only http and https links are followed")
    return url


class _HttpRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects to http(s) only (urllib alone would follow one to ftp)."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str):
        check_url(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _open(request: urllib.request.Request | str, timeout: float = 60) -> Any:
    url = request.full_url if isinstance(request, urllib.request.Request) else request
    check_url(url)
    return urllib.request.build_opener(_HttpRedirects).open(request, timeout=timeout)


def plain_name(name: object, where: str) -> str:
    """``name`` if it is a plain file name (it becomes a path on this machine)."""
    if (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or any(c in name for c in "/\\\0")
        or len(name.encode()) > MAX_NAME_BYTES
    ):
        raise DataError(f"{where}: {name!r} is not a plain file name; refused")
    return name


def zenodo_files(record: str, base_url: str = "https://zenodo.org") -> list[RemoteFile]:
    """The files of a Zenodo record with their checksums, from the record API, checked: plain
    file names, understood checksums, http(s) links."""
    url = f"{check_url(base_url).rstrip('/')}/api/records/{record}"
    try:
        with _open(url) as response:
            metadata = json.load(response)
    except DataError:
        raise
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DataError(f"cannot read Zenodo record {record} at {url}: {exc}") from exc
    where = f"Zenodo record {record}"
    entries = metadata.get("files") if isinstance(metadata, dict) else None
    if not isinstance(entries, list):
        raise DataError(f"{where}: the record lists no files (not a Zenodo record answer)")
    files = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise DataError(f"{where}: a file entry is not an object")
        name = plain_name(entry.get("key"), where)
        link = (entry.get("links") or {}).get("self") or (
            f"{base_url.rstrip('/')}/records/{record}/files/{name}?download=1"
        )
        size = entry.get("size")
        if size is not None and (not isinstance(size, int) or size < 0):
            raise DataError(f"{where}: {name} has size {size!r}")
        checksum = entry.get("checksum")
        parse_checksum(checksum, f"{where}, {name}")
        files.append(RemoteFile(name, check_url(str(link)), checksum, size))
    return files


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _marker(path: Path) -> Path:
    return path.with_name(f"{path.name}.verified")


def _mark_verified(path: Path, remote: RemoteFile) -> None:
    info = path.stat()
    record = {"checksum": remote.checksum, "size": info.st_size, "mtime_ns": info.st_mtime_ns}
    write_atomically(_marker(path), json.dumps(record))


def _is_marked(path: Path, remote: RemoteFile) -> bool:
    try:
        record = json.loads(_marker(path).read_text())
        info = path.stat()
    except (OSError, ValueError):
        return False
    return record == {
        "checksum": remote.checksum,
        "size": info.st_size,
        "mtime_ns": info.st_mtime_ns,
    }


def discard(path: Path) -> None:
    """Remove a downloaded file and its verified marker."""
    path.unlink(missing_ok=True)
    _marker(path).unlink(missing_ok=True)


def _problem(path: Path, remote: RemoteFile) -> str | None:
    """Why ``path`` is not the file ``remote`` describes (None when it is, as far as the
    record says)."""
    size = path.stat().st_size
    if remote.size is not None and size != remote.size:
        return f"it has {size} bytes, the record says {remote.size}"
    expected = parse_checksum(remote.checksum, remote.name)
    if expected is not None:
        algorithm, digest = expected
        found = _digest(path, algorithm)
        if found != digest:
            return f"checksum mismatch ({algorithm} {found}, expected {digest})"
    return None


def fetch(
    remote: RemoteFile,
    folder: Path,
    *,
    progress: bool = True,
    min_rate: float = MIN_RATE,
    rate_window: float = RATE_WINDOW,
) -> Path:
    """Download ``remote`` into ``folder``, resuming a ``.part`` file left by an interrupted
    transfer; the file is verified before it takes its final name. A final file is reused when
    its verified marker matches, verified again when it has none, and fetched again when that
    fails. A transfer slower than ``min_rate`` bytes/s over ``rate_window`` seconds (or silent
    that long) is given up, keeping its ``.part``."""
    name = plain_name(remote.name, remote.url)
    parse_checksum(remote.checksum, name)
    check_url(remote.url)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    if final.exists():
        if _is_marked(final, remote):
            return final
        if _problem(final, remote) is None:
            _mark_verified(final, remote)
            return final
        discard(final)
    partial = folder / f"{name}.part"
    _transfer(remote, partial, progress, _Pace(remote.name, min_rate, rate_window))
    problem = _problem(partial, remote)
    if problem is not None:
        partial.unlink()
        raise DataError(f"{name}: {problem}; the corrupt file was removed, run the download again")
    os.replace(partial, final)
    _mark_verified(final, remote)
    return final


def _transfer(remote: RemoteFile, partial: Path, progress: bool, pace: _Pace) -> None:
    """Fetch the rest of ``remote`` into ``partial`` (an HTTP range request when part of it is
    there); a transfer cut short, or slower than ``pace`` allows, is an error that a second
    call resumes. No byte past the record's size is written: a server that sends more is an
    error and the file is discarded."""
    done = partial.stat().st_size if partial.exists() else 0
    if remote.size is not None and done > remote.size:
        partial.unlink()
        done = 0
    response = _request(remote, done, pace.window)
    if response is None:
        return
    with response:
        if done and response.status != 206:  # the server ignored Range: start again
            done = 0
        total = remote.size or (int(response.headers.get("Content-Length", 0)) + done) or None
        _receive(response, remote, partial, (done, total), progress, pace)
    if remote.size is not None and partial.stat().st_size < remote.size:
        raise DataError(
            f"{remote.name}: transfer ended at {partial.stat().st_size} of {remote.size} bytes; "
            "run the download again to resume"
        )


def _request(remote: RemoteFile, done: int, timeout: float) -> Any:
    """The response for the bytes of ``remote`` from ``done`` on; None when there are none
    left (the ``.part`` file is whole)."""
    request = urllib.request.Request(remote.url)
    if done:
        request.add_header("Range", f"bytes={done}-")
    try:
        return _open(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and done:  # nothing left to fetch: the .part is whole
            return None
        raise DataError(f"{remote.url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DataError(f"{remote.url}: {exc}") from exc


def _receive(
    response: Any,
    remote: RemoteFile,
    partial: Path,
    counts: tuple[int, int | None],
    progress: bool,
    pace: _Pace,
) -> None:
    """Append the response's bytes to ``partial`` (``counts``: the bytes already there and
    the whole size), with a progress bar, never past the record's size."""
    from tqdm.auto import tqdm

    done, total = counts
    with (
        partial.open("ab" if done else "wb") as out,
        tqdm(
            total=total, initial=done, unit="B", unit_scale=True, desc=remote.name,
            disable=not progress,
        ) as bar,
    ):  # fmt: skip
        pace.start = time.monotonic()
        while True:
            try:
                block = response.read1(CHUNK)
            except (OSError, http.client.HTTPException) as exc:
                raise DataError(
                    f"{remote.name}: transfer interrupted ({exc}); run the download again to resume"
                ) from exc
            if not block:
                break
            if remote.size is not None and done + len(block) > remote.size:
                out.close()
                partial.unlink()
                raise DataError(
                    f"{remote.name}: the server sent more than the record's {remote.size} "
                    "bytes; stopped there and discarded the file"
                )
            out.write(block)
            done += len(block)
            bar.update(len(block))
            pace.received(len(block))


class _Pace:
    """Ends a transfer that trickles: fewer than ``rate`` bytes/s over a window of ``window``
    seconds (what was received stays in the ``.part`` file)."""

    def __init__(self, name: str, rate: float, window: float) -> None:
        self.name, self.rate, self.window = name, rate, window
        self.start = time.monotonic()
        self.bytes = 0

    def received(self, count: int) -> None:
        self.bytes += count
        elapsed = time.monotonic() - self.start
        if elapsed < self.window:
            return
        if self.bytes < self.rate * elapsed:
            raise DataError(
                f"{self.name}: the transfer is too slow ({self.bytes} bytes in {elapsed:.0f} s, "
                f"under {self.rate:g} bytes/s); what was received is kept, run the download "
                "again to resume"
            )
        self.start, self.bytes = time.monotonic(), 0


def fetch_and_extract(
    remote: RemoteFile,
    archives: Path,
    target: Path,
    *,
    strip: str | None = None,
    within: str | None = None,
    progress: bool = True,
) -> list[Path]:
    """:func:`fetch` then :func:`safe_extract` (``strip`` and ``within`` as there); an archive
    that cannot be opened or fails its CRCs is discarded and fetched once more before that is
    an error."""

    def extract(archive: Path) -> list[Path]:
        return safe_extract(archive, target, strip=strip, within=within)

    archive = fetch(remote, archives, progress=progress)
    try:
        return extract(archive)
    except ArchiveCorrupt:
        discard(archive)
    archive = fetch(remote, archives, progress=progress)
    try:
        return extract(archive)
    except ArchiveCorrupt as exc:
        discard(archive)
        raise DataError(f"{exc}; fetched twice, the source serves it so: try later") from exc
