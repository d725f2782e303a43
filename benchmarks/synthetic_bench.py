"""The benchmark on the synthetic dataset's ``bench`` size: AdaProj over 5 trials, AdaCos,
sub-cluster AdaCos and intra-class compactness over 3 trials each, and the training-free floor
(``logmel_stats``) with the k-means, kNN and Mahalanobis back ends; a table of mean ± sample
std of the official score and its three parts per partition, and the minutes each trial took.

Not a test: it takes a couple of hours on 2 CPU cores. Each row is one ``asdbench run`` cell,
as a user would run it, in an MLflow store of its own; a row already measured (its JSON in
``--out``) is not run again, so an interrupted benchmark resumes where it stopped.

    python benchmarks/synthetic_bench.py --out bench-results          # the whole table
    python benchmarks/synthetic_bench.py --out bench-results --size small --trials-scale 0

``--trials-scale 0`` runs one trial per row (a quick look, not the benchmark). The table goes
to ``--out``/results.md and results.json, with the four conditions of the calibration
(docs/datasets.md) checked and printed: findings, not assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

#: (row label, asdbench run arguments, trials).
ROWS = [
    ("adaproj", ["--loss", "adaproj"], 5),
    ("adacos", ["--loss", "adacos"], 3),
    ("subcluster_adacos", ["--loss", "subcluster_adacos"], 3),
    ("compactness", ["--loss", "compactness"], 3),
    ("floor, k-means", ["--embedder", "logmel_stats", "--backend", "kmeans"], 1),
    ("floor, kNN", ["--embedder", "logmel_stats", "--backend", "knn"], 1),
    ("floor, Mahalanobis", ["--embedder", "logmel_stats", "--backend", "mahalanobis"], 1),
]
FIGURES = ("official_score", "auc_source", "auc_target", "pauc")
LABELS = {
    "official_score": "official",
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
    "pauc": "pAUC",
}
PARTITIONS = ("dev", "eval")


def run_row(label: str, args: list[str], trials: int, size: str, out: Path) -> dict:
    """One cell: its figures (mean and sample std over trials, in %) and each trial's
    minutes, read from the cell's MLflow store."""
    slug = label.replace(", ", "-").replace(" ", "_")
    saved = out / f"{slug}.json"
    if saved.exists():
        return json.loads(saved.read_text())
    command = [
        str(Path(sys.executable).with_name("asdbench")), "run", *args, "--trials", str(trials),
        "--set", f"dataset.size={size}", "--format", "json", "--quiet",
        "--output", str(out / "cells" / slug),
    ]  # fmt: skip
    environment = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{out / 'mlflow.db'}"}
    print(f"{label}: {trials} trial(s) ...", flush=True)
    started = time.monotonic()
    finished = subprocess.run(command, capture_output=True, text=True, env=environment)
    if finished.returncode != 0:
        sys.exit(f"{label}: asdbench run failed:\n{finished.stderr[-2000:]}")
    report = json.loads(finished.stdout)
    row = {
        "label": label,
        "arguments": args,
        "trials": trials,
        "minutes": round((time.monotonic() - started) / 60, 2),
        "trial_minutes": trial_minutes(report["run_id"], environment["MLFLOW_TRACKING_URI"]),
    }
    for partition in PARTITIONS:
        for figure in FIGURES:
            key = f"{partition}/{figure}"
            if trials > 1:
                mean = report["trials"][f"{key}_mean"]
                std = report["trials"][f"{key}_std"]
            else:
                mean, std = report[partition][figure], None
            row[key] = [mean, std]
    saved.write_text(json.dumps(row, indent=1))
    return row


def trial_minutes(run_id: str, uri: str) -> list[float]:
    """The wall-clock minutes of each trial (its nested MLflow run) of cell ``run_id``."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    parent = client.get_run(run_id)
    trials = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run_id}'"
    )
    spans = [(r.info.end_time - r.info.start_time) / 60000 for r in trials]
    return sorted(round(span, 2) for span in spans) or [
        round((parent.info.end_time - parent.info.start_time) / 60000, 2)
    ]


def cell(value: list) -> str:
    mean, std = value
    return f"{mean:.2f}" if std is None else f"{mean:.2f} ± {std:.2f}"


def table(rows: list[dict]) -> str:
    head = ["system", "trials"] + [f"{p} {LABELS[f]}" for p in PARTITIONS for f in FIGURES]
    lines = ["| " + " | ".join(head) + " | minutes per trial (max) |"]
    lines.append("|---|---:|" + "---:|" * (len(head) - 2) + "---:|")
    for row in rows:
        figures = [cell(row[f"{p}/{f}"]) for p in PARTITIONS for f in FIGURES]
        cells = [row["label"], str(row["trials"]), *figures, f"{max(row['trial_minutes']):.1f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def conditions(rows: list[dict], size: str) -> list[tuple[str, bool]]:
    """The calibration's conditions (docs/datasets.md) on this table."""
    floors = [r for r in rows if r["label"].startswith("floor")]
    trained = [r for r in rows if not r["label"].startswith("floor")]
    adaproj = next((r for r in rows if r["label"] == "adaproj"), None)

    def official(row: dict, partition: str) -> float:
        return row[f"{partition}/official_score"][0]

    low, high = (50, 65) if size == "bench" else (50, 70)
    found = []
    for partition in PARTITIONS:
        scores = [official(r, partition) for r in floors]
        found.append(
            (f"{partition}: the floor's official scores lie in {low}-{high}", all(
                low <= s <= high for s in scores
            ))
        )  # fmt: skip
        if adaproj is not None and scores and size == "bench":
            gap = official(adaproj, partition) - max(scores)
            found.append(
                (f"{partition}: AdaProj is {gap:+.2f} over the best floor (>= 3)", gap >= 3)
            )
        every = [official(r, partition) for r in floors + trained]
        found.append((f"{partition}: no row above 85", all(s <= 85 for s in every)))
        if size == "bench":
            below = all(
                r[f"{partition}/auc_target"][0] < r[f"{partition}/auc_source"][0] for r in floors
            )
            found.append(
                (f"{partition}: the floor's AUC (target) is below its AUC (source)", below)
            )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("bench-results"))
    parser.add_argument("--size", default="bench", choices=["tiny", "small", "bench", "full"])
    parser.add_argument(
        "--trials-scale", type=int, default=1, help="0: one trial per row (a quick look)"
    )
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    rows = [
        run_row(label, args, max(1, trials * options.trials_scale), options.size, options.out)
        for label, args, trials in ROWS
    ]
    text = table(rows)
    found = conditions(rows, options.size)
    text += "\n" + "\n".join(f"- [{'x' if ok else ' '}] {what}" for what, ok in found) + "\n"
    (options.out / "results.md").write_text(text)
    (options.out / "results.json").write_text(
        json.dumps({"size": options.size, "rows": rows, "conditions": found}, indent=1)
    )
    print(text)
    spread = [m for r in rows for m in r["trial_minutes"]]
    median = statistics.median(spread)
    print(f"trials took {min(spread):.1f} to {max(spread):.1f} min (median {median:.1f})")


if __name__ == "__main__":
    main()
