"""``asdbench leaderboard`` and ``asdbench sweep`` over cells in a real sqlite MLflow store."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli


def invoke(*args):
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_sweep_runs_the_grid_then_skips_finished_cells(mlflow_tracking, asdbench_cache, tmp_path):
    sweep_file = tmp_path / "sweep.toml"
    sweep_file.write_text(
        '[sweep]\nlosses = ["adaproj", "adacos"]\ndatasets = ["synthetic"]\ntrials = 2\n'
        'ensemble = "mean"\nepochs = 1\nbatch_size = 16\n'
        'set = ["dataset.size=tiny", "train.embedding_dim=16"]\n'
    )
    first = invoke("sweep", "--config", str(sweep_file), "--quiet")
    assert first.stderr.count("queued  synthetic") == 2
    assert "adaproj" in first.stdout and "adacos" in first.stdout  # the leaderboard
    again = invoke("sweep", "--config", str(sweep_file), "--quiet")
    assert again.stderr.count("done     synthetic") == 2 and "queued" not in again.stderr

    rows = json.loads(invoke("leaderboard", "--dataset", "synthetic", "--format", "json").stdout)
    assert {(r["loss"], r["partition"]) for r in rows} == {
        (loss, partition) for loss in ("adaproj", "adacos") for partition in ("dev", "eval")
    }
    client = MlflowClient()
    for row in rows:
        parent = client.get_run(row["run_id"])
        assert row["official_score"]["mean"] == pytest.approx(
            parent.data.metrics[f"{row['partition']}/official_score"]
        )
        assert row["official_score"]["std"] == pytest.approx(
            parent.data.metrics[f"{row['partition']}/official_score_std"]
        )
        assert row["ensemble_official_score"] == pytest.approx(
            parent.data.metrics[f"ensemble/{row['partition']}/official_score"]
        )
        assert row["trials"] == 2
    for partition in ("dev", "eval"):
        scores = [r["official_score"]["mean"] for r in rows if r["partition"] == partition]
        assert scores == sorted(scores, reverse=True)

    markdown = invoke("leaderboard", "--format", "markdown").stdout
    assert markdown.splitlines()[0].startswith("| dataset | partition | loss |")
    assert " ± " in markdown  # mean ± std over the two trials
    last = client.get_run(rows[0]["run_id"])
    text = client.download_artifacts(last.info.run_id, "leaderboard.md", str(tmp_path))
    assert "| synthetic |" in Path(text).read_text()


def test_empty_leaderboard_and_unknown_experiment(mlflow_tracking):
    result = CliRunner().invoke(cli, ["leaderboard"])
    assert result.exit_code == 0 and "No finished benchmark cells" in result.output
    missing = CliRunner().invoke(cli, ["leaderboard", "--experiment", "nope"])
    assert missing.exit_code == 2 and "no MLflow experiment 'nope'" in missing.output
