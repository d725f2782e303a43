"""``asdbench ensemble RUN_ID...``: combine the cached scores of finished trials into a new
MLflow run, without retraining."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import click
import numpy as np

from asdbench.errors import AsdbenchError


def _trial_runs(client, run_ids: tuple[str, ...]) -> list:
    """The trial runs named, directly or through their parent (cell) runs."""
    from mlflow.exceptions import MlflowException

    trials = []
    for run_id in run_ids:
        try:
            run = client.get_run(run_id)
        except MlflowException as exc:
            raise AsdbenchError(f"no MLflow run {run_id!r} in {client.tracking_uri}") from exc
        kind = run.data.tags.get("asdbench.run_type")
        if kind == "cell":
            children = client.search_runs(
                [run.info.experiment_id],
                f"tags.mlflow.parentRunId = '{run_id}'",
                order_by=["attributes.start_time ASC"],
            )
            trials += [c for c in children if c.data.tags.get("asdbench.run_type") == "trial"]
        elif kind == "trial":
            trials.append(run)
        else:
            raise AsdbenchError(f"run {run_id} is not an asdbench cell or trial run")
    finished = [t for t in trials if t.info.status == "FINISHED"]
    if not finished:
        raise AsdbenchError("none of these runs has a finished trial")
    return finished


@click.command("ensemble")
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
    from mlflow.tracking import MlflowClient

    from asdbench.config import choose
    from asdbench.pipeline import (
        TEAM,
        combine_trials,
        decisions_for,
        evaluate_partitions,
        metric_values,
        read_scores,
        write_results,
        write_submission,
    )
    from asdbench.report import render
    from asdbench.tracking import Tracker

    client = MlflowClient()
    trials = _trial_runs(client, run_ids)
    datasets = {t.data.tags.get("asdbench.dataset") for t in trials}
    if len(datasets) != 1:
        raise AsdbenchError(f"the runs use different datasets: {sorted(map(str, datasets))}")
    ensemble = choose("ensemble", method).create()
    rule = choose("dataset", datasets.pop()).create().official_score
    per_trial, table = [], None
    with tempfile.TemporaryDirectory() as scratch:
        for trial in trials:
            try:
                path = client.download_artifacts(trial.info.run_id, "scores/scores.csv", scratch)
            except Exception as exc:
                raise AsdbenchError(f"run {trial.info.run_id} has no scores/scores.csv") from exc
            clips, scores = read_scores(Path(path))
            keys = [(c.partition, c.machine, c.section, c.split, c.file) for c in clips]
            if table is None:
                table, order = clips, {key: i for i, key in enumerate(keys)}
            if set(keys) != set(order):
                raise AsdbenchError(
                    f"run {trial.info.run_id} scored other clips than the first run"
                )
            aligned = np.empty(len(keys))
            aligned[[order[k] for k in keys]] = scores
            per_trial.append(aligned)
    combined = combine_trials(ensemble, table, per_trial)
    decided = decisions_for(table, combined)
    results = evaluate_partitions(table, combined, decided, rule)
    experiment = client.get_experiment(trials[0].info.experiment_id).name
    tracker = Tracker(experiment)
    tags = {k: v for k, v in trials[0].data.tags.items() if k.startswith("asdbench.")}
    tags.update(
        {
            "asdbench.run_type": "ensemble",
            "asdbench.ensemble": method,
            "asdbench.sources": ",".join(t.info.run_id for t in trials),
        }
    )
    with tracker.run(
        f"ensemble {method} of {len(trials)}", tags, {"ensemble.name": method}
    ) as run_id:
        folder = output or Path("asdbench-output") / "ensembles" / run_id
        write_submission(
            table, combined, decided, folder / "submission" / TEAM / f"ensemble_{method}"
        )
        write_results(results, folder)
        tracker.metrics(run_id, metric_values(results))
        tracker.artifacts(run_id, folder / "submission", "submission")
    if fmt == "json":
        payload = {"run_id": run_id, "trials": [t.info.run_id for t in trials]}
        payload.update({p: r.as_json() for p, r in results.items()})
        click.echo(json.dumps(payload, indent=1))
        return
    click.echo(render(results, "text", what=f"{method} of {len(trials)} trials"))
    click.echo()
    click.echo(f"MLflow run: {run_id}")
