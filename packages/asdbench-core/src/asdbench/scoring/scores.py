"""From embeddings to official figures, on a clip table: each section's back end scores its
clips, decisions at a quantile of the section's training scores, results per partition (never
pooled), ensembles of trials, and ``scores.csv``, the per-clip file later ensembles read."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from asdbench.data.clips import Clip, ClipTable
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import AsdbenchError, DataError
from asdbench.files import atomic_file
from asdbench.scoring.metrics import Results, ScoredSection, evaluate_sections, in_percent

if TYPE_CHECKING:
    from asdbench.contracts import Backend, Ensemble

#: A clip is decided anomalous above this quantile of its section's training scores.
DECISION_QUANTILE = 0.9
SCORE_COLUMNS = ("file", "partition", "machine", "section", "split", "domain", "label", "score")


def threshold(train_scores: np.ndarray, quantile: float = 0.9) -> float:
    """The decision threshold: a quantile of the section's training-clip scores."""
    if not 0.0 < quantile < 1.0:
        raise AsdbenchError(f"the decision quantile must be in (0, 1), got {quantile}")
    return float(np.quantile(np.asarray(train_scores, dtype=float), quantile))


def decide(scores: np.ndarray, limit: float) -> np.ndarray:
    """1 (anomaly) where the score exceeds the threshold."""
    return (np.asarray(scores) > limit).astype(int)


def score_sections(
    table: ClipTable, embeddings: np.ndarray, make_backend: Callable[[], Backend]
) -> np.ndarray:
    """Per section: a new back end fitted on the section's training clips scores every clip
    of the section (a section without training clips keeps NaN). A back end that refuses a
    section's training clips (``ValueError``: too few for a covariance, say) is an error naming
    the section."""
    scores = np.full(len(table), np.nan)
    for section, indices in table.section_indices().items():
        train = [i for i in indices if table[i].split == "train"]
        if not train:
            continue
        backend = make_backend()
        try:
            backend.fit(embeddings[train], np.array([table[i].domain for i in train]))
        except ValueError as exc:
            raise DataError(
                f"{section}: the back end cannot fit its {len(train)} training clip(s) ({exc}); "
                "the trial's embeddings are cached, so another --backend scores them without "
                "training again"
            ) from exc
        scores[indices] = backend.score(embeddings[indices])
    return scores


def decisions_for(table: ClipTable, scores: np.ndarray) -> np.ndarray:
    """1 where a clip's score exceeds the 0.9 quantile of its section's training scores."""
    decided = np.zeros(len(table), dtype=int)
    for indices in table.section_indices().values():
        train = [i for i in indices if table[i].split == "train"]
        if train:
            limit = threshold(scores[train], DECISION_QUANTILE)
            decided[indices] = decide(scores[indices], limit)
    return decided


def _labelled_test_clip(partition: str) -> Callable[[Clip], bool]:
    return lambda clip: (
        clip.partition == partition
        and clip.split == "test"
        and clip.label != "unknown"
        and clip.domain != "unknown"
    )


def evaluate_partitions(
    table: ClipTable, scores: np.ndarray, decided: np.ndarray, rule: ScoreRule
) -> dict[str, Results]:
    """Results per partition over test clips with known labels (dev names; eval with ground
    truth); ``decided`` are the clips' 0/1 decisions. A partition without such clips is left
    out."""
    results = {}
    for partition in ("dev", "eval"):
        grouped = table.section_indices(_labelled_test_clip(partition))
        if not grouped:
            continue
        sections = [
            ScoredSection(
                table[idx[0]].machine,
                table[idx[0]].section,
                [table[i].file for i in idx],
                scores[idx],
                np.array([table[i].label == "anomaly" for i in idx], dtype=int),
                np.array([table[i].domain == "target" for i in idx], dtype=int),
                decided[idx],
            )
            for idx in grouped.values()
        ]
        results[partition] = evaluate_sections(sections, rule)
    return results


def combine_trials(ensemble: Ensemble, table: ClipTable, per_trial: list[np.ndarray]) -> np.ndarray:
    """The ensemble's scores for ``table``'s clips from aligned per-trial scores."""
    sections = np.array([clip.section_id for clip in table])
    train = np.array([clip.split == "train" for clip in table])
    return ensemble.combine(per_trial, sections, train)


def metric_values(results: dict[str, Results], prefix: str = "") -> dict[str, float]:
    """``<partition>/<metric>`` for the aggregates and ``<partition>/<metric>/<section>``, as
    MLflow holds them: in percent."""
    values = {}
    for partition, result in results.items():
        for key, value in (*result.summary().items(), *result.per_section().items()):
            values[f"{prefix}{partition}/{key}"] = in_percent(value)
    return values


def write_scores(table: ClipTable, scores: np.ndarray, path: Path) -> None:
    """Every clip's score with what is known about it: the input of later ensembles."""
    with atomic_file(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SCORE_COLUMNS)
        for clip, score in zip(table, scores, strict=True):
            writer.writerow(
                [
                    clip.file,
                    clip.partition,
                    clip.machine,
                    clip.section,
                    clip.split,
                    clip.domain,
                    clip.label,
                    repr(float(score)),
                ]
            )


def read_scores(path: Path) -> tuple[ClipTable, np.ndarray]:
    """The clips and scores of a ``scores.csv`` written by :func:`write_scores`."""
    clips, scores = [], []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            clips.append(
                Clip(
                    Path(row["file"]),
                    "",
                    row["partition"],  # type: ignore[arg-type]
                    row["machine"],
                    row["section"],
                    row["domain"],  # type: ignore[arg-type]
                    row["split"],  # type: ignore[arg-type]
                    row["label"],  # type: ignore[arg-type]
                )
            )
            scores.append(float(row["score"]))
    return ClipTable(clips), np.array(scores)
