"""DCASE submission files: writing them, reading them back strictly.

Per section, in ``<out>/<team>/<system>/``:
``anomaly_score_<machine>_section_<SS>_test.csv`` (``<file>,<score>``, higher = more anomalous)
and ``decision_result_<machine>_section_<SS>_test.csv`` (``<file>,<0|1>``): comma-separated, no
header, base names only, every test clip exactly once, both files always. The 2021 evaluator
reads one pair per section and domain instead, ``..._section_<SS>_<source|target>_test.csv``,
each clip in its domain's files (``per_domain``).

The official evaluator pairs rows by sorted position, so a header, a missing or duplicate row,
a path prefix or a NaN either crashes it or silently corrupts the score; the reader here
refuses each with a message instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asdbench.data.clips import ClipTable
from asdbench.data.csvfiles import csv_rows
from asdbench.errors import AsdbenchError
from asdbench.paths import atomic_file

#: The team folder of asdbench's submissions (``<out>/<team>/<system>``).
TEAM = "asdbench"
SCORE_FILE = re.compile(
    r"^anomaly_score_(?P<machine>[^_]+)_section_(?P<section>\d\d)(_(?P<domain>source|target))?"
    r"_test\.csv$"
)
EXPECTED = "anomaly_score_<machine>_section_<SS>[_<source|target>]_test.csv"


def score_file(machine: str, section: str, domain: str | None = None) -> str:
    middle = f"_{domain}" if domain else ""
    return f"anomaly_score_{machine}_section_{section}{middle}_test.csv"


def decision_file(machine: str, section: str, domain: str | None = None) -> str:
    middle = f"_{domain}" if domain else ""
    return f"decision_result_{machine}_section_{section}{middle}_test.csv"


def threshold(train_scores: np.ndarray, quantile: float = 0.9) -> float:
    """The decision threshold: a quantile of the section's training-clip scores."""
    if not 0.0 < quantile < 1.0:
        raise AsdbenchError(f"the decision quantile must be in (0, 1), got {quantile}")
    return float(np.quantile(np.asarray(train_scores, dtype=float), quantile))


def decide(scores: np.ndarray, limit: float) -> np.ndarray:
    """1 (anomaly) where the score exceeds the threshold."""
    return (np.asarray(scores) > limit).astype(int)


@dataclass(frozen=True)
class SectionSubmission:
    """One section's scores and decisions; ``domains``: the domain of the file each clip was
    in, for a section submitted per domain (2021's files), else None."""

    machine: str
    section: str
    scores: dict[str, float]
    decisions: dict[str, int]
    domains: dict[str, str] | None = None


def write_section(
    folder: Path,
    machine: str,
    section: str,
    files: Sequence[str],
    scores: np.ndarray,
    decisions: np.ndarray,
    domain: str | None = None,
) -> None:
    """Write both files of one section (of one of its domains); ``files`` are base names."""
    if len(set(files)) != len(files):
        raise AsdbenchError(f"{machine} section {section}: duplicate clip names")
    if any("/" in f or "\\" in f for f in files):
        raise AsdbenchError(f"{machine} section {section}: file names must be base names")
    order = np.argsort(files, kind="stable")
    with atomic_file(folder / score_file(machine, section, domain)) as out:
        out.writelines(f"{files[i]},{float(scores[i])!r}\n" for i in order)
    with atomic_file(folder / decision_file(machine, section, domain)) as out:
        out.writelines(f"{files[i]},{int(decisions[i])}\n" for i in order)


def write_submission(
    table: ClipTable,
    scores: np.ndarray,
    decided: np.ndarray,
    folder: Path,
    *,
    per_domain: bool = False,
) -> None:
    """Both submission files for every section with test clips (``scores`` and ``decided``
    are per clip of ``table``); ``per_domain``: for every section and domain (2021)."""
    for indices in table.section_indices(lambda clip: clip.split == "test").values():
        clip = table[indices[0]]
        if not per_domain:
            files = [table[i].file for i in indices]
            write_section(
                folder, clip.machine, clip.section, files, scores[indices], decided[indices]
            )
            continue
        unknown = [table[i].file for i in indices if table[i].domain not in ("source", "target")]
        if unknown:
            raise AsdbenchError(
                f"{clip.machine} section {clip.section}: {unknown[0]} has no known domain; "
                "this evaluator's files are per domain"
            )
        for domain in ("source", "target"):
            chosen = [i for i in indices if table[i].domain == domain]
            if chosen:
                files = [table[i].file for i in chosen]
                write_section(
                    folder,
                    clip.machine,
                    clip.section,
                    files,
                    scores[chosen],
                    decided[chosen],
                    domain,
                )


