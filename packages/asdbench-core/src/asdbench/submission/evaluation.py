"""Scoring a submission folder against ground truth, joined by file name, one partition at a
time: DCASE scores the development and evaluation sets apart and never pools them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from asdbench.data.clips import ClipTable
from asdbench.data.ground_truth import read_ground_truth
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import AsdbenchError, DataError
from asdbench.scoring.metrics import Results, ScoredSection, align, evaluate_sections
from asdbench.submission.files import SectionSubmission, read_submission, score_file

#: (partition, machine, section) -> file -> (label: 1 = anomaly, domain: 1 = target)
TruthTable = dict[tuple[str, str, str], dict[str, tuple[int, int]]]


def truth_from_folder(
    folder: Path, partition_of: Callable[[str, str], str | None], rule: ScoreRule
) -> TruthTable:
    """Ground truth in the format of the official evaluator of ``rule``. The evaluators hold
    the evaluation set's labels, so a section is "eval" unless ``partition_of`` (the dataset's
    facts) places it in another partition."""
    return {
        (partition_of(machine, section) or "eval", machine, section): {
            f: (int(t.label == "anomaly"), int(t.domain == "target")) for f, t in rows.items()
        }
        for (machine, section), rows in read_ground_truth(folder, files=rule.files).items()
    }


def truth_from_table(table: ClipTable) -> TruthTable:
    """The test clips whose label and domain are known (dev names, or joined ground truth)."""
    truth: TruthTable = {}
    for clip in table:
        if clip.split == "test" and clip.label != "unknown" and clip.domain != "unknown":
            entry = (int(clip.label == "anomaly"), int(clip.domain == "target"))
            key = (clip.partition, clip.machine, clip.section)
            truth.setdefault(key, {})[clip.file] = entry
    return truth


def evaluate_submission(
    folder: Path, truth: TruthTable, rule: ScoreRule
) -> tuple[dict[str, Results], list[str]]:
    """Results per partition, each over all of that partition's sections with ground truth,
    and notes on what was not scored.

    A partition none of whose sections is in the submission is left out (a note says so); one
    with only some of them is an error, since its official score would cover part of the
    partition. Submitted sections without ground truth are noted, not scored."""
    if not truth:
        raise AsdbenchError("no ground truth: give --ground-truth or a --data-dir with labels")
    clashes = _sections_in_two_partitions(truth)
    if clashes:
        raise DataError(
            f"{clashes[0][0]} section {clashes[0][1]} has ground truth in two partitions; "
            "submission files cannot tell them apart"
        )
    submitted = {(s.machine, s.section): s for s in read_submission(folder)}
    partitions = sorted({partition for partition, _, _ in truth})
    results: dict[str, Results] = {}
    skipped = []
    for partition in partitions:
        sections = sorted((m, s) for p, m, s in truth if p == partition)
        missing = [key for key in sections if key not in submitted]
        if len(missing) == len(sections):
            skipped.append(
                f"{partition}: not scored (the submission has none of its {len(sections)} sections)"
            )
            continue
        if missing:
            machine, section = missing[0]
            domain = "<source|target>" if rule.files == "section_domain" else None
            expected = score_file(machine, section, domain, files=rule.files)
            raise AsdbenchError(
                f"{folder}: no {expected}, but the "
                f"ground truth has that {partition} section ({len(missing)} of {len(sections)} "
                f"{partition} sections missing; a {partition} score needs all of them)"
            )
        scored = [
            _scored_section(submitted[key], truth[(partition, *key)], rule) for key in sections
        ]
        results[partition] = evaluate_sections(scored, rule)
    if not results:
        raise AsdbenchError(
            f"{folder}: none of its score files is a section of the ground truth "
            f"({'; '.join(skipped)})"
        )
    known = {(m, s) for _, m, s in truth}
    notes = skipped + [
        f"{machine} section {section}: no ground truth, not scored"
        for machine, section in sorted(set(submitted) - known)
    ]
    return results, notes


def _scored_section(
    entry: SectionSubmission, rows: dict[str, tuple[int, int]], rule: ScoreRule
) -> ScoredSection:
    """A submitted section's scores (and decisions) aligned with its ground truth ``rows``."""
    _check_form(entry, rule)
    domain = "<domain>" if rule.files == "section_domain" else None
    where = score_file(entry.machine, entry.section, domain, files=rule.files)
    files, scores, labels, domains = align(entry.scores, rows, where)
    if entry.domains is not None:
        _check_domains(entry.machine, entry.section, entry.domains, files, domains)
    decisions = None
    if entry.files != "machine_id":  # 2020's evaluator reads no decisions
        decisions = np.array([entry.decisions[f] for f in files])
    return ScoredSection(entry.machine, entry.section, files, scores, labels, domains, decisions)


def _check_form(entry: SectionSubmission, rule: ScoreRule) -> None:
    """The files of a section are in the form its dataset's evaluator reads."""
    if entry.files == rule.files:
        return
    machine, section = entry.machine, entry.section
    domain = "source" if entry.files == "section_domain" else None
    found = score_file(machine, section, domain, files=entry.files)
    expected = {
        "section": f"one file per section ({score_file(machine, section)})",
        "section_domain": "one file per section and domain "
        f"({score_file(machine, section, 'source')} and {score_file(machine, section, 'target')})",
        "machine_id": "one file per machine ID "
        f"({score_file(machine, section, files='machine_id')})",
    }[rule.files]
    raise AsdbenchError(f"{found}: the {rule.name} evaluator reads {expected}")


def _check_domains(
    machine: str, section: str, submitted: dict[str, str], files: list[str], domains: np.ndarray
) -> None:
    """Each clip of a section submitted per domain is in its own domain's files, where that
    domain's evaluator looks for it."""
    for name, target in zip(files, domains, strict=True):
        truth = "target" if target else "source"
        if submitted[name] != truth:
            raise AsdbenchError(
                f"{score_file(machine, section, submitted[name])}: {name} is a {truth}-domain "
                f"clip; it belongs in {score_file(machine, section, truth)}"
            )


def _sections_in_two_partitions(truth: TruthTable) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], str] = {}
    clashes = []
    for partition, machine, section in truth:
        if seen.setdefault((machine, section), partition) != partition:
            clashes.append((machine, section))
    return clashes
