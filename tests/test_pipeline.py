"""``asdbench run`` end to end on the tiny synthetic dataset: outputs, MLflow, resume, losses."""

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli
from asdbench.model.dual_branch import DualBranchEmbedder
from asdbench.pipeline.cells import run_benchmark
from asdbench.pipeline.prepare import prepare
from asdbench.pipeline.resolve import resolve
from asdbench.pipeline.resources import available_cores
from asdbench.pipeline.trials import train_and_embed
from asdbench.testing import official_score_by_hand, tree_truth


def adaproj_on_tiny(*, embedding_dim: int, epochs: int, batch_size: int):
    """A resolved AdaProj run on the tiny synthetic dataset, for the pipeline functions."""
    return resolve(
        loss="adaproj",
        embedder="dual_branch",
        backend="kmeans",
        dataset="synthetic",
        sets=["dataset.size=tiny", f"train.embedding_dim={embedding_dim}", "loss.subspace_dim=4"],
        train={"epochs": epochs, "batch_size": batch_size},
    )


def run(*args):
    result = CliRunner().invoke(cli, ["run", *args])
    assert result.exit_code == 0, result.output
    return result


def test_run_writes_everything_and_logs_it_to_mlflow(
    mlflow_tracking, asdbench_cache, tiny_run_args
):
    result = run(*tiny_run_args, "--output", "out", "--format", "json")
    report = json.loads(result.stdout)
    assert set(report) == {"run_id", "output", "dev", "eval"}
    system = next((asdbench_cache.parent / "out" / "submission" / "asdbench").iterdir())
    for machine in ("rotor", "gears", "valve", "blower"):
        for kind in ("anomaly_score", "decision_result"):
            assert (system / f"{kind}_{machine}_section_00_test.csv").exists()
    # Each partition's official score, computed from the written submission and the tree's
    # labels by the evaluator's definition (scikit-learn), is the run's.
    tree = next((asdbench_cache / "synthetic").iterdir())
    for partition in ("dev", "eval"):
        assert {s["machine"] for s in report[partition]["sections"]} == (
            {"rotor", "gears"} if partition == "dev" else {"valve", "blower"}
        )
        assert report[partition]["official_score"] == pytest.approx(
            100 * official_score_by_hand(system, tree_truth(tree, partition)), abs=1e-10
        )
    # `asdbench evaluate` on the same files and the tree's ground truth agrees.
    truth = tree / "ground_truth"
    evaluated = CliRunner().invoke(
        cli,
        [
            "evaluate",
            str(system),
            "--dataset",
            "synthetic",
            "--set",
            "dataset.size=tiny",
            "--ground-truth",
            str(truth),
            "--format",
            "json",
        ],
    )
    assert evaluated.exit_code == 0, evaluated.output
    assert "rotor section 00: no ground truth, not scored" in evaluated.stderr
    assert json.loads(evaluated.stdout)["eval"]["official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )

    client = MlflowClient()
    parent = client.get_run(report["run_id"])
    assert parent.data.tags["asdbench.run_type"] == "cell"
    assert parent.data.tags["asdbench.loss"] == "adaproj"
    assert parent.data.tags["asdbench.pkg.asdbench-adaproj"] == "0.3.0"
    assert parent.data.params["loss.subspace_dim"] == "4"
    # A parent's aggregates name their estimator; with one trial there is no std.
    assert parent.data.metrics["eval/official_score_mean"] == pytest.approx(
        report["eval"]["official_score"]
    )
    assert "eval/official_score" not in parent.data.metrics
    assert "eval/official_score_std" not in parent.data.metrics
    assert parent.data.tags["asdbench.output"] == str((asdbench_cache.parent / "out").resolve())
    [child] = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert child.data.tags["asdbench.run_type"] == "trial"
    assert child.data.tags["asdbench.dataset"] == "synthetic"  # tags are set on children too
    metrics = child.data.metrics
    assert metrics["dev/official_score"] == pytest.approx(report["dev"]["official_score"])
    assert "dev/auc_source/rotor_00" in metrics and "eval/pauc/valve_00" in metrics
    steps = client.get_metric_history(child.info.run_id, "train/loss")
    assert len(steps) == 2 * 10  # 2 epochs x (4 machines x 20 training clips / batch 8)
    assert client.get_metric_history(child.info.run_id, "train/scale")
    artifacts = {a.path for a in client.list_artifacts(child.info.run_id)}
    assert {"submission", "plots", "results", "weights"} <= artifacts
    plots = {a.path for a in client.list_artifacts(child.info.run_id, "plots")}
    assert "plots/roc_rotor_section_00.png" in plots and "plots/hist_valve_section_00.png" in plots
    assert client.list_artifacts(parent.info.run_id, "config")[0].path == "config/resolved.json"
    weights = client.download_artifacts(child.info.run_id, "weights/weights.pt")
    state = torch.load(weights, weights_only=True)
    model = DualBranchEmbedder(sample_rate=16000, clip_samples=16000, embedding_dim=32)
    model.load_state_dict(state["embedder"])
    assert "adaptive_scale.value" in state["loss"]


def test_a_second_backend_reuses_the_trained_model(mlflow_tracking, asdbench_cache, tiny_run_args):
    first = run(*tiny_run_args, "--format", "json")
    threads = torch.get_num_threads()
    try:
        second = CliRunner().invoke(
            cli,
            ["run", *tiny_run_args, "--backend", "knn", "--format", "json", "--num-workers", "64"],
        )
        cores = available_cores()
        assert f"--num-workers 64 exceeds the {cores} cores available; using {cores}" in (
            second.stderr
        )
        assert torch.get_num_threads() == cores
    finally:
        torch.set_num_threads(threads)
    assert "reusing the trained model" in second.stderr
    assert json.loads(first.stdout)["run_id"] != json.loads(second.stdout)["run_id"]


def test_interrupted_run_resumes_to_the_same_scores(
    mlflow_tracking, asdbench_cache, tmp_path, monkeypatch
):
    config = adaproj_on_tiny(embedding_dim=32, epochs=2, batch_size=8)
    uninterrupted = run_benchmark(config, progress=False, echo=lambda m: None)

    monkeypatch.setenv("ASDBENCH_CACHE_DIR", str(tmp_path / "second-cache"))
    messages = []
    dataset, table, cache = prepare(config, messages.append, False)

    def interrupt(step, values):
        if step == 12:  # in epoch 2 (10 steps an epoch): the checkpoint of epoch 1 is written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train_and_embed(
            config,
            dataset,
            table,
            cache,
            0,
            resume=False,
            progress=False,
            echo=messages.append,
            on_step=interrupt,
        )
    resumed = run_benchmark(config, resume=True, progress=False, echo=messages.append)
    assert "resuming from epoch 1 of 2" in messages
    assert np.array_equal(resumed.trials[0].scores, uninterrupted.trials[0].scores)


