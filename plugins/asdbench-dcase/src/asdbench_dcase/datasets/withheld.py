"""The years that withhold the eval clips' attributes until after the challenge (2024,
2025)."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from asdbench import (
    ClipTable,
    DataError,
)
from asdbench_dcase.datasets.year import DcaseYear

CorrespondenceOption = Annotated[
    str | None,
    "Folder of the attribute correspondence published after the challenge (the baseline's "
    "datasets/ground_truth_attributes/dcase20XXt2): clips named ..._noAttribute get their "
    "attributes; default none, as in the challenge",
]


class WithheldAttributesYear(DcaseYear):
    """A year that withheld some machine types' attributes (``..._noAttribute.wav``) and
    published them later as correspondence files,
    ``<dev_data|eval_data>/<machine>/attributes_<SS>_<train|test>_correspondence.csv``
    (``source_file_name`` with attributes, ``target_file_name`` as distributed)."""

    def __init__(
        self, *, attribute_correspondence: CorrespondenceOption = None, **options: Any
    ) -> None:
        folder = Path(attribute_correspondence).expanduser() if attribute_correspondence else None
        if folder is not None and not folder.is_dir():
            raise ValueError(f"attribute_correspondence: {folder} is not a folder")
        super().__init__(**options)
        self.correspondence = folder

    def amend(self, table: ClipTable) -> ClipTable:
        """Clips listed as a correspondence's ``target_file_name`` take the attributes of its
        ``source_file_name``; every other clip keeps what it was read with."""
        if self.correspondence is None:
            return table
        published = read_correspondence(self.correspondence)
        clips = [
            replace(c, attributes=published[key])
            if (key := (c.partition, c.machine, c.file)) in published
            else c
            for c in table
        ]
        return ClipTable(clips, problems=table.problems)


def read_correspondence(folder: Path) -> dict[tuple[str, str, str], tuple[tuple[str, str], ...]]:
    """(partition, machine, distributed name) -> the (key, value) attributes of the labelled
    name, from every correspondence file under ``folder``."""
    found: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}
    files = sorted(folder.glob("*_data/*/attributes_*_correspondence.csv"))
    if not files:
        raise DataError(
            f"{folder}: no <dev_data|eval_data>/<machine>/attributes_<SS>_<split>_"
            "correspondence.csv files (the baseline's datasets/ground_truth_attributes/"
            "dcase20XXt2 folder)"
        )
    for path in files:
        partition = path.parent.parent.name.removesuffix("_data")
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:  # a BOM is dropped
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot be read ({exc})") from exc
        header = [cell.strip() for cell in rows[0]] if rows else []
        if header != ["source_file_name", "target_file_name"]:
            raise DataError(f"{path}: expected the header source_file_name,target_file_name")
        for number, row in enumerate(rows[1:], start=2):
            if not "".join(row).strip():
                continue
            if len(row) != 2 or not row[0].strip().endswith(".wav"):
                raise DataError(f"{path}:{number}: expected '<labelled name>,<distributed name>'")
            tokens = row[0].strip()[: -len(".wav")].split("_")[6:]
            pairs = tuple((tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2))
            found[(partition, path.parent.name, row[1].strip())] = pairs
    return found
