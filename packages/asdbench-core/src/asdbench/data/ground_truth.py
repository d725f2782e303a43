"""Ground truth in the official evaluators' format, joined to clips by file name.

A ground-truth folder holds ``ground_truth_data/ground_truth_<machine>_section_<SS>_test.csv``
(``<file>,<1 = anomaly | 0 = normal>``) and ``ground_truth_domain/...`` (``<file>,<1 = target |
0 = source>``), without header, one row per eval test clip, plus optionally
``ground_truth_attributes/...`` (``<file>,<labelled name without .wav>``). Only these files are
authoritative for eval labels; rows are never matched by position.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from asdbench.data.csvfiles import csv_rows
from asdbench.errors import DataError
from asdbench.paths import write_atomically

FILE_PATTERN = re.compile(r"^ground_truth_(?P<machine>[^_]+)_section_(?P<section>\d\d)_test\.csv$")


@dataclass(frozen=True)
class Truth:
    label: str  # "normal" | "anomaly"
    domain: str  # "source" | "target"


GroundTruth = dict[tuple[str, str], dict[str, Truth]]


def _read_pairs(path: Path, values: dict[str, str]) -> dict[str, str]:
    rows: dict[str, str] = {}
    for number, row in csv_rows(path):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2 or row[1].strip() not in values:
            allowed = " or ".join(values)
            raise DataError(
                f"{path}:{number}: expected '<file>,<{allowed}>', got {','.join(row)!r}"
            )
        name = row[0].strip()
        if name in rows:
            raise DataError(f"{path}:{number}: duplicate row for {name}")
        rows[name] = values[row[1].strip()]
    return rows


def read_ground_truth(folder: Path) -> GroundTruth:
    """Read every (machine, section) of an evaluator-format folder."""
    folder = Path(folder)
    data_dir, domain_dir = folder / "ground_truth_data", folder / "ground_truth_domain"
    if not data_dir.is_dir() or not domain_dir.is_dir():
        raise DataError(
            f"{folder}: not a ground-truth folder (expected ground_truth_data/ and "
            "ground_truth_domain/ as in the official evaluator)"
        )
    truth: GroundTruth = {}
    orphans = sorted(
        f.name
        for f in domain_dir.glob("*.csv")
        if FILE_PATTERN.match(f.name) and not (data_dir / f.name).exists()
    )
    if orphans:
        raise DataError(
            f"{data_dir / orphans[0]}: missing (its domains are in {domain_dir / orphans[0]}; "
            f"{len(orphans)} label file(s) missing)"
        )
    for label_file in sorted(data_dir.glob("*.csv")):
        match = FILE_PATTERN.match(label_file.name)
        if match is None:
            continue
        domain_file = domain_dir / label_file.name
        if not domain_file.exists():
            raise DataError(f"{domain_file}: missing (its labels are in {label_file})")
        labels = _read_pairs(label_file, {"0": "normal", "1": "anomaly"})
        domains = _read_pairs(domain_file, {"0": "source", "1": "target"})
        if labels.keys() != domains.keys():
            different = sorted(labels.keys() ^ domains.keys())
            raise DataError(
                f"{label_file.name}: ground_truth_data and ground_truth_domain list different "
                f"files ({len(different)}, e.g. {different[0]})"
            )
        key = (match["machine"], match["section"])
        truth[key] = {name: Truth(labels[name], domains[name]) for name in labels}
    if not truth:
        raise DataError(f"{data_dir}: no ground_truth_<machine>_section_<SS>_test.csv files")
    return truth


def write_ground_truth(
    folder: Path, machine: str, section: str, rows: list[tuple[str, Truth, str]]
) -> None:
    """Write one section in the evaluator format: rows are (file, truth, labelled name)."""
    name = f"ground_truth_{machine}_section_{section}_test.csv"
    ordered = sorted(rows)
    columns = {
        "ground_truth_data": [f"{f},{int(t.label == 'anomaly')}" for f, t, _ in ordered],
        "ground_truth_domain": [f"{f},{int(t.domain == 'target')}" for f, t, _ in ordered],
        "ground_truth_attributes": [
            f"{f},{labelled.removesuffix('.wav')}" for f, _, labelled in ordered
        ],
    }
    for subfolder, lines in columns.items():
        write_atomically(folder / subfolder / name, "".join(line + "\n" for line in lines))
