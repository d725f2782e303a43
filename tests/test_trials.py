"""Trials, the ensemble of trials, and ``asdbench ensemble`` on finished runs."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient
from scipy.stats import rankdata

from asdbench.cli import cli
from asdbench.testing import official_score_of, tree_truth


def read_scores(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {(r["partition"], r["machine"], r["split"], r["file"]): float(r["score"]) for r in rows}


def official_from(scores: dict, tree, partition: str) -> float:
    """A partition's official score computed by hand from a ``scores.csv``'s test scores and
    the tree's labels (sections are 00 in the tiny synthetic tree)."""
    by_section: dict = {}
    for (part, machine, split, name), value in scores.items():
        if part == partition and split == "test":
            by_section.setdefault((machine, "00"), {})[name] = value
    return official_score_of(by_section, tree_truth(tree, partition))


def ranked_by_hand(trials: list[dict]) -> dict:
    """The rank ensemble's definition: per section (every clip of a machine type in a
    partition), each trial's scores as normalised ranks in [0, 1], ties at their mean rank;
    then the mean over trials."""
    combined: dict = {}
    for part, machine in {(k[0], k[1]) for k in trials[0]}:
        keys = sorted(k for k in trials[0] if k[:2] == (part, machine))
        ranks = [rankdata([t[k] for k in keys]) - 1 for t in trials]
        mean = np.mean(ranks, axis=0) / (len(keys) - 1)
        combined.update(zip(keys, mean, strict=True))
    return combined


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


def test_two_trials_make_a_parent_with_mean_and_std(two_trials, asdbench_cache):
    report, out = two_trials
    client = MlflowClient()
    parent = client.get_run(report["run_id"])
    children = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert sorted(c.data.tags["asdbench.trial"] for c in children) == ["0", "1"]
    assert len({c.data.params["trial_seed"] for c in children}) == 2  # independent seeds
    values = [c.data.metrics["dev/official_score"] for c in children]
    [tree] = (asdbench_cache / "synthetic").iterdir()
    by_hand = [  # each trial's figure, from the scores it wrote
        official_from(read_scores(out / f"trial-{c.data.tags['asdbench.trial']}/scores.csv"), tree,
                      "dev")
        for c in children
    ]  # fmt: skip
    assert values == pytest.approx([100 * v for v in by_hand], abs=1e-10)  # percent
    assert parent.data.metrics["dev/official_score_mean"] == pytest.approx(np.mean(values))
    assert parent.data.metrics["dev/official_score_std"] == pytest.approx(np.std(values, ddof=1))
    assert report["trials"]["dev/official_score_mean"] == pytest.approx(np.mean(values))


def test_mean_ensemble_equals_the_mean_of_the_trials_score_files(two_trials, asdbench_cache):
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
    [tree] = (asdbench_cache / "synthetic").iterdir()
    for partition in ("dev", "eval"):
        assert report[partition]["official_score"] == pytest.approx(
            100 * official_from(ensemble, tree, partition), abs=1e-10
        )
    parent = MlflowClient().get_run(report["run_id"])
    assert parent.data.metrics["ensemble/eval/official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )


def test_ensemble_command_combines_finished_runs_without_retraining(two_trials, asdbench_cache):
    report, out = two_trials
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
    trials = [read_scores(out / f"trial-{i}/scores.csv") for i in (0, 1)]
    [tree] = (asdbench_cache / "synthetic").iterdir()
    assert ranked["dev"]["official_score"] == pytest.approx(
        100 * official_from(ranked_by_hand(trials), tree, "dev"), abs=1e-10
    )
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
