"""Reading the small CSV files of DCASE trees, ground truth and submissions, with one-line
errors for what users actually have on disk: another encoding, a byte-order mark, a folder in
place of the file, a field far too long for a DCASE CSV."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path

from asdbench.errors import DataError


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) of every row of ``path``: UTF-8 (a byte-order mark is dropped) or
    UTF-16 with its byte-order mark. Any other encoding, a folder, an unreadable file or a
    field over the csv module's limit (128 KiB) is an error naming the file."""
    if path.is_dir():
        raise DataError(f"{path}: a folder, where a CSV file should be")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    encoding = (
        "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
    )
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        byte = raw[exc.start : exc.start + 1]
        raise DataError(
            f"{path}: not UTF-8 text (byte {exc.start} is {byte!r}; Latin-1?); save it as UTF-8"
        ) from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for row in reader:
            yield reader.line_num, row
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: {exc}") from exc
