"""The official DCASE Task 2 metrics (2022, 2023) and the paper's Table 1 columns.

Per section (machine type + section), with y = 1 for anomalies:

| name | clips | what |
|---|---|---|
| ``auc_source`` | source normals + all anomalies (both domains) | official AUC (source) |
| ``auc_target`` | target normals + all anomalies (both domains) | official AUC (target) |
| ``pauc`` | all clips | official pAUC: McClish-standardised partial AUC, FPR <= 0.1 |
| ``auc_all`` | all clips | domain-independent AUC (the paper's Table 1) |
| ``pauc_all`` | all clips | domain-independent pAUC (equal to ``pauc`` by definition) |
| ``auc_source_own`` ... | that domain's normals and anomalies | per-domain AUC/pAUC (code) |
| ``precision_source`` ... | that domain's clips, 0/1 decisions | precision, recall, F1 |

Aggregates: every column's harmonic mean over sections (same name), and ``official_score``, the
harmonic mean of every section's AUC (source), AUC (target) and pAUC pooled together, each
floored at machine epsilon, as the official evaluator computes it.

AUCs come from scikit-learn's ``roc_auc_score``, the function the official evaluator calls
(``max_fpr=0.1`` gives the McClish-standardised pAUC).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from asdbench.errors import AsdbenchError

MAX_FPR = 0.1
EPSILON = sys.float_info.epsilon

#: The columns of a section (and of the harmonic means over sections), in display order.
OFFICIAL = ("auc_source", "auc_target", "pauc")
DOMAIN_INDEPENDENT = ("auc_all", "pauc_all")
OWN_DOMAIN = ("auc_source_own", "pauc_source_own", "auc_target_own", "pauc_target_own")
DECISIONS = (
    "precision_source",
    "precision_target",
    "recall_source",
    "recall_target",
    "f1_source",
    "f1_target",
)
SECTION_METRICS = OFFICIAL + DOMAIN_INDEPENDENT + OWN_DOMAIN + DECISIONS

#: Official-score rules by the name a dataset gives (``DcaseLayoutDataset.official_score``).
#: 2022 and 2023 (and 2024) pool AUC (source), AUC (target) and pAUC into one harmonic mean.
OFFICIAL_RULES: dict[str, tuple[str, ...]] = {
    "dcase2022": OFFICIAL,
    "dcase2023": OFFICIAL,
}


def auc(labels: np.ndarray, scores: np.ndarray, max_fpr: float | None = None) -> float:
    """ROC AUC (``max_fpr``: McClish-standardised partial AUC); NaN if one class is missing."""
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    if labels.min(initial=1) == labels.max(initial=0) or len(labels) == 0:
        return math.nan
    return float(roc_auc_score(labels, scores, max_fpr=max_fpr))


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / max(denominator, EPSILON)


def section_metrics(
    scores: np.ndarray,
    labels: np.ndarray,
    domains: np.ndarray,
    decisions: np.ndarray | None = None,
) -> dict[str, float]:
    """Every per-section metric. ``labels``: 1 = anomaly; ``domains``: 1 = target."""
    scores, labels, domains = (np.asarray(a) for a in (scores, labels, domains))
    anomaly, target = labels == 1, domains == 1
    result: dict[str, float] = {}
    for name, domain_mask in (("source", ~target), ("target", target)):
        official = (domain_mask & ~anomaly) | anomaly
        result[f"auc_{name}"] = auc(labels[official], scores[official])
        result[f"auc_{name}_own"] = auc(labels[domain_mask], scores[domain_mask])
        result[f"pauc_{name}_own"] = auc(labels[domain_mask], scores[domain_mask], MAX_FPR)
    result["pauc"] = auc(labels, scores, MAX_FPR)
    result["auc_all"] = auc(labels, scores)
    result["pauc_all"] = result["pauc"]
    if decisions is not None:
        decisions = np.asarray(decisions)
        for name, domain_mask in (("source", ~target), ("target", target)):
            predicted, actual = decisions[domain_mask] == 1, anomaly[domain_mask]
            true_positive = float(np.sum(predicted & actual))
            precision = _ratio(true_positive, float(np.sum(predicted)))
            recall = _ratio(true_positive, float(np.sum(actual)))
            result[f"precision_{name}"] = precision
            result[f"recall_{name}"] = recall
            result[f"f1_{name}"] = _ratio(2 * precision * recall, precision + recall)
    return {name: result[name] for name in SECTION_METRICS if name in result}


def harmonic_mean(values: Iterable[float]) -> float:
    """scipy's hmean after flooring each value at machine epsilon (as the evaluator does);
    NaN values (undefined AUCs) are left out; NaN if nothing is left."""
    kept = [max(v, EPSILON) for v in values if not math.isnan(v)]
    if not kept:
        return math.nan
    return len(kept) / sum(1.0 / v for v in kept)


@dataclass
class SectionResult:
    machine: str
    section: str
    metrics: dict[str, float]
    clips: int = 0

    @property
    def section_id(self) -> str:
        return f"{self.machine}_{self.section}"


@dataclass
class Results:
    """The metrics of every section of one partition, and their aggregates."""

    sections: list[SectionResult]
    rule: str = "dcase2023"
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.rule not in OFFICIAL_RULES:
            known = ", ".join(OFFICIAL_RULES)
            raise AsdbenchError(f"unknown official-score rule {self.rule!r}; rules: {known}")

    def column(self, name: str) -> list[float]:
        return [s.metrics.get(name, math.nan) for s in self.sections]

    def official_score(self) -> float:
        pooled = [v for name in OFFICIAL_RULES[self.rule] for v in self.column(name)]
        return harmonic_mean(pooled)

    def summary(self) -> dict[str, float]:
        """``official_score`` and the harmonic mean over sections of every column."""
        present = [n for n in SECTION_METRICS if any(n in s.metrics for s in self.sections)]
        return {
            "official_score": self.official_score(),
            **{name: harmonic_mean(self.column(name)) for name in present},
        }

    def per_section(self) -> dict[str, float]:
        """``<metric>/<machine>_<section>`` for every metric of every section (MLflow keys)."""
        return {
            f"{name}/{s.section_id}": value
            for s in self.sections
            for name, value in s.metrics.items()
        }

    def as_json(self) -> dict[str, object]:
        """The schema of ``asdbench evaluate --format json``."""
        return {
            **{k: _json_number(v) for k, v in self.summary().items()},
            "rule": self.rule,
            "sections": [
                {
                    "machine": s.machine,
                    "section": s.section,
                    "clips": s.clips,
                    **{k: _json_number(v) for k, v in s.metrics.items()},
                }
                for s in self.sections
            ],
        }


def _json_number(value: float) -> float | None:
    return None if math.isnan(value) else value


@dataclass(frozen=True)
class ScoredSection:
    """The scores of one section's test clips with their truth, aligned by clip."""

    machine: str
    section: str
    files: Sequence[str]
    scores: np.ndarray
    labels: np.ndarray
    domains: np.ndarray
    decisions: np.ndarray | None = None


def evaluate_sections(sections: Iterable[ScoredSection], rule: str) -> Results:
    """Metrics for every section, in machine/section order."""
    results = [
        SectionResult(
            s.machine,
            s.section,
            section_metrics(s.scores, s.labels, s.domains, s.decisions),
            len(s.files),
        )
        for s in sorted(sections, key=lambda s: (s.machine, s.section))
    ]
    return Results(results, rule)


def align(
    scores: Mapping[str, float], truth: Mapping[str, tuple[int, int]], where: str
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Join scores to truth by file name; every clip exactly once, nothing extra."""
    missing = sorted(truth.keys() - scores.keys())
    extra = sorted(scores.keys() - truth.keys())
    if missing:
        raise AsdbenchError(f"{where}: no score for {len(missing)} clip(s) (e.g. {missing[0]})")
    if extra:
        raise AsdbenchError(
            f"{where}: {len(extra)} score(s) for clips not in the ground truth (e.g. {extra[0]})"
        )
    files = sorted(truth)
    labels = np.array([truth[f][0] for f in files])
    domains = np.array([truth[f][1] for f in files])
    return files, np.array([scores[f] for f in files], dtype=float), labels, domains
