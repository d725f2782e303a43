"""Every back end through ``asdbench run --backend NAME`` on one trial's embeddings (rescored
from the trial cache, not embedded again), and a sweep crossing back ends that the leaderboard
compares. The trial is the training-free floor's, so that core and this plugin alone run it."""

import json

import pytest
from click.testing import CliRunner

from asdbench.cli import cli

BACKENDS = ("smote_knn", "density_knn", "lof", "mahalanobis", "selective_mahalanobis", "gmm")
TINY = ["--embedder", "logmel_stats", "--set", "dataset.size=tiny", "--quiet"]


@pytest.mark.slow
def test_every_back_end_rescores_one_trial_and_a_sweep_compares_them(
    tmp_path, mlflow_tracking, asdbench_cache
):
    first = CliRunner().invoke(cli, ["run", *TINY, "--output", str(tmp_path / "kmeans")])
    assert first.exit_code == 0, first.output
    for backend in BACKENDS:
        args = ["run", *TINY, "--backend", backend, "--output", str(tmp_path / backend)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        assert "reusing the trained model and embeddings" in result.output
        assert "eval official score (dcase2023 rule):" in result.output
    sweep = ["sweep", *TINY[:-1], *(a for b in ("kmeans", *BACKENDS) for a in ("--backend", b))]
    swept = CliRunner().invoke(cli, sweep)
    assert swept.exit_code == 0, swept.output
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    eval_rows = [c for c in board["cells"] if c["partition"] == "eval"]
    assert {c["backend"] for c in eval_rows} == {"kmeans", *BACKENDS}
    assert all(c["official_score_mean"] is not None for c in eval_rows)
