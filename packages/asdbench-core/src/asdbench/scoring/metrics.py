"""The DCASE Task 2 section metrics, the AdaProj paper's Table 1 columns, and
the one key and one display label of every metric (``METRICS``).

Per section (machine type + section), with y = 1 for anomalies:

| key | label | clips |
|---|---|---|
| ``auc_source`` | AUC (source) | source normals + all anomalies (both domains): official |
| ``auc_target`` | AUC (target) | target normals + all anomalies (both domains): official |
| ``pauc`` | pAUC | all clips; McClish-standardised partial AUC, FPR <= 0.1: official |
| ``auc_all`` | AUC (all) | all clips: the domain-independent AUC |
| ``auc_source_own`` ... | AUC (source-only) ... | that domain's normals and anomalies (code) |
| ``precision_source`` ... | precision (source) ... | that domain's clips, 0/1 decisions |

Aggregates: every column's harmonic mean over sections (same key), and ``official_score``, by
the dataset's ``ScoreRule``: the harmonic mean of the metrics it pools over every section (AUC
(source), AUC (target) and pAUC for 2022-2025), each floored at machine epsilon, as the
official evaluator computes it.

AUCs come from scikit-learn's ``roc_auc_score``, the function the official evaluator calls
(``max_fpr=0.1`` gives the McClish-standardised pAUC).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from asdbench.data.datasets import DCASE2023_RULE
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import AsdbenchError

MAX_FPR = 0.1
EPSILON = sys.float_info.epsilon

#: The columns of a section (and of the harmonic means over sections), in display order.
OFFICIAL = ("auc_source", "auc_target", "pauc")
DOMAIN_INDEPENDENT = ("auc_all",)
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


@dataclass(frozen=True)
class Metric:
    """A metric's key (JSON, CSV, MLflow) and its display label (tables, figures, docs)."""

    key: str
    label: str
    #: Which clips it is computed on, for docs and help texts.
    clips: str


#: Every metric, by key. Official DCASE figures carry the evaluator's own labels; the
#: own-domain metrics carry labels of their own, so that no label stands for two numbers.
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        Metric(
            "official_score",
            "official score",
            "hmean over every section of the metrics the dataset's rule pools (2022-2026: AUC "
            "(source), AUC (target), pAUC)",
        ),
        Metric("auc_source", "AUC (source)", "source normals + all anomalies"),
        Metric("auc_target", "AUC (target)", "target normals + all anomalies"),
        Metric("pauc", "pAUC", "all clips, FPR <= 0.1, McClish-standardised"),
        Metric("auc_all", "AUC (all)", "all clips"),
        Metric("auc_source_own", "AUC (source-only)", "source normals + source anomalies"),
        Metric("pauc_source_own", "pAUC (source-only)", "source normals + source anomalies"),
        Metric("auc_target_own", "AUC (target-only)", "target normals + target anomalies"),
        Metric("pauc_target_own", "pAUC (target-only)", "target normals + target anomalies"),
        *(
            Metric(
                f"{kind}_{domain}",
                f"{kind.replace('f1', 'F1 score')} ({domain})",
                f"{domain} clips",
            )
            for kind in ("precision", "recall", "f1")
            for domain in ("source", "target")
        ),
    )
}


def label(key: str) -> str:
    """The display label of metric ``key``."""
    return METRICS[key].label


def in_percent(value: float) -> float:
    """A metric as every output gives it (JSON, CSV, MLflow, tables, leaderboards, figures):
    in percent. asdbench computes in fractions of 1, as the official evaluators do, and
    converts where a figure leaves it (docs/metrics.md)."""
    return 100.0 * value


#: Suffixes of a cell's aggregates over its trials, and what they say.
OVER_TRIALS = {
    "_mean": "mean over trials",
    "_std": "sample std over trials, ddof 1",
    "_pstd": "population std over trials, ddof 0",
}


def describe(key: str) -> str:
    """The label of an MLflow metric key of a trial or cell run:
    ``dev/auc_source`` -> ``dev AUC (source)``, ``eval/official_score_mean`` -> ``eval official
    score (mean over trials)``, ``ensemble/eval/pauc`` -> ``eval pAUC (ensemble)``,
    ``dev/pauc/fan_00`` -> ``dev pAUC (fan section 00)``, ``dev/pauc/fan`` -> ``dev pAUC (fan,
    arithmetic mean over its sections)``."""
    parts = key.split("/")
    ensemble = parts[0] == "ensemble"
    if ensemble:
        parts = parts[1:]
    if len(parts) not in (2, 3):
        raise KeyError(key)
    partition, name = parts[0], parts[1]
    notes = ["ensemble"] if ensemble else []
    for suffix, meaning in OVER_TRIALS.items():
        if name.endswith(suffix) and name[: -len(suffix)] in METRICS:
            name = name[: -len(suffix)]
            notes.append(meaning)
    if len(parts) == 3 and "_" not in parts[2]:  # machine types hold no "_"
        notes.append(f"{parts[2]}, arithmetic mean over its sections")
    elif len(parts) == 3:
        machine, _, section = parts[2].rpartition("_")
        notes.append(f"{machine} section {section}")
    text = f"{partition} {label(name)}"
    return f"{text} ({', '.join(notes)})" if notes else text


