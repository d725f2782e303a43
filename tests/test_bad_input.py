"""Bad input is one line and exit status 2 before any work starts: option values a component
refuses are caught when the run is resolved (so ``--dry-run`` catches them), data the pipeline
cannot train on is refused before training, and no MLflow run is left behind."""

import itertools
import shutil

import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli
from asdbench.training.loop import batch_bounds


def refused_before_any_work(command: list[str], extras, message: str, cache) -> None:
    """``command`` with each of ``extras`` is exit 2 and one line holding ``message``, and
    leaves no MLflow run and no prepared data behind."""
    for extra in extras:
        result = CliRunner().invoke(cli, [*command, *extra])
        assert result.exit_code == 2, result.output
        assert message in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    nothing_started(cache)


def nothing_started(cache) -> None:
    client = MlflowClient()
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []
    assert not (cache / "synthetic").exists(), "no data was prepared"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "dataset.clip_seconds=-1"], "clip_seconds must be between 0.25 and 120, got -1"),
        (["--set", "dataset.clip_seconds=nan"], "option 'clip_seconds' must be finite float"),
        (
            ["--embedder", "logmel_stats", "--set", "dataset.clip_seconds=0.0625"],
            "clip_seconds must be between 0.25 and 120, got 0.0625",
        ),
        (["--set", "dataset.clip_seconds=1e6"], "clip_seconds must be between 0.25 and 120"),
        (
            ["--embedder", "logmel_stats", "--set", "train.embedding_dim=8192"],
            "clips of 16000 samples are shorter than the 32768-sample STFT window",
        ),
        (["--set", "loss.initial_scale=nan"], "'initial_scale' must be finite float | None"),
        (["--set", "loss.initial_scale=inf"], "'initial_scale' must be finite float | None"),
        (["--set", "backend.random_state=-5"], "must be int (0 to 4294967295), got '-5'"),
        (["--set", "backend.random_state=99999999999"], "must be int (0 to 4294967295)"),
        (
            ["--set", "loss.subspace_dim=0"],
            "loss 'adaproj' (asdbench-adaproj): subspace_dim must be at least 1",
        ),
        (["--set", "backend.n_means=0"], "backend 'kmeans' (asdbench-core): n_means must be"),
        (
            ["--set", "train.learning_rate=nan"],
            "option 'learning_rate' must be finite float, got 'nan'",
        ),
        (["--set", "train.adam_eps=0"], "train.adam_eps must be positive"),
        (["--seed", "-1"], "--seed must be between 0 and 4294967295, got -1"),
        (["--seed", "99999999999999999999"], "--seed must be between 0 and 4294967295"),
        (["--batch-size", "1"], "train.batch_size must be at least 2"),
    ],
)
def test_option_values_a_component_refuses_fail_at_resolve_time(
    mlflow_tracking, asdbench_cache, args, message
):
    refused_before_any_work(["run", *args], (["--dry-run"], ["--quiet"]), message, asdbench_cache)


def test_a_device_this_machine_lacks_is_refused_before_any_work(mlflow_tracking, asdbench_cache):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA device")
    for extra in (["--dry-run"], ["--quiet"]):
        result = CliRunner().invoke(cli, ["run", "--device", "cuda", *extra])
        assert result.exit_code == 2, result.output
        assert result.output.strip() == (
            "Error: device cuda: no CUDA device is available (torch sees none)"
        )
    nothing_started(asdbench_cache)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("data_dir = 5", "data_dir must be a folder or a table of folders by dataset, got 5"),
        ("losses = 5", "losses must be a name or a non-empty list of names, got 5"),
        ("losses = []", "losses must be a name or a non-empty list of names, got []"),
        ('seed = "x"', "seed must be a whole number >= 0, got 'x'"),
        ('trials = "3"', "trials must be a whole number >= 1, got '3'"),
        ('epochs = "ten"', "epochs must be a whole number >= 1, got 'ten'"),
        ("epochs = 1.5", "epochs must be a whole number >= 1, got 1.5"),
        ('device = "tpu"', "device must be one of auto, cpu, cuda, got 'tpu'"),
        ('set = {"loss.initial_scale" = nan}', "'initial_scale' must be finite float | None"),
        ("seed = 99999999999", "--seed must be between 0 and 4294967295, got 99999999999"),
    ],
)
def test_a_sweep_file_value_of_the_wrong_kind_is_refused_before_any_work(
    mlflow_tracking, asdbench_cache, tmp_path, line, message
):
    plan = tmp_path / "sweep.toml"
    plan.write_text(f"[sweep]\n{line}\n")
    command = ["sweep", "--config", str(plan)]
    refused_before_any_work(command, (["--dry-run"], []), message, asdbench_cache)


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
    """``asdbench run`` on a copy of the tiny synthetic tree after ``damage(root)``."""
    from asdbench.synthetic import SyntheticDataset, ensure_tree

    source = ensure_tree(tmp_path / "tree", SyntheticDataset(size="tiny").plan, progress=False)
    root = tmp_path / "copy"
    shutil.copytree(source, root)
    damage(root)
    return CliRunner().invoke(cli, ["run", *tiny_run_args, "--data-dir", str(root)])


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


