"""Scoring a submission folder against ground truth, joined by file name."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asdbench.clips import ClipTable
from asdbench.errors import AsdbenchError
from asdbench.ground_truth import read_ground_truth
from asdbench.metrics import Results, ScoredSection, align, evaluate_sections
from asdbench.submission import read_submission

#: (machine, section) -> file -> (label: 1 = anomaly, domain: 1 = target)
TruthTable = dict[tuple[str, str], dict[str, tuple[int, int]]]


def truth_from_folder(folder: Path) -> TruthTable:
    """Ground truth in the official evaluator's format."""
    return {
        key: {f: (int(t.label == "anomaly"), int(t.domain == "target")) for f, t in rows.items()}
        for key, rows in read_ground_truth(folder).items()
    }


def truth_from_table(table: ClipTable) -> TruthTable:
    """The test clips whose label and domain are known (dev names, or joined ground truth)."""
    truth: TruthTable = {}
    for clip in table:
        if clip.split == "test" and clip.label != "unknown" and clip.domain != "unknown":
            entry = (int(clip.label == "anomaly"), int(clip.domain == "target"))
            truth.setdefault((clip.machine, clip.section), {})[clip.file] = entry
    return truth


def evaluate_submission(folder: Path, truth: TruthTable, rule: str) -> Results:
    """Every section that has ground truth must be in the submission, with every clip once;
    sections of the submission without ground truth are reported in ``notes``, not scored."""
    if not truth:
        raise AsdbenchError("no ground truth: give --ground-truth or a --data-dir with labels")
    submitted = {(s.machine, s.section): s for s in read_submission(folder)}
    missing = sorted(set(truth) - set(submitted))
    if missing:
        machine, section = missing[0]
        raise AsdbenchError(
            f"{folder}: no anomaly_score_{machine}_section_{section}_test.csv, but the ground "
            f"truth has that section ({len(missing)} section(s) missing)"
        )
    scored = []
    for (machine, section), rows in sorted(truth.items()):
        entry = submitted[(machine, section)]
        where = f"anomaly_score_{machine}_section_{section}_test.csv"
        files, scores, labels, domains = align(entry.scores, rows, where)
        decisions = np.array([entry.decisions[f] for f in files])
        scored.append(ScoredSection(machine, section, files, scores, labels, domains, decisions))
    results = evaluate_sections(scored, rule)
    for machine, section in sorted(set(submitted) - set(truth)):
        results.notes.append(f"{machine} section {section}: no ground truth, not scored")
    return results
