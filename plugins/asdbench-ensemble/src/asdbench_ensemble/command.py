"""``asdbench ensemble RUN_ID...``: combine the cached scores of finished trials into a new
MLflow run, without retraining."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import numpy as np

import asdbench


@click.command(
    "ensemble", short_help="Combine the trials of finished runs with an ensemble and log it."
)
@click.argument("run_ids", nargs=-1, required=True)
@click.option(
    "--method", default="mean", show_default=True, help="Ensemble name (asdbench list ensembles)."
)
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder for submission files [default: asdbench-output/ensembles/<run>].",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def ensemble_command(run_ids: tuple[str, ...], method: str, output: Path | None, fmt: str) -> None:
    """Combine the trials of finished runs (cell runs stand for all their trials) with an
    ensemble, score it and log it as a new run in the same experiment."""
    ensemble = asdbench.create("ensemble", method)
    client = asdbench.mlflow_client()
    trials = asdbench.finished_trials(client, run_ids)
    rule = asdbench.create("dataset", asdbench.dataset_of(trials)).official_score
    per_trial, table = [], None
    with tempfile.TemporaryDirectory() as scratch:
        for trial in trials:
            try:
                path = client.download_artifacts(trial.info.run_id, "scores/scores.csv", scratch)
            except Exception as exc:
                raise asdbench.AsdbenchError(
                    f"run {trial.info.run_id} has no scores/scores.csv"
                ) from exc
            clips, scores = asdbench.read_scores(Path(path))
            keys = [(c.partition, c.machine, c.section, c.split, c.file) for c in clips]
            if table is None:
                table, order = clips, {key: i for i, key in enumerate(keys)}
            if set(keys) != set(order):
                raise asdbench.AsdbenchError(
                    f"run {trial.info.run_id} scored other clips than the first run"
                )
            aligned = np.empty(len(keys))
            aligned[[order[k] for k in keys]] = scores
            per_trial.append(aligned)
    combined = asdbench.combine_trials(ensemble, table, per_trial)
    decided = asdbench.decisions_for(table, combined)
    results = asdbench.evaluate_partitions(table, combined, decided, rule)
    experiment = client.get_experiment(trials[0].info.experiment_id).name
    tracker = asdbench.Tracker(experiment)
    tags = asdbench.ensemble_tags(trials, method)
    with tracker.run(
        f"ensemble {method} of {len(trials)}", tags, {"ensemble.name": method}
    ) as run_id:
        folder = output or Path("asdbench-output") / "ensembles" / run_id
        asdbench.write_submission(
            table,
            combined,
            decided,
            folder / "submission" / asdbench.TEAM / f"ensemble_{method}",
            files=rule.files,
        )
        asdbench.write_results(results, folder)
        tracker.metrics(run_id, asdbench.metric_values(results))
        tracker.artifacts(run_id, folder / "submission", "submission")
    if fmt == "json":
        payload = {"run_id": run_id, "trials": [t.info.run_id for t in trials]}
        payload.update({p: r.as_json() for p, r in results.items()})
        click.echo(json.dumps(payload, indent=1))
        return
    click.echo(asdbench.render_results(results, "text", what=f"{method} of {len(trials)} trials"))
    click.echo()
    click.echo(f"MLflow run: {run_id}")
