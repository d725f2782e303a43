"""Every back end through ``asdbench run --backend NAME`` on one trial's embeddings (rescored
from the trial cache, not embedded again), and a sweep crossing back ends that the leaderboard
compares. The trial is the training-free floor's, so that core and this plugin alone run it."""

import json

import pytest
from asdbench_backends import plugin
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.testing import official_score_by_hand, tree_truth

BACKENDS = tuple(plugin.BACKENDS)
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
    [tree] = (asdbench_cache / "synthetic").iterdir()
    truth = tree_truth(tree, "eval")
    for row in eval_rows:  # each back end's eval score, from the files its run wrote
        system = next((tmp_path / row["backend"] / "submission" / "asdbench").iterdir())
        expected = 100 * official_score_by_hand(system, truth)  # outputs are in percent
        assert row["official_score_mean"] == pytest.approx(expected, abs=1e-10), row["backend"]
