"""Presets: the AdaProj plugin's two (the paper's, the released code's), how a run takes,
overrides and records them, and their use from sweep files."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from mlflow.tracking import MlflowClient

from asdbench.cli import cli
from asdbench.pipeline.resolve import resolve

#: What issue 18 and docs/reproducing.md say each preset is, written out by hand: the paper's
#: sizes, trials and ensemble; the released code's sizes, classes, trials, crops, median and
#: batch-norm variance.
EXPECTED = {
    "adaproj-paper": {
        "loss": "adaproj",
        "embedder": "dual_branch",
        "backend": "kmeans",
        "ensemble": "mean",
        "trials": 10,
        "std": "population",
        "train.embedding_dim": 512,
        "loss.subspace_dim": 32,
        "loss.logit": "normalized_distance",
        "backend.n_means": 32,
        "dataset.classes": "train",
        "train.crop": "once",
        "train.embed_offset": "random",
        "loss.scale_median": "tfp-nearest",
        "embedder.bn_moving_variance": "keras",
        "embedder.block2_bn_bug": True,
        "embedder.time_pooling": "window18",
    },
    "adaproj-code": {
        "loss": "adaproj",
        "embedder": "dual_branch",
        "backend": "kmeans",
        "ensemble": None,
        "trials": 5,
        "std": "population",
        "train.embedding_dim": 256,
        "loss.subspace_dim": 16,
        "loss.logit": "cosine",
        "backend.n_means": 16,
        "dataset.classes": "train+dev-test",
        "train.crop": "once",
        "train.embed_offset": "random",
        "loss.scale_median": "tfp-nearest",
        "embedder.bn_moving_variance": "keras",
        "embedder.block2_bn_bug": True,
        "embedder.time_pooling": "window18",
    },
}


def invoke(*args):
    return CliRunner().invoke(cli, list(args))


def value_of(config, key):
    """What a resolved run uses for a preset key."""
    if key == "ensemble":
        return config.ensemble.name if config.ensemble else None
    if key in ("loss", "embedder", "backend"):
        return getattr(config, key).name
    if key in ("trials", "std"):
        return getattr(config, key)
    section, _, option = key.partition(".")
    if section == "train":
        return getattr(config.train, option)
    return getattr(config, section).resolved_options()[option]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_preset_resolves_to_what_it_reproduces(name):
    config = resolve(preset=name)
    for key, wanted in EXPECTED[name].items():
        assert value_of(config, key) == wanted, key
    assert config.preset.label == f"{name}@1" and config.preset.changed == ()


def test_list_presets_shows_each_with_its_version_and_values():
    result = invoke("list", "presets")
    assert result.exit_code == 0, result.output
    assert "adaproj-paper@1" in result.output and "adaproj-code@1" in result.output
    assert "loss.subspace_dim = 16" in result.output
    listed = json.loads(invoke("list", "presets", "--json").output)
    code = next(p for p in listed if p["name"] == "adaproj-code")
    assert code["version"] == "1" and code["distribution"] == "asdbench-adaproj"
    assert code["values"]["dataset.classes"] == "train+dev-test"
    everything = json.loads(invoke("list", "--json").output)
    assert {p["name"] for p in everything["preset"]} >= {"adaproj-paper", "adaproj-code"}
    plugins = json.loads(invoke("plugins", "--json").output)
    adaproj = next(p for p in plugins if p["distribution"] == "asdbench-adaproj")
    assert "asdbench_presets" in adaproj["hooks"]
    assert {"kind": "preset", "name": "adaproj-code"} in adaproj["components"]


def test_dry_run_marks_the_presets_values_and_what_the_run_changes():
    result = invoke(
        "run", "--preset", "adaproj-code", "--dry-run", "--set", "loss.subspace_dim=8",
        "--trials", "2",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = result.output
    assert "preset    adaproj-code@1 with loss.subspace_dim=8, trials=2" in plan
    assert "subspace_dim = 8  (set)" in plan
    assert "n_means = 16  (preset)" in plan
    assert "classes = 'train+dev-test'  (preset)" in plan
    assert "crop = 'once'  (preset)" in plan
    assert "std       population (spread over trials)  (preset)" in plan
    assert "trials    2\n" in plan


def test_flags_and_sets_win_and_a_replaced_component_drops_the_presets_options():
    config = resolve(
        preset="adaproj-paper",
        loss="adacos",
        ensemble="none",
        train={"epochs": 3},
        sets=["backend.n_means=4", "train.crop=each_epoch"],
    )
    assert config.loss.name == "adacos" and config.ensemble is None
    assert config.backend.options["n_means"] == 4 and config.train.epochs == 3
    assert config.train.crop == "each_epoch"
    assert config.train.embedding_dim == 512  # still the preset's
    assert dict(config.preset.changed) == {
        "loss": "adacos",
        "ensemble": "none",
        "train.epochs": "3",
        "backend.n_means": "4",
        "train.crop": "each_epoch",
    }
    # a value equal to the preset's is no change
    same = resolve(preset="adaproj-code", sets=["loss.subspace_dim=16"])
    assert same.preset.label == "adaproj-code@1"


def test_a_preset_is_a_name_for_values_not_a_cell_of_its_own():
    """The same values given by hand make the same benchmark cell (the sweep finds it done)."""
    preset = resolve(preset="adaproj-code")
    values = {k: v for k, v in EXPECTED["adaproj-code"].items() if "." in k}
    by_hand = resolve(sets=[f"{k}={v}" for k, v in values.items()], trials=5)
    assert by_hand.cell_hash() == preset.cell_hash()
    assert by_hand.preset is None and by_hand.as_dict()["preset"] == "none"
    assert resolve().cell_hash() != preset.cell_hash()


def test_a_sweep_file_names_a_preset(tmp_path, mlflow_tracking):
    plan = tmp_path / "grid.toml"
    plan.write_text('[sweep]\npreset = "adaproj-code"\nset = {"loss.subspace_dim" = [8, 16]}\n')
    result = invoke("sweep", "--config", str(plan), "--dry-run")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("to run")]
    assert len(lines) == 2 and all("(5 trials)" in line for line in lines)
    from asdbench.pipeline.sweeps import build_configs, read_sweep_file

    flags = dict.fromkeys(
        ("losses", "datasets", "embedders", "backends"), ()
    ) | dict.fromkeys(
        ("trials", "ensemble", "seed", "epochs", "batch_size", "precision", "data_dir",
         "ground_truth", "preset"),
    )  # fmt: skip
    configs = build_configs(read_sweep_file(plan), flags, ())
    assert [c.preset.label for c in configs] == [
        "adaproj-code@1 with loss.subspace_dim=8",
        "adaproj-code@1",
    ]
    assert all(c.backend.options["n_means"] == 16 for c in configs)


SMALL = ["--set", "dataset.size=tiny", "--epochs", "1", "--batch-size", "16", "--quiet"]


@pytest.mark.slow
def test_both_presets_run_on_the_synthetic_dataset_and_are_recorded(
    mlflow_tracking, asdbench_cache
):
    client = MlflowClient()
    code = invoke("run", "--preset", "adaproj-code", *SMALL, "--trials", "2")
    assert code.exit_code == 0, code.output
    parent = client.search_runs(
        [client.get_experiment_by_name("asdbench-synthetic").experiment_id],
        "tags.`asdbench.run_type` = 'cell'",
    )[0]
    label = "adaproj-code@1 with train.epochs=1, train.batch_size=16, trials=2"
    assert parent.data.tags["asdbench.preset"] == label
    assert parent.data.params["preset"] == label
    assert parent.data.params["train.crop"] == "once"
    trials = client.search_runs(
        [parent.info.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    assert all(t.data.tags["asdbench.preset"] == label for t in trials)
    scores = [t.data.metrics["dev/official_score"] for t in trials]
    # the released code's spread: the population std, by numpy
    assert parent.data.metrics["dev/official_score_pstd"] == pytest.approx(np.std(scores))
    assert parent.data.metrics["dev/official_score_std"] == pytest.approx(np.std(scores, ddof=1))
    assert "(mean ± population std over 2 trials)" in code.output
    assert not any(k.startswith("ensemble/") for k in parent.data.metrics)

    paper = invoke("run", "--preset", "adaproj-paper", *SMALL, "--trials", "2")
    assert paper.exit_code == 0, paper.output
    cells = client.search_runs(
        [parent.info.experiment_id],
        "tags.`asdbench.run_type` = 'cell' and tags.`asdbench.ensemble` = 'mean'",
    )
    assert cells[0].data.tags["asdbench.preset"].startswith("adaproj-paper@1 with ")
    assert "ensemble/dev/official_score" in cells[0].data.metrics
    assert cells[0].data.params["loss.logit"] == "normalized_distance"
    # the leaderboard tells the two apart by their preset, and selects by it
    board = json.loads(invoke("leaderboard", "--format", "json").stdout)
    presets = {cell["settings"]["preset"] for cell in board["cells"]}
    assert label in presets and len(presets) == 2
    chosen = invoke("leaderboard", "--format", "json", "--where", f"preset={label}")
    assert {c["run_id"] for c in json.loads(chosen.stdout)["cells"]} == {parent.info.run_id}
