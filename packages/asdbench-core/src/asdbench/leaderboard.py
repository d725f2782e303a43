"""The challenge-style leaderboard: one row per benchmark cell and partition, from MLflow.

Columns follow the AdaProj paper's Table 1 — source, target and domain-independent AUC and pAUC
(harmonic means over sections), mean ± std over the trials — plus the official DCASE score and
the official score of the cell's ensemble. Sorted by official score.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field

#: (column title, metric name) in the paper's Table 1 order. Source and target use each
#: domain's own normals and anomalies, as the AdaProj code computes them.
TABLE1 = (
    ("source AUC", "auc_source_own"),
    ("source pAUC", "pauc_source_own"),
    ("target AUC", "auc_target_own"),
    ("target pAUC", "pauc_target_own"),
    ("all AUC", "auc_all"),
    ("all pAUC", "pauc_all"),
    ("official", "official_score"),
)
FORMATS = ("text", "csv", "json", "markdown")


@dataclass
class Row:
    run_id: str
    dataset: str
    partition: str
    loss: str
    embedder: str
    backend: str
    trials: int
    #: metric -> (mean, std) over trials
    values: dict[str, tuple[float, float]] = field(default_factory=dict)
    ensemble: str = ""
    ensemble_official: float = math.nan

    @property
    def official(self) -> float:
        return self.values.get("official_score", (math.nan, math.nan))[0]


def rows_from_runs(runs: list) -> list[Row]:
    """Rows from MLflow parent (cell) runs, one per partition they hold metrics for."""
    rows = []
    for run in runs:
        tags, metrics = run.data.tags, run.data.metrics
        for partition in ("dev", "eval"):
            if f"{partition}/official_score" not in metrics:
                continue
            values = {
                name: (
                    metrics.get(f"{partition}/{name}", math.nan),
                    metrics.get(f"{partition}/{name}_std", math.nan),
                )
                for _, name in TABLE1
            }
            rows.append(
                Row(
                    run.info.run_id,
                    tags.get("asdbench.dataset", "?"),
                    partition,
                    tags.get("asdbench.loss", "?"),
                    tags.get("asdbench.embedder", "?"),
                    tags.get("asdbench.backend", "?"),
                    int(tags.get("asdbench.trials", "1")),
                    values,
                    tags.get("asdbench.ensemble", ""),
                    metrics.get(f"ensemble/{partition}/official_score", math.nan),
                )
            )
    return sorted(rows, key=lambda r: (r.dataset, r.partition, -_key(r.official)))


def _key(value: float) -> float:
    return -1.0 if math.isnan(value) else value


def query(experiments: list[str] | None = None, dataset: str | None = None) -> list[Row]:
    """Finished cell runs of the named experiments (default: every ``asdbench-*`` experiment,
    or the one of ``dataset``)."""
    from mlflow.tracking import MlflowClient

    client = MlflowClient()
    if experiments:
        found = [client.get_experiment_by_name(name) for name in experiments]
        missing = [n for n, e in zip(experiments, found, strict=True) if e is None]
        if missing:
            from asdbench.errors import AsdbenchError

            raise AsdbenchError(f"no MLflow experiment {missing[0]!r} in {client.tracking_uri}")
    elif dataset:
        found = [client.get_experiment_by_name(f"asdbench-{dataset}")]
    else:
        found = [e for e in client.search_experiments() if e.name.startswith("asdbench-")]
    ids = [e.experiment_id for e in found if e is not None]
    if not ids:
        return []
    runs = client.search_runs(
        ids,
        "tags.`asdbench.run_type` = 'cell' and attributes.status = 'FINISHED'",
        max_results=10_000,
    )
    rows = rows_from_runs(runs)
    return [r for r in rows if dataset is None or r.dataset == dataset]


def _cell(mean: float, std: float) -> str:
    if math.isnan(mean):
        return "-"
    return (
        f"{100 * mean:.2f}"
        if math.isnan(std) or std == 0
        else f"{100 * mean:.2f} ± {100 * std:.2f}"
    )


def render_leaderboard(rows: list[Row], fmt: str = "text") -> str:
    header = [
        "dataset",
        "partition",
        "loss",
        "embedder",
        "backend",
        "trials",
        *(title for title, _ in TABLE1),
        "ensemble official",
    ]
    if fmt == "json":
        return json.dumps(
            [
                {
                    "run_id": r.run_id,
                    "dataset": r.dataset,
                    "partition": r.partition,
                    "loss": r.loss,
                    "embedder": r.embedder,
                    "backend": r.backend,
                    "trials": r.trials,
                    **{
                        name: {"mean": _num(r.values[name][0]), "std": _num(r.values[name][1])}
                        for _, name in TABLE1
                    },
                    "ensemble": r.ensemble or None,
                    "ensemble_official_score": _num(r.ensemble_official),
                }
                for r in rows
            ],
            indent=1,
        )
    table = [
        [
            r.dataset,
            r.partition,
            r.loss,
            r.embedder,
            r.backend,
            str(r.trials),
            *(_cell(*r.values[name]) for _, name in TABLE1),
            _cell(r.ensemble_official, math.nan),
        ]
        for r in rows
    ]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(table)
        return buffer.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * 6 + "---:|" * (len(header) - 6)]
        lines += ["| " + " | ".join(row) + " |" for row in table]
        return "\n".join(lines)
    widths = [max(len(x) for x in column) for column in zip(header, *table, strict=True)]
    return "\n".join(
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in [header, *table]
    )


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value
