"""Bad input is one line and exit status 2 before any work starts: option values a component
refuses are caught when the run is resolved (so ``--dry-run`` catches them), data the pipeline
cannot train on is refused before training, and no MLflow run is left behind."""

import itertools
import shutil

import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli
from asdbench.model.training import batch_bounds


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "dataset.clip_seconds=-1"], "clip_seconds must be a positive number, got -1.0"),
        (["--set", "dataset.clip_seconds=nan"], "clip_seconds must be a positive number, got nan"),
        (
            ["--set", "loss.subspace_dim=0"],
            "loss 'adaproj' (asdbench-adaproj): subspace_dim must be at least 1",
        ),
        (["--set", "backend.n_means=0"], "backend 'kmeans' (asdbench-core): n_means must be"),
        (["--set", "train.learning_rate=nan"], "train.learning_rate must be a finite number"),
        (["--set", "train.adam_eps=0"], "train.adam_eps must be positive"),
        (["--seed", "-1"], "--seed must be between 0 and 4294967295, got -1"),
        (["--seed", "99999999999999999999"], "--seed must be between 0 and 4294967295"),
        (["--batch-size", "1"], "train.batch_size must be at least 2"),
    ],
)
def test_option_values_a_component_refuses_fail_at_resolve_time(
    mlflow_tracking, asdbench_cache, args, message
):
    for extra in (["--dry-run"], ["--quiet"]):
        result = CliRunner().invoke(cli, ["run", *args, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    client = MlflowClient()
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []
    assert not (asdbench_cache / "synthetic").exists(), "no data was prepared"


@pytest.mark.parametrize("clips", [1, 2, 63, 64, 65, 129, 130])
def test_a_last_batch_of_one_clip_joins_the_batch_before(clips):
    bounds = batch_bounds(clips, 64)
    sizes = [stop - start for start, stop in bounds]
    assert sum(sizes) == clips and bounds[0][0] == 0 and bounds[-1][1] == clips
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bounds))  # no gap
    assert 1 not in sizes or clips == 1
    assert len(bounds) == max(1, -(-clips // 64) - (clips % 64 == 1 and clips > 1))


def test_training_with_a_last_batch_of_one_clip(mlflow_tracking, asdbench_cache, quick_run_args):
    """The tiny synthetic dataset has 80 training clips: batches of 79 leave one clip over."""
    args = [a for a in quick_run_args if a not in ("--batch-size", "16")]
    result = CliRunner().invoke(cli, ["run", *args, "--batch-size", "79"])
    assert result.exit_code == 0, result.output


def run_on_a_damaged_tree(tmp_path, tiny_run_args, damage):
    """``asdbench run --dataset dcase2023`` on a copy of the tiny synthetic tree, read as a
    plain DCASE tree, after ``damage(root)``."""
    from asdbench.data.synthetic import SyntheticDataset, ensure_tree

    source = ensure_tree(tmp_path / "tree", SyntheticDataset(size="tiny").plan, progress=False)
    root = tmp_path / "copy"
    shutil.copytree(source, root)
    (root / "asdbench-synthetic.json").unlink()  # read as a plain DCASE tree
    damage(root)
    args = [a for a in tiny_run_args if a != "dataset.size=tiny"]
    args.remove("--set")  # the one before dataset.size: dcase2023 has no size option
    return CliRunner().invoke(
        cli,
        [
            "run",
            *args,
            "--dataset",
            "dcase2023",
            "--data-dir",
            str(root),
            "--ground-truth",
            str(root / "ground_truth"),
            "--set",
            "dataset.clip_seconds=1",
        ],
    )


def test_a_section_with_tests_but_no_training_clips_is_refused_before_training(
    mlflow_tracking, asdbench_cache, tiny_run_args, tmp_path
):
    def no_training_clips(root):
        shutil.rmtree(root / "dev_data" / "rotor" / "train")

    result = run_on_a_damaged_tree(tmp_path, tiny_run_args, no_training_clips)
    assert result.exit_code == 2, result.output
    assert "1 section(s) have test clips but no training clips (rotor_00)" in result.output
    assert "epoch" not in result.output


def test_a_section_that_cannot_be_scored_officially_is_refused_before_training(
    mlflow_tracking, asdbench_cache, tiny_run_args, tmp_path
):
    """Without its target-domain normal test clips a section's AUC (target) is undefined: the
    run stops before training instead of reporting a score over the other sections."""

    def no_target_normal_test_clips(root):
        removed = list((root / "dev_data" / "gears" / "test").glob("*_target_test_normal_*.wav"))
        assert removed
        for path in removed:
            path.unlink()

    result = run_on_a_damaged_tree(tmp_path, tiny_run_args, no_target_normal_test_clips)
    assert result.exit_code == 2, result.output
    assert (
        "1 section(s) cannot be scored officially: gears_00 (no target-domain normal clip)"
        in result.output
    )
    assert "epoch" not in result.output