#: The tiny synthetic tree's machine types renamed as DCASE2023's (dev, then eval).
AS_DCASE2023 = {"rotor": "fan", "gears": "gearbox", "valve": "bandsaw", "blower": "grinder"}


def a_plain_tree(tmp_path, names=None):
    """A copy of the tiny synthetic tree read as a plain DCASE tree (no marker), its machine
    types renamed by ``names``: folders and ground-truth files."""
    from asdbench.synthetic import SyntheticDataset, ensure_tree

    source = ensure_tree(tmp_path / "tree", SyntheticDataset(size="tiny").plan, progress=False)
    root = tmp_path / "plain"
    shutil.copytree(source, root)
    (root / "asdbench-synthetic.json").unlink()
    for old, new in (names or {}).items():
        for partition in ("dev_data", "eval_data"):
            if (root / partition / old).exists():
                (root / partition / old).rename(root / partition / new)
        for path in (root / "ground_truth").rglob(f"ground_truth_{old}_*"):
            path.rename(path.with_name(path.name.replace(f"_{old}_", f"_{new}_")))
    return root


def dcase2023_args(root):
    args = [a for a in TINY_ARGS if a != "dataset.size=tiny"]
    args.remove("--set")  # the one before dataset.size: dcase2023 has no size option
    return ["run", *args, "--dataset", "dcase2023", "--data-dir", str(root), "--ground-truth",
            str(root / "ground_truth"), "--set", "dataset.clip_seconds=1"]  # fmt: skip


TINY_ARGS = ["--set", "dataset.size=tiny", "--epochs", "1", "--batch-size", "16", "--quiet",
             "--set", "train.embedding_dim=16", "--format", "json"]  # fmt: skip


def test_a_tree_that_is_not_the_datasets_is_refused_before_any_work(
    mlflow_tracking, asdbench_cache, tmp_path
):
    """A year's dataset pointed at a tree of other machine types, or at part of its own, stops
    with one line naming what differs: nothing is trained, logged or written."""
    other = a_plain_tree(tmp_path / "other")
    part = a_plain_tree(tmp_path / "part", AS_DCASE2023)
    for root, named in (
        (other, "gears: not a dcase2023 dev machine type"),
        (part, "ToyCar: dcase2023 dev machine type not found"),
    ):
        for extra in ([], ["--dry-run"]):
            result = CliRunner().invoke(cli, [*dcase2023_args(root), "--output", "out", *extra])
            assert result.exit_code == 2, result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
            assert f"is not the whole dcase2023 dataset: {named}" in result.output
            assert "--set dataset.machines=" in result.output
    info = CliRunner().invoke(cli, ["data", "info", "--dataset", "dcase2023", "--data-dir",
                                    str(part)])  # fmt: skip
    assert info.exit_code == 2 and "bearing: dcase2023 dev machine type not found" in info.output
    client = MlflowClient()
    assert client.search_runs([e.experiment_id for e in client.search_experiments()]) == []
    assert not (tmp_path / "out").exists()