#: The test clips a metric needs in a section: (label, domain or None for either domain).
NEEDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "auc_source": (("anomaly", None), ("normal", "source")),
    "auc_target": (("anomaly", None), ("normal", "target")),
    "pauc": (("anomaly", None), ("normal", None)),
    "auc_all": (("anomaly", None), ("normal", None)),
    **{
        f"{kind}_{domain}_own": (("anomaly", domain), ("normal", domain))
        for kind in ("auc", "pauc")
        for domain in ("source", "target")
    },
}
#: What a section's test clips lack when a metric a rule pools is undefined.
UNDEFINED_BECAUSE = {
    "auc_source": "no anomalous clip or no source-domain normal clip",
    "auc_target": "no anomalous clip or no target-domain normal clip",
    "pauc": "no anomalous clip or no normal clip",
    "auc_all": "no anomalous clip or no normal clip",
    "auc_source_own": "no source-domain anomalous or normal clip",
    "auc_target_own": "no target-domain anomalous or normal clip",
    "pauc_source_own": "no source-domain anomalous or normal clip",
    "pauc_target_own": "no target-domain anomalous or normal clip",
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
    """scipy's hmean after flooring each value at machine epsilon (as the evaluator does).
    An undefined value (NaN: an AUC of a section whose test clips lack a class) makes the mean
    undefined: a mean over the other sections would pass part of the data for the whole."""
    values = list(values)
    if not values or any(math.isnan(v) for v in values):
        return math.nan
    return len(values) / sum(1.0 / max(v, EPSILON) for v in values)


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
    rule: ScoreRule = DCASE2023_RULE

    def __post_init__(self) -> None:
        unknown = [
            m for m in (*self.rule.pooled, *self.rule.machine_means) if m not in UNDEFINED_BECAUSE
        ]
        if unknown:
            raise AsdbenchError(
                f"score rule {self.rule.name!r} pools {unknown[0]!r}, which is not a section "
                f"metric it can pool; metrics: {', '.join(UNDEFINED_BECAUSE)}"
            )

    def column(self, name: str) -> list[float]:
        return [s.metrics.get(name, math.nan) for s in self.sections]

    def _require(self, names: tuple[str, ...], figure: str) -> None:
        """An error naming the first section whose metric in ``names`` is undefined (its test
        clips lack a class): ``figure`` needs it in every section."""
        for section in self.sections:
            for name in names:
                if math.isnan(section.metrics.get(name, math.nan)):
                    raise AsdbenchError(
                        f"{section.machine} section {section.section}: {label(name)} is "
                        f"undefined ({UNDEFINED_BECAUSE[name]}); {figure} needs it in every "
                        "section"
                    )

    def official_score(self) -> float:
        """The rule's harmonic mean over every section; NaN for a rule without a single
        official score (2020's)."""
        if not self.rule.pooled:
            return math.nan
        self._require(self.rule.pooled, "the official score")
        pooled = [v for name in self.rule.pooled for v in self.column(name)]
        return harmonic_mean(pooled)

    def machine_means(self) -> dict[str, dict[str, float]]:
        """machine type -> the arithmetic mean over its sections of each metric the rule
        averages per machine type (2020's official figures); empty for other rules."""
        if not self.rule.machine_means:
            return {}
        self._require(self.rule.machine_means, f"the {self.rule.name} machine type means")
        machines = sorted({s.machine for s in self.sections})
        return {
            machine: {
                name: float(
                    np.mean([s.metrics[name] for s in self.sections if s.machine == machine])
                )
                for name in self.rule.machine_means
            }
            for machine in machines
        }

    def summary(self) -> dict[str, float]:
        """``official_score`` and the harmonic mean over sections of every column."""
        present = [n for n in SECTION_METRICS if any(n in s.metrics for s in self.sections)]
        return {
            "official_score": self.official_score(),
            **{name: harmonic_mean(self.column(name)) for name in present},
        }

    def per_section(self) -> dict[str, float]:
        """``<metric>/<machine>_<section>`` for every metric of every section, and
        ``<metric>/<machine>`` for a machine type's mean (MLflow keys)."""
        return {
            **{
                f"{name}/{s.section_id}": value
                for s in self.sections
                for name, value in s.metrics.items()
            },
            **{
                f"{name}/{machine}": value
                for machine, means in self.machine_means().items()
                for name, value in means.items()
            },
        }

    def as_json(self) -> dict[str, object]:
        """The schema of ``asdbench evaluate --format json`` (figures in percent)."""
        return {
            **{k: _json_number(v) for k, v in self.summary().items()},
            "rule": self.rule.name,
            **({"subset": list(self.rule.subset)} if self.rule.subset else {}),
            **(
                {
                    "machine_means": {
                        machine: {k: _json_number(v) for k, v in means.items()}
                        for machine, means in self.machine_means().items()
                    }
                }
                if self.rule.machine_means
                else {}
            ),
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
    """A metric for JSON: in percent; null when undefined."""
    return None if math.isnan(value) else in_percent(value)


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


def evaluate_sections(sections: Iterable[ScoredSection], rule: ScoreRule) -> Results:
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
