"""Ground truth in the official evaluators' format, joined to clips by file name.

A ground-truth folder holds ``ground_truth_data/ground_truth_<machine>_section_<SS>_test.csv``
(``<file>,<1 = anomaly | 0 = normal>``) and ``ground_truth_domain/...`` (``<file>,<1 = target |
0 = source>``), without header, one row per eval test clip, plus optionally
``ground_truth_attributes/...`` (``<file>,<labelled name without .wav>``). Only these files are
authoritative for eval labels; rows are never matched by position.

2021's evaluator keeps the domain in the file name instead: one label file per section and
domain, ``ground_truth_data/ground_truth_<machine>_section_<SS>_<source|target>_test.csv``
(``<file>,<1 | 0>``), read with ``files="section_domain"``; both domains of a section must be
there. 2020's (``files="machine_id"``) is one file, ``eval_data_list.csv``: a line holding a
machine type starts its rows, ``<file>,<name>,<1 | 0>``; the machine ID is in the file name
(``id_<ID>_<NNNNNNNN>.wav``), and every clip is of the one domain that year has, ``source``.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from asdbench.data.csvfiles import csv_rows
from asdbench.errors import DataError
from asdbench.files import write_atomically

FILE_PATTERN = re.compile(r"^ground_truth_(?P<machine>[^_]+)_section_(?P<section>\d\d)_test\.csv$")
DOMAIN_FILE_PATTERN = re.compile(
    r"^ground_truth_(?P<machine>[^_]+)_section_(?P<section>\d\d)_(?P<domain>source|target)"
    r"_test\.csv$"
)
LABELS = {"0": "normal", "1": "anomaly"}


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


#: 2020's ground-truth file, and the machine ID in its file names.
EVAL_DATA_LIST = "eval_data_list.csv"
MACHINE_ID = re.compile(r"^id_(?P<id>\d\d)_\d+\.wav$")
#: Where each form's ground truth is, for messages.
TRUTH_FILES = {
    "section": "ground_truth_data/ground_truth_<machine>_section_<SS>_test.csv",
    "section_domain": "ground_truth_data/ground_truth_<machine>_section_<SS>_<source|target>"
    "_test.csv",
    "machine_id": EVAL_DATA_LIST,
}


def truth_digest(folder: Path) -> str:
    """A digest of what the ground-truth readers can read under ``folder``: every CSV file one
    or two levels down (``eval_data_list.csv``, ``ground_truth_data/...``), its relative path
    and bytes. A corrected file gives another digest, the same files elsewhere the same."""
    folder = Path(folder)
    digest = hashlib.sha256()
    for path in sorted([*folder.glob("*.csv"), *folder.glob("*/*.csv")]):
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def truth_file(machine: str, section: str, domain: str | None = None) -> str:
    """The evaluator's ground-truth file of a section (of one of its domains, in 2021's form)."""
    middle = f"_{domain}" if domain else ""
    return f"ground_truth_{machine}_section_{section}{middle}_test.csv"


def read_ground_truth(folder: Path, *, files: str = "section") -> GroundTruth:
    """Read every (machine, section) of an evaluator-format folder, in the form ``files`` of
    ``ScoreRule.files``."""
    folder = Path(folder)
    if files == "section_domain":
        return _read_domain_files(folder)
    if files == "machine_id":
        return _read_eval_data_list(folder)
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
        labels = _read_pairs(label_file, LABELS)
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


def _read_domain_files(folder: Path) -> GroundTruth:
    """2021's form: the folder given may be the evaluator's root or its ground_truth_data/."""
    data_dir = folder / "ground_truth_data" if (folder / "ground_truth_data").is_dir() else folder
    if not data_dir.is_dir():
        raise DataError(f"{folder}: not a folder")
    truth: GroundTruth = {}
    domains_found: dict[tuple[str, str], set[str]] = {}
    for path in sorted(data_dir.glob("*.csv")):
        match = DOMAIN_FILE_PATTERN.match(path.name)
        if match is None:
            continue
        key, domain = (match["machine"], match["section"]), match["domain"]
        domains_found.setdefault(key, set()).add(domain)
        rows = truth.setdefault(key, {})
        for name, label in _read_pairs(path, LABELS).items():
            if name in rows:
                raise DataError(f"{path}: {name} is also listed for the {rows[name].domain} domain")
            rows[name] = Truth(label, domain)
    if not truth:
        raise DataError(
            f"{data_dir}: no ground_truth_<machine>_section_<SS>_<source|target>_test.csv files "
            "(the 2021 evaluator's ground_truth_data/)"
        )
    lacking = sorted(
        (machine, section, domain)
        for (machine, section), found in domains_found.items()
        for domain in {"source", "target"} - found
    )
    if lacking:
        machine, section, domain = lacking[0]
        raise DataError(
            f"{data_dir / truth_file(machine, section, domain)}: missing (the other domain of "
            f"{machine} section {section} has ground truth; a section needs both)"
        )
    return truth


def _read_eval_data_list(folder: Path) -> GroundTruth:
    """2020's form: ``eval_data_list.csv`` in ``folder`` (the evaluator's root)."""
    path = folder / EVAL_DATA_LIST
    if not path.is_file():
        raise DataError(f"{folder}: no {EVAL_DATA_LIST} (the 2020 evaluator's ground truth)")
    truth: GroundTruth = {}
    machine: str | None = None
    for number, row in csv_rows(path):
        cells = [cell.strip() for cell in row]
        if not "".join(cells):
            continue
        if len(cells) == 1:
            machine = cells[0]
            continue
        match = MACHINE_ID.match(cells[0])
        if machine is None or match is None or len(cells) < 3 or cells[-1] not in LABELS:
            raise DataError(
                f"{path}:{number}: expected a machine type line, then "
                f"'id_<ID>_<NNNNNNNN>.wav,<name>,<0 or 1>' rows; got {','.join(row)!r}"
            )
        rows = truth.setdefault((machine, match["id"]), {})
        if cells[0] in rows:
            raise DataError(f"{path}:{number}: duplicate row for {machine} {cells[0]}")
        rows[cells[0]] = Truth(LABELS[cells[-1]], "source")
    if not truth:
        raise DataError(f"{path}: no rows")
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