def test_part_of_a_dataset_asked_for_is_labelled_as_part_wherever_its_score_appears(
    mlflow_tracking, asdbench_cache, tmp_path
):
    """``dataset.machines`` scores some machine types by the year's rule, and every output
    says so: the run's table and JSON, and the leaderboard in each format."""
    import csv
    import io
    import json

    root = a_plain_tree(tmp_path, AS_DCASE2023)
    subset = "fan+gearbox+bandsaw+grinder"
    args = [*dcase2023_args(root), "--set", f"dataset.machines={subset}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["dev"]["rule"] == "dcase2023" and report["dev"]["subset"] == subset.split("+")
    table = CliRunner().invoke(cli, [a for a in args if a not in ("--format", "json")])
    assert f"dev official score (dcase2023 rule, on {subset} only):" in table.output
    shown = f"dcase2023 ({subset} only)"
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    assert {cell["dataset"] for cell in board["cells"]} == {shown}
    rows = csv.DictReader(io.StringIO(CliRunner().invoke(cli, ["leaderboard", "--format",
                                                               "csv"]).stdout))  # fmt: skip
    assert {row["dataset"] for row in rows} == {shown}
    for fmt in ("text", "markdown"):
        text = CliRunner().invoke(cli, ["leaderboard", "--format", fmt]).output
        assert shown in text
    drill = ["--set", "dataset.machines=fan+drill"]
    unknown = CliRunner().invoke(cli, [*dcase2023_args(root), *drill])
    assert unknown.exit_code == 2
    assert "machines: drill not a dcase2023 machine type" in unknown.output


def test_a_sweep_scores_again_after_the_ground_truth_is_corrected_in_place(
    mlflow_tracking, asdbench_cache, tmp_path
):
    """A cell is keyed on what its ground truth says, not where it is: after a label file is
    corrected in place, ``sweep`` runs the cell again (from the cached trial, no retraining)
    instead of reporting it done with the old eval score, and the leaderboard tells the two
    apart by the digest."""
    import json

    root = a_plain_tree(tmp_path, AS_DCASE2023)
    subset = "fan+gearbox+bandsaw+grinder"
    sweep = ["sweep", "--dataset", "dcase2023", "--data-dir", str(root), "--ground-truth",
             str(root / "ground_truth"), "--set", "dataset.clip_seconds=1", "--set",
             f"dataset.machines={subset}", "--epochs", "1", "--batch-size", "16", "--set",
             "train.embedding_dim=16", "--quiet"]  # fmt: skip
    first = CliRunner().invoke(cli, sweep)
    assert first.exit_code == 0 and "queued" in first.stderr, first.output
    assert "done" in CliRunner().invoke(cli, sweep).stderr
    labels = (
        root / "ground_truth" / "ground_truth_data" / "ground_truth_bandsaw_section_00_test.csv"
    )
    rows = [line.split(",") for line in labels.read_text().splitlines()]
    labels.write_text("".join(f"{name},{1 - int(value)}\n" for name, value in rows))
    again = CliRunner().invoke(cli, sweep)
    assert again.exit_code == 0 and "queued" in again.stderr, again.output
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    cells = [c for c in board["cells"] if c["partition"] == "eval"]
    assert len(cells) == 2 and "ground_truth_digest" in board["cells"][0]["settings"]
    assert len({c["settings"]["ground_truth_digest"] for c in cells}) == 2
    assert len({c["official_score_mean"] for c in cells}) == 2


def test_an_output_folder_that_cannot_be_written_is_refused_before_any_work(
    mlflow_tracking, asdbench_cache, tmp_path, quick_run_args
):
    import os
    import subprocess

    in_the_way = tmp_path / "notes.txt"
    in_the_way.write_text("a file")
    result = CliRunner().invoke(cli, ["run", *quick_run_args, "--output", f"{in_the_way}/out"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        f"Error: --output {in_the_way}/out: {in_the_way} is a file, not a folder"
    )
    locked = tmp_path / "locked"
    locked.mkdir()
    if shutil.which("chattr") and subprocess.run(["chattr", "+i", str(locked)]).returncode == 0:
        try:
            assert not os.access(locked, os.W_OK)
            result = CliRunner().invoke(cli, ["run", *quick_run_args, "--output", f"{locked}/o"])
            assert result.exit_code == 2, result.output
            assert result.output.strip() == (
                f"Error: --output {locked}/o: {locked} cannot be written (read-only or no "
                "permission)"
            )
        finally:
            subprocess.run(["chattr", "-i", str(locked)], check=True)
    nothing_started(asdbench_cache)


def test_a_second_cell_given_the_same_output_is_refused(
    mlflow_tracking, asdbench_cache, tmp_path, quick_run_args
):
    """The first cell's files stay: another cell (another back end) may not write over them;
    the same cell again may."""
    output = tmp_path / "out"
    first = CliRunner().invoke(cli, ["run", *quick_run_args, "--output", str(output)])
    assert first.exit_code == 0, first.output
    written = (output / "config.json").read_text()
    other = ["run", *quick_run_args, "--backend", "knn", "--output", str(output)]
    result = CliRunner().invoke(cli, other)
    assert result.exit_code == 2, result.output
    assert "holds the files of another cell" in result.output
    assert "choose another folder" in result.output
    assert (output / "config.json").read_text() == written
    again = CliRunner().invoke(cli, ["run", *quick_run_args, "--output", str(output)])
    assert again.exit_code == 0, again.output


def test_values_that_mean_the_same_make_one_cell_and_a_huge_grid_is_refused(
    mlflow_tracking, asdbench_cache
):
    same = ["sweep", "--set", "backend.n_means=4,04,+4", "--set", "dataset.class_domain=true,yes"]
    result = CliRunner().invoke(cli, [*same, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert [line for line in result.output.splitlines() if line.startswith("to run")] == [
        "to run  synthetic / adaproj/dual_branch/kmeans (1 trials)"
    ]
    values = ",".join(str(n) for n in range(1, 101))
    huge = ["sweep", "--set", f"backend.n_means={values}", "--set", "loss.subspace_dim=1,2,4"]
    huge += ["--set", "train.epochs=1,2,3,4"]
    result = CliRunner().invoke(cli, [*huge, "--dry-run"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: the grid has 1200 cells, more than 1000: split it into several sweeps"
    )
