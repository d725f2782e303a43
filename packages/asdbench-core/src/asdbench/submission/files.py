"""DCASE submission files: writing them, reading them back strictly.

In ``<out>/<team>/<system>/``, in the form the dataset's evaluator reads (``ScoreRule.files``):

- ``section`` (2022 on): per section ``anomaly_score_<machine>_section_<SS>_test.csv``
  (``<file>,<score>``, higher = more anomalous) and ``decision_result_<machine>_section_<SS>_
  test.csv`` (``<file>,<0|1>``), both files always;
- ``section_domain`` (2021): the same pair per section and domain,
  ``..._section_<SS>_<source|target>_test.csv``, each clip in its domain's files;
- ``machine_id`` (2020): per machine ID ``anomaly_score_<machine>_id_<ID>.csv`` alone (that
  evaluator reads no decisions).

Comma-separated, no header, base names only, every test clip exactly once. The official
evaluators pair rows by sorted position, so a header, a missing or duplicate row, a path prefix
or a NaN either crashes them or silently corrupts the score; the reader here refuses each with
a message instead.
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
from asdbench.files import atomic_file

#: The team folder of asdbench's submissions (``<out>/<team>/<system>``).
TEAM = "asdbench"
SCORE_FILE = re.compile(
    r"^anomaly_score_(?P<machine>[^_]+)_(?:section_(?P<section>\d\d)"
    r"(?:_(?P<domain>source|target))?_test|id_(?P<id>\d\d))\.csv$"
)
EXPECTED = (
    "anomaly_score_<machine>_section_<SS>[_<source|target>]_test.csv or "
    "anomaly_score_<machine>_id_<ID>.csv"
)


def score_file(
    machine: str, section: str, domain: str | None = None, *, files: str = "section"
) -> str:
    """The score file of a section (of one of its domains), in the form ``files``."""
    if files == "machine_id":
        return f"anomaly_score_{machine}_id_{section}.csv"
    middle = f"_{domain}" if domain else ""
    return f"anomaly_score_{machine}_section_{section}{middle}_test.csv"


def decision_file(machine: str, section: str, domain: str | None = None) -> str:
    middle = f"_{domain}" if domain else ""
    return f"decision_result_{machine}_section_{section}{middle}_test.csv"


@dataclass(frozen=True)
class SectionSubmission:
    """One section's scores and decisions (empty in the ``machine_id`` form), the form its
    files were in, and for ``section_domain`` the domain of the file each clip was in."""

    machine: str
    section: str
    scores: dict[str, float]
    decisions: dict[str, int]
    files: str = "section"
    domains: dict[str, str] | None = None


def write_section(
    folder: Path,
    machine: str,
    section: str,
    names: Sequence[str],
    scores: np.ndarray,
    decisions: np.ndarray,
    domain: str | None = None,
    *,
    files: str = "section",
) -> None:
    """Write the files of one section (of one of its domains); ``names`` are base names."""
    if len(set(names)) != len(names):
        raise AsdbenchError(f"{machine} section {section}: duplicate clip names")
    if any("/" in f or "\\" in f for f in names):
        raise AsdbenchError(f"{machine} section {section}: file names must be base names")
    order = np.argsort(names, kind="stable")
    with atomic_file(folder / score_file(machine, section, domain, files=files)) as out:
        out.writelines(f"{names[i]},{float(scores[i])!r}\n" for i in order)
    if files == "machine_id":
        return
    with atomic_file(folder / decision_file(machine, section, domain)) as out:
        out.writelines(f"{names[i]},{int(decisions[i])}\n" for i in order)


def write_submission(
    table: ClipTable,
    scores: np.ndarray,
    decided: np.ndarray,
    folder: Path,
    *,
    files: str = "section",
) -> None:
    """The submission files of every section with test clips, in the form ``files`` (see the
    module docstring); ``scores`` and ``decided`` are per clip of ``table``."""
    for indices in table.section_indices(lambda clip: clip.split == "test").values():
        clip = table[indices[0]]
        if files != "section_domain":
            names = [table[i].file for i in indices]
            write_section(
                folder,
                clip.machine,
                clip.section,
                names,
                scores[indices],
                decided[indices],
                files=files,
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
                names = [table[i].file for i in chosen]
                write_section(
                    folder,
                    clip.machine,
                    clip.section,
                    names,
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
    """Every section of a system folder, checked; a section's score file needs its decision
    file (but in the ``machine_id`` form). A section submitted per domain is gathered from its
    domains' files; one submitted in two forms is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise AsdbenchError(f"{folder}: no such submission folder")
    parts: dict[tuple[str, str], list[tuple[str, str | None, dict[str, float], dict[str, int]]]]
    parts = {}
    for path in sorted(folder.glob("anomaly_score_*.csv")):
        match = SCORE_FILE.match(path.name)
        if match is None:
            raise AsdbenchError(f"{path.name}: not a submission file name (expected {EXPECTED})")
        machine, domain = match["machine"], match["domain"]
        scores = _read_rows(path, float)
        if match["id"] is not None:
            parts.setdefault((machine, match["id"]), []).append(("machine_id", None, scores, {}))
            continue
        section = match["section"]
        decisions_path = folder / decision_file(machine, section, domain)
        if not decisions_path.exists():
            raise AsdbenchError(
                f"{decisions_path.name}: missing (every section needs both files; the official "
                "evaluator silently skips the whole system without it)"
            )
        decisions = _read_rows(decisions_path, int)
        if scores.keys() != decisions.keys():
            different = sorted(scores.keys() ^ decisions.keys())
            raise AsdbenchError(
                f"{path.name}: the score and decision files list different clips "
                f"(e.g. {different[0]})"
            )
        form = "section" if domain is None else "section_domain"
        parts.setdefault((machine, section), []).append((form, domain, scores, decisions))  # type: ignore[arg-type]
    if not parts:
        raise AsdbenchError(f"{folder}: no {EXPECTED} files")
    return [_gather(machine, section, found) for (machine, section), found in parts.items()]


def _gather(
    machine: str,
    section: str,
    found: list[tuple[str, str | None, dict[str, float], dict[str, int]]],
) -> SectionSubmission:
    """One section from its file (or from its domains' files)."""
    forms = {form for form, _, _, _ in found}
    if len(forms) > 1:
        raise AsdbenchError(
            f"{machine} section {section}: submitted in two forms "
            f"({', '.join(sorted(forms))}); keep the one the dataset's evaluator reads"
        )
    form = forms.pop()
    if form != "section_domain":
        return SectionSubmission(machine, section, found[0][2], found[0][3], form)
    scores: dict[str, float] = {}
    decisions: dict[str, int] = {}
    domains: dict[str, str] = {}
    for _, domain, part_scores, part_decisions in found:
        twice = sorted(part_scores.keys() & scores.keys())
        if twice:
            raise AsdbenchError(
                f"{machine} section {section}: {twice[0]} is in the files of both domains"
            )
        scores.update(part_scores)
        decisions.update(part_decisions)
        domains.update(dict.fromkeys(part_scores, domain))  # type: ignore[arg-type]
    return SectionSubmission(machine, section, scores, decisions, form, domains)
