"""The DCASE official score written out from files alone (scikit-learn, no asdbench scoring
code), for tests that check a run's figures against an independent computation: the run's
submission files and the labels its tree states."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

#: (machine, section) -> {file name: (1 for an anomaly, 1 for the target domain)}.
Truth = dict[tuple[str, str], dict[str, tuple[int, int]]]


def official_score_by_hand(system: Path, truth: Truth) -> float:
    """The official score of the submission in ``system``
    (``anomaly_score_<machine>_section_<section>_test.csv``): see ``official_score_of``."""
    scores = {}
    for machine, section in truth:
        with open(system / f"anomaly_score_{machine}_section_{section}_test.csv") as f:
            scores[machine, section] = {name: float(value) for name, value in csv.reader(f)}
    return official_score_of(scores, truth)


def official_score_of(scores: dict[tuple[str, str], dict[str, float]], truth: Truth) -> float:
    """The 2022-2025 evaluators' definition: per section, AUC (source) on source normals and
    every anomaly, AUC (target) likewise, pAUC (FPR <= 0.1, McClish) on all clips; the official
    score is the harmonic mean of all of them, each floored at machine epsilon."""
    pooled = []
    for (machine, section), labels in sorted(truth.items()):
        assert set(scores[machine, section]) == set(labels), f"{machine} {section}: other clips"
        names = sorted(labels)
        y = np.array([labels[n][0] for n in names])
        target = np.array([labels[n][1] for n in names])
        s = np.array([scores[machine, section][n] for n in names])
        for domain in (0, 1):
            keep = (target == domain) | (y == 1)
            pooled.append(roc_auc_score(y[keep], s[keep]))
        pooled.append(roc_auc_score(y, s, max_fpr=0.1))
    return len(pooled) / sum(1 / max(v, np.finfo(float).eps) for v in pooled)


def tree_truth(tree: Path, partition: str) -> Truth:
    """The labels a DCASE-layout tree states for ``partition``'s test clips: dev ones in their
    names (``section_00_target_test_anomaly_...``), eval ones in the evaluator-format ground
    truth beside the tree (``ground_truth/ground_truth_{data,domain}/``)."""
    names: dict[tuple[str, str], list[str]] = {}
    for machine in sorted(p.name for p in (tree / f"{partition}_data").iterdir()):
        for path in sorted((tree / f"{partition}_data" / machine / "test").glob("*.wav")):
            names.setdefault((machine, path.name.split("_")[1]), []).append(path.name)
    if partition == "dev":
        return {
            key: {n: (int("_anomaly_" in n), int("_target_" in n)) for n in files}
            for key, files in names.items()
        }
    truth: Truth = {}
    for (machine, section), files in names.items():
        found = {}
        for kind in ("data", "domain"):
            name = f"ground_truth_{machine}_section_{section}_test.csv"
            with open(tree / "ground_truth" / f"ground_truth_{kind}" / name) as f:
                found[kind] = {n: int(v) for n, v in csv.reader(f)}
        truth[machine, section] = {n: (found["data"][n], found["domain"][n]) for n in files}
    return truth
