"""Trials, the ensemble of trials, and ``asdbench ensemble`` on finished runs."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli


def read_scores(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {(r["partition"], r["machine"], r["split"], r["file"]): float(r["score"]) for r in rows}


def run(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def two_trials(mlflow_tracking, asdbench_cache, tiny_run_args, tmp_path):
    result = run(
        "run",
        *tiny_run_args,
        "--trials",
        "2",
        "--ensemble",
        "mean",
        "--output",
        str(tmp_path / "out"),
        "--format",
        "json",
    )
    return json.loads(result.stdout), tmp_path / "out"


def test_two_trials_make_a_parent_with_mean_and_std(two_trials):
    report, _ = two_trials
    client = MlflowClient()
    parent = client.get_run(report["run_id"])
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert sorted(c.data.tags["asdbench.trial"] for c in children) == ["0", "1"]
    assert len({c.data.params["trial_seed"] for c in children}) == 2  # independent seeds
    values = [c.data.metrics["dev/official_score"] for c in children]
    assert parent.data.metrics["dev/official_score_mean"] == pytest.approx(np.mean(values))
    assert parent.data.metrics["dev/official_score_std"] == pytest.approx(np.std(values, ddof=1))
    assert report["trials"]["dev/official_score_mean"] == pytest.approx(np.mean(values))


def test_mean_ensemble_equals_the_mean_of_the_trials_score_files(two_trials):
    report, out = two_trials
    first, second = read_scores(out / "trial-0/scores.csv"), read_scores(out / "trial-1/scores.csv")
    ensemble = read_scores(out / "scores.csv")
    assert first.keys() == second.keys() == ensemble.keys()
    for key, value in ensemble.items():
        assert value == pytest.approx((first[key] + second[key]) / 2, abs=1e-12)
    # The submission files hold the ensemble's test scores.
    system = next((out / "submission" / "asdbench").iterdir())
    with open(system / "anomaly_score_valve_section_00_test.csv") as handle:
        for name, score in csv.reader(handle):
            assert float(score) == pytest.approx(ensemble[("eval", "valve", "test", name)])
    parent = MlflowClient().get_run(report["run_id"])
    assert parent.data.metrics["ensemble/eval/official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )


def test_ensemble_command_combines_finished_runs_without_retraining(two_trials):
    report, _ = two_trials
    result = run("ensemble", report["run_id"], "--method", "mean", "--format", "json")
    combined = json.loads(result.stdout)
    assert len(combined["trials"]) == 2
    assert combined["eval"]["official_score"] == pytest.approx(report["eval"]["official_score"])
    run_record = MlflowClient().get_run(combined["run_id"])
    assert run_record.data.tags["asdbench.run_type"] == "ensemble"
    assert run_record.data.metrics["eval/official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )
    ranked = json.loads(
        run("ensemble", *combined["trials"], "--method", "rank", "--format", "json").stdout
    )
    assert 0 < ranked["dev"]["official_score"] < 1
    missing = CliRunner().invoke(cli, ["ensemble", "0123456789abcdef"])
    assert missing.exit_code == 2 and "no MLflow run '0123456789abcdef'" in missing.output
    first = combined["trials"][0]
    for twice in ([first, first], [report["run_id"], first]):  # directly, or through its cell
        refused = CliRunner().invoke(cli, ["ensemble", *twice])
        assert refused.exit_code == 2, refused.output
        assert refused.output.strip() == (
            f"Error: trial run {first} is named twice (directly or through its cell): each "
            "trial counts once in an ensemble"
        )