@pytest.mark.parametrize("loss", ["adacos", "subcluster_adacos", "compactness", "compactness_cce"])
def test_every_loss_runs_on_the_synthetic_dataset(
    mlflow_tracking, asdbench_cache, quick_run_args, loss
):
    result = run("--loss", loss, *quick_run_args, "--format", "json", "--output", "out")
    report = json.loads(result.stdout)
    system = next((asdbench_cache.parent / "out" / "submission" / "asdbench").iterdir())
    tree = next((asdbench_cache / "synthetic").iterdir())
    for partition in ("dev", "eval"):
        assert report[partition]["official_score"] == pytest.approx(
            100 * official_score_by_hand(system, tree_truth(tree, partition)), abs=1e-10
        )


def test_same_seed_gives_bit_identical_scores(
    mlflow_tracking, asdbench_cache, tmp_path, monkeypatch
):
    config = adaproj_on_tiny(embedding_dim=16, epochs=1, batch_size=16)
    first = run_benchmark(config, progress=False, echo=lambda m: None)
    monkeypatch.setenv("ASDBENCH_CACHE_DIR", str(tmp_path / "other-cache"))  # no reuse
    second = run_benchmark(config, progress=False, echo=lambda m: None)
    assert np.array_equal(first.trials[0].scores, second.trials[0].scores)


def test_not_enough_disk_for_the_audio_cache_fails_early(tmp_path):
    from asdbench.data.audio import AudioFormat
    from asdbench.data.clips import Clip, ClipTable
    from asdbench.errors import DataError
    from asdbench.pipeline.prepare import check_disk_space

    huge = Clip(
        tmp_path / "a.wav", "d", "dev", "fan", "00", "source", "train", "normal", duration=1e12
    )  # seconds: far more than any disk holds as int16
    with pytest.raises(
        DataError, match=r"the audio cache needs about 33600000.0 GB in .*, but only .* GB are free"
    ):  # 1e12 s x 16000 samples x 2 bytes, and 5 % room
        check_disk_space(ClipTable([huge]), AudioFormat(), tmp_path / "cache")
    with pytest.raises(DataError, match=r"needs about 67200000.0 GB"):  # two channels kept
        check_disk_space(ClipTable([huge]), AudioFormat(stereo="both"), tmp_path / "cache")
    check_disk_space(
        ClipTable(
            [
                Clip(
                    tmp_path / "b.wav",
                    "d",
                    "dev",
                    "fan",
                    "00",
                    "source",
                    "train",
                    "normal",
                    duration=1.0,
                )
            ]
        ),
        AudioFormat(),
        tmp_path / "cache",
    )


def test_ground_truth_missing_a_machine_stops_the_run_before_any_work(
    mlflow_tracking, asdbench_cache, tiny_run_args, tmp_path
):
    """No eval score over some of the eval machines: the run stops with one line naming the
    machine, before training, and leaves no MLflow run."""
    import shutil

    from asdbench.synthetic import SyntheticDataset, ensure_tree

    root = ensure_tree(tmp_path / "tree", SyntheticDataset(size="tiny").plan, progress=False)
    truth = tmp_path / "truth"
    shutil.copytree(root / "ground_truth", truth)
    (truth / "ground_truth_data" / "ground_truth_valve_section_00_test.csv").unlink()
    (truth / "ground_truth_domain" / "ground_truth_valve_section_00_test.csv").unlink()
    result = CliRunner().invoke(
        cli, ["run", *tiny_run_args, "--data-dir", str(root), "--ground-truth", str(truth)]
    )
    assert result.exit_code == 2
    assert (
        "no ground truth for 1 eval section(s) with test clips: valve section 00" in result.output
    )
    assert "epoch" not in result.output and "Traceback" not in result.output
    client = MlflowClient()
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []


def test_quiet_shows_no_progress_bar_not_even_the_synthetic_datasets(
    mlflow_tracking, asdbench_cache, quick_run_args
):
    assert not (asdbench_cache / "synthetic").exists()  # the dataset is written by this run
    result = CliRunner().invoke(cli, ["run", *quick_run_args])
    assert result.exit_code == 0, result.output
    assert "writing synthetic dataset" not in result.output
    assert "epoch 1/1" not in result.output and "decoding audio" not in result.output