def _read_rows(path: Path, parse: type) -> dict[str, float]:
    rows: dict[str, float] = {}
    for number, row in csv_rows(path):
        if not row or not "".join(row).strip():
            continue
        where = f"{path.name}:{number}"
        if len(row) != 2:
            raise AsdbenchError(f"{where}: expected '<file>,<value>', got {','.join(row)!r}")
        name, text = row[0].strip(), row[1].strip()
        try:
            value = float(text)
        except ValueError:
            what = "a header row" if number == 1 else "not a number"
            raise AsdbenchError(
                f"{where}: {what} ({','.join(row)!r}); submission files have no header"
            ) from None
        if "/" in name or "\\" in name:
            raise AsdbenchError(
                f"{where}: {name!r} has a path prefix; use the base name only (the official "
                "evaluator would silently mis-score it)"
            )
        if math.isnan(value) or math.isinf(value):
            raise AsdbenchError(f"{where}: the value for {name} is {text}")
        if parse is int and value not in (0.0, 1.0):
            raise AsdbenchError(f"{where}: decisions must be 0 or 1, got {text}")
        if name in rows:
            raise AsdbenchError(f"{where}: {name} appears twice")
        rows[name] = parse(value)
    return rows


def read_submission(folder: Path) -> list[SectionSubmission]:
    """Every section of a system folder, checked; both files must exist for each. A section
    submitted per domain is gathered from its domains' files; one submitted both ways is an
    error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AsdbenchError(f"{folder}: no such submission folder")
    parts: dict[tuple[str, str], list[tuple[str | None, dict[str, float], dict[str, int]]]] = {}
    for path in sorted(folder.glob("anomaly_score_*.csv")):
        match = SCORE_FILE.match(path.name)
        if match is None:
            raise AsdbenchError(f"{path.name}: not a submission file name (expected {EXPECTED})")
        machine, section, domain = match["machine"], match["section"], match["domain"]
        decisions_path = folder / decision_file(machine, section, domain)
        if not decisions_path.exists():
            raise AsdbenchError(
                f"{decisions_path.name}: missing (every section needs both files; the official "
                "evaluator silently skips the whole system without it)"
            )
        scores = _read_rows(path, float)
        decisions = _read_rows(decisions_path, int)
        if scores.keys() != decisions.keys():
            different = sorted(scores.keys() ^ decisions.keys())
            raise AsdbenchError(
                f"{path.name}: the score and decision files list different clips "
                f"(e.g. {different[0]})"
            )
        parts.setdefault((machine, section), []).append((domain, scores, decisions))  # type: ignore[arg-type]
    if not parts:
        raise AsdbenchError(f"{folder}: no {EXPECTED} files")
    return [_gather(machine, section, found) for (machine, section), found in parts.items()]


def _gather(
    machine: str, section: str, found: list[tuple[str | None, dict[str, float], dict[str, int]]]
) -> SectionSubmission:
    """One section from its file (or from its domains' files)."""
    if len(found) == 1 and found[0][0] is None:
        return SectionSubmission(machine, section, found[0][1], found[0][2])
    if any(domain is None for domain, _, _ in found):
        raise AsdbenchError(
            f"{machine} section {section}: submitted both as {score_file(machine, section)} and "
            "per domain; keep one form"
        )
    scores: dict[str, float] = {}
    decisions: dict[str, int] = {}
    domains: dict[str, str] = {}
    for domain, part_scores, part_decisions in found:
        twice = sorted(part_scores.keys() & scores.keys())
        if twice:
            raise AsdbenchError(
                f"{machine} section {section}: {twice[0]} is in the files of both domains"
            )
        scores.update(part_scores)
        decisions.update(part_decisions)
        domains.update(dict.fromkeys(part_scores, domain))  # type: ignore[arg-type]
    return SectionSubmission(machine, section, scores, decisions, domains)
