"""The CLI as a user sees it: listings, errors on one line with exit status 2, dry runs."""

import json
import subprocess
import sys
import types
from typing import Annotated

import click
import pytest
from click.testing import CliRunner

import asdbench
from asdbench.cli import cli


class Components:
    """One component of every kind, so that a full run plan resolves."""

    @asdbench.hookimpl
    def asdbench_losses(self):
        yield asdbench.LossSpec(name="toyloss", factory=self.loss, summary="A toy loss")

    @asdbench.hookimpl
    def asdbench_embedders(self):
        yield asdbench.EmbedderSpec(name="toyemb", factory=self.embedder, summary="emb")

    @asdbench.hookimpl
    def asdbench_backends(self):
        yield asdbench.BackendSpec(name="toyback", factory=self.backend, summary="back")

    @asdbench.hookimpl
    def asdbench_datasets(self):
        yield asdbench.DatasetSpec(name="toydata", factory=self.dataset, summary="data")

    @asdbench.hookimpl
    def asdbench_ensembles(self):
        yield asdbench.EnsembleSpec(name="toyens", factory=self.ensemble, summary="ens")

    @asdbench.hookimpl
    def asdbench_presets(self):
        yield asdbench.PresetSpec(
            name="toy-system",
            version="3",
            summary="The toy system at its reference sizes",
            values={
                "loss": "toyloss",
                "embedder": "toyemb",
                "backend": "toyback",
                "ensemble": "toyens",
                "loss.subspace_dim": 8,
                "backend.renormalize": True,
                "ensemble.weights": "rank",
                "train.embedding_dim": 64,
                "train.epochs": 4,
                "trials": 3,
                "std": "population",
            },
        )

    @asdbench.hookimpl
    def asdbench_commands(self, cli):
        @cli.command("hello")
        def hello():
            """Say hello from a plugin."""
            click.echo("hello from a plugin")

    @staticmethod
    def loss(*, num_classes: int, embedding_dim: int, subspace_dim: int = 32) -> None: ...

    @staticmethod
    def embedder(*, sample_rate: int, clip_samples: int, embedding_dim: int) -> None: ...

    @staticmethod
    def backend(
        *, n_means: Annotated[int, "Means per section"] = 32, renormalize: bool = False
    ) -> None: ...

    @staticmethod
    def dataset() -> object:
        """What a run needs of a dataset before loading it: its sizes and audio format."""
        return types.SimpleNamespace(
            name="toydata",
            sample_rate=16000,
            clip_samples=16000,
            audio_format=asdbench.AudioFormat(),
        )

    @staticmethod
    def ensemble(*, weights: str = "equal") -> None: ...


RUN = [
    "run",
    "--loss",
    "toyloss",
    "--embedder",
    "toyemb",
    "--backend",
    "toyback",
    "--dataset",
    "toydata",
]


@pytest.fixture
def runner(register_plugin):
    register_plugin(Components(), "toys", distribution="asdbench-toys", version="9.9")
    return CliRunner()


def test_plugins_json_lists_distribution_version_hooks_and_components(runner):
    result = runner.invoke(cli, ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    [record] = [r for r in json.loads(result.output) if r["name"] == "toys"]
    assert record["distribution"] == "asdbench-toys" and record["version"] == "9.9"
    assert "asdbench_losses" in record["hooks"]
    assert {"kind": "loss", "name": "toyloss"} in record["components"]


def test_plugins_requirements(runner):
    result = runner.invoke(cli, ["plugins", "--requirements"])
    assert "asdbench-toys==9.9" in result.output.splitlines()


def test_version_lists_plugin_distributions(runner):
    result = runner.invoke(cli, ["--version"])
    lines = result.output.splitlines()
    assert lines[0].startswith("asdbench-core ")
    assert "  asdbench-toys 9.9" in lines


def test_list_shows_summary_and_options(runner):
    result = runner.invoke(cli, ["list", "backends"])
    assert result.exit_code == 0, result.output
    assert "toyback  back  [asdbench-toys]" in result.output
    assert "n_means: int = 32" in result.output and "renormalize: bool = False" in result.output


def test_list_shows_option_descriptions_and_the_training_settings(runner):
    result = runner.invoke(cli, ["list", "backend"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    toy = lines.index("  toyback  back  [asdbench-toys]")
    assert lines[toy + 1] == "      n_means: int = 32          Means per section"
    assert lines[toy + 2] == "      renormalize: bool = False"
    lines = runner.invoke(cli, ["list", "train"]).output.splitlines()
    assert lines[0] == "train (10 settings of the training loop)"
    [epochs] = [x for x in lines if x.strip().startswith("epochs:")]
    assert epochs.split()[:4] == ["epochs:", "int", "=", "10"]
    assert epochs.endswith("Passes over the training clips")


def test_list_alone_is_an_overview_of_one_line_per_component(runner):
    """``asdbench list`` fits on a screen or two: every component, setting and preset by name,
    no options, and how to see them."""
    from asdbench.contracts import KINDS
    from asdbench.registry.components import components
    from asdbench.registry.presets import presets

    output = runner.invoke(cli, ["list"]).output
    lines = output.splitlines()
    named = sum(len(components(kind)) for kind in KINDS) + len(presets())
    # a header per kind and a blank line between kinds; the training settings, the presets'
    # header and the hint, each after a blank line
    assert len(lines) == named + len(KINDS) + (len(KINDS) - 1) + 2 + 2 + 2
    assert "  toyback  back  [asdbench-toys]" in lines and "n_means" not in output
    assert any(line.startswith("train (10): epochs, batch_size,") for line in lines)
    assert lines[-1].startswith("Options and values: asdbench list KIND")


def test_list_json_gives_every_option_with_type_default_and_description(runner):
    result = runner.invoke(cli, ["list", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {
        "loss",
        "embedder",
        "backend",
        "dataset",
        "ensemble",
        "train",
        "preset",
    }
    [toy] = [c for c in payload["backend"] if c["name"] == "toyback"]
    assert toy["distribution"] == "asdbench-toys" and toy["summary"] == "back"
    assert toy["options"][0] == {
        "name": "n_means",
        "type": "int",
        "required": False,
        "default": 32,
        "description": "Means per section",
        "range": None,
    }
    assert {k: v for k, v in payload["train"][0].items() if k != "description"} == {
        "name": "epochs",
        "type": "int",
        "required": False,
        "default": 10,
        "range": None,
    }
    one_kind = json.loads(runner.invoke(cli, ["list", "backends", "--json"]).output)
    assert set(one_kind) == {"backend"}


def test_plugin_command_is_added(runner):
    assert "hello" in runner.invoke(cli, ["--help"]).output
    assert runner.invoke(cli, ["hello"]).output == "hello from a plugin\n"


def test_dry_run_prints_the_resolved_plan(runner):
    result = runner.invoke(
        cli,
        [
            *RUN,
            "--dry-run",
            "--set",
            "loss.subspace_dim=16",
            "--ensemble",
            "toyens",
            "--set",
            "ensemble.weights=rank",
            "--set",
            "train.learning_rate=0.0005",
            "--epochs",
            "3",
            "--precision",
            "bf16",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "precision = 'bf16'" in result.output
    assert "loss      toyloss  [asdbench-toys 9.9]" in result.output
    assert "subspace_dim = 16  (set)" in result.output
    assert "renormalize = False" in result.output
    assert "ensemble  toyens" in result.output and "weights = 'rank'  (set)" in result.output
    assert "learning_rate = 0.0005" in result.output and "epochs = 3" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--loss", "nope"], "Error: unknown loss 'nope'; available: toyloss"),
        (
            ["--set", "loss.subspace=4"],
            "loss 'toyloss' has no option 'subspace'; its options: subspace_dim",
        ),
        (["--set", "loss.subspace_dim=four"], "option 'subspace_dim' must be int, got 'four'"),
        (["--set", "optimizer.lr=1"], "unknown section 'optimizer'"),
        (["--set", "subspace_dim=4"], "expected KIND.OPTION=VALUE"),
        (["--set", "train.lr=1"], "--set train.lr: no such training setting"),
        (["--trials", "0"], "--trials must be at least 1, got 0"),
        (["--epochs", "-1"], "train.epochs must be at least 1, got -1"),
        (["--set", "ensemble.x=1"], "no --ensemble was chosen"),
        (["--num-workers", "0"], "--num-workers must be at least 1, got 0"),
        (["--precision", "bf16", "--set", "train.precision=fp32"], "train.precision"),
    ],
)
def test_user_errors_are_one_line_with_status_2(runner, args, message):
    result = runner.invoke(cli, [*RUN, *args, "--dry-run"])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_bare_run_names_the_missing_loss_plugin():
    """Core alone has no loss: the default run says so before doing any work."""
    result = CliRunner().invoke(cli, ["run"])
    assert result.exit_code == 2
    assert "Error: unknown loss 'adaproj'; available: none installed" in result.output


def test_help_and_plugins_do_not_import_torch():
    """Entry-point modules and the CLI stay import-light (napari's lesson)."""
    code = (
        "import sys; from asdbench.cli import cli; from click.testing import CliRunner;"
        "r = CliRunner().invoke(cli, ['plugins', '--all']); assert r.exit_code == 0, r.output;"
        "CliRunner().invoke(cli, ['--help']);"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr


def test_list_presets_shows_name_version_summary_and_values(runner):
    result = runner.invoke(cli, ["list", "presets"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "  toy-system@3  The toy system at its reference sizes  [asdbench-toys]" in lines
    assert "      loss.subspace_dim = 8" in lines and "      trials = 3" in lines
    [record] = json.loads(runner.invoke(cli, ["list", "presets", "--json"]).output)
    assert record["version"] == "3" and record["values"]["backend.renormalize"] is True
    [plugin] = [r for r in json.loads(runner.invoke(cli, ["plugins", "--json"]).output)
                if r["name"] == "toys"]  # fmt: skip
    assert "asdbench_presets" in plugin["hooks"]
    assert {"kind": "preset", "name": "toy-system"} in plugin["components"]


def test_a_preset_fills_what_the_command_line_leaves_and_marks_it(runner):
    result = runner.invoke(
        cli, ["run", "--preset", "toy-system", "--dataset", "toydata", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    plan = result.output
    assert "preset    toy-system@3  [asdbench-toys 9.9]" in plan
    assert "loss      toyloss  [asdbench-toys 9.9]  (preset)" in plan
    assert "subspace_dim = 8  (preset)" in plan and "renormalize = True  (preset)" in plan
    assert "ensemble  toyens  [asdbench-toys 9.9]  (preset)" in plan
    assert "embedding_dim = 64  (preset)" in plan and "epochs = 4  (preset)" in plan
    assert "trials    3  (preset)" in plan
    assert "std       population (spread over trials)  (preset)" in plan


def test_flags_and_sets_override_a_preset_and_the_run_says_what_changed(runner):
    from asdbench.pipeline.resolve import resolve

    config = resolve(
        preset="toy-system",
        dataset="toydata",
        train={"epochs": 2},
        sets=["loss.subspace_dim=16", "backend.renormalize=true", "train.embedding_dim=32"],
        trials=1,
        std="sample",
    )
    assert config.loss.options == {"subspace_dim": 16} and config.train.epochs == 2
    assert config.train.embedding_dim == 32 and config.trials == 1 and config.std == "sample"
    assert config.ensemble.options == {"weights": "rank"}
    # renormalize=true is the preset's own value: no change
    assert config.preset.changed == (
        ("loss.subspace_dim", "16"),
        ("train.embedding_dim", "32"),
        ("train.epochs", "2"),
        ("trials", "1"),
        ("std", "sample"),
    )
    assert config.preset.label.startswith("toy-system@3 with loss.subspace_dim=16, ")
    assert config.as_dict()["preset"] == config.preset.label
    # no ensemble even though the preset has one: its ensemble options go with it
    alone = resolve(preset="toy-system", dataset="toydata", ensemble="none")
    assert alone.ensemble is None and alone.preset.changed == (("ensemble", "none"),)
    # the same values without the preset are the same benchmark cell
    by_hand = resolve(
        loss="toyloss",
        embedder="toyemb",
        backend="toyback",
        dataset="toydata",
        ensemble="toyens",
        sets=["loss.subspace_dim=8", "backend.renormalize=true", "ensemble.weights=rank",
              "train.embedding_dim=64", "train.epochs=4"],
        trials=3,
    )  # fmt: skip
    preset = resolve(preset="toy-system", dataset="toydata")
    assert by_hand.cell_hash() == preset.cell_hash() and by_hand.preset is None


def test_a_preset_value_a_component_refuses_is_an_error_naming_the_preset(runner, register_plugin):
    class Bad:
        @asdbench.hookimpl
        def asdbench_presets(self):
            yield asdbench.PresetSpec(
                name="bad-option", version="1", summary="x", values={"backend.n_mean": 4}
            )
            yield asdbench.PresetSpec(
                name="bad-value", version="2", summary="x", values={"train.epochs": "many"}
            )

    def run_with(name):
        result = runner.invoke(cli, [*RUN, "--preset", name, "--dry-run"])
        assert result.exit_code == 2 and "Traceback" not in result.output
        [line] = result.output.strip().splitlines()
        return line

    assert run_with("nope") == "Error: unknown preset 'nope'; available: toy-system"
    register_plugin(Bad(), "bad")
    assert run_with("bad-option").startswith(
        "Error: preset bad-option@1 backend.n_mean: backend 'toyback' has no option 'n_mean'"
    )
    assert run_with("bad-value") == (
        "Error: preset bad-value@2: train option 'epochs' must be int, got 'many'"
    )


def test_two_plugins_registering_one_preset_name_is_an_error_naming_both(runner, register_plugin):
    class Clash:
        @asdbench.hookimpl
        def asdbench_presets(self):
            yield asdbench.PresetSpec(name="toy-system", version="1", summary="again")

    register_plugin(Clash(), "clash")
    result = runner.invoke(cli, ["list", "presets"])
    assert result.exit_code == 2
    assert "preset 'toy-system' is registered twice" in result.output
    assert "asdbench-toys 9.9" in result.output and "clash" in result.output


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"dataset": "dcase2023"}, "unknown key 'dataset'"),
        ({"optimizer.lr": 1}, "unknown key 'optimizer.lr'"),
        ({"loss.subspace_dim": [8, 16]}, "must be text, a number, a bool or None"),
        ({"trials": "ten"}, "trials must be a whole number of at least 1"),
        ({"trials": 0}, "trials must be a whole number of at least 1"),
        ({"std": "pop"}, "std must be 'sample' or 'population'"),
        ({"loss": 3}, "loss must name a component"),
    ],
)
def test_a_malformed_preset_is_refused_when_it_is_declared(values, message):
    with pytest.raises(ValueError, match=message):
        asdbench.PresetSpec(name="x", version="1", summary="x", values=values)
    with pytest.raises(ValueError, match="version"):
        asdbench.PresetSpec(name="x", version=" ", summary="x")


def test_a_preset_that_no_run_could_use_is_named_and_its_label_is_accepted(runner, register_plugin):
    class Broken:
        @asdbench.hookimpl
        def asdbench_presets(self):
            yield asdbench.PresetSpec(
                name="gone", version="3", summary="x", values={"ensemble": "vanished"}
            )
            yield asdbench.PresetSpec(
                name="nan-rate", version="1", summary="x", values={"train.learning_rate": "nan"}
            )

    register_plugin(Broken(), "broken")

    def first_line(name):
        result = runner.invoke(cli, [*RUN, "--preset", name, "--dry-run"])
        assert result.exit_code == 2, result.output
        return result.output.strip().splitlines()[0]

    assert first_line("gone").startswith("Error: preset gone@3: unknown ensemble 'vanished'")
    assert first_line("nan-rate").startswith("Error: preset nan-rate@1")
    assert "learning_rate" in first_line("nan-rate")
    assert first_line("gone@2") == (
        "Error: preset gone is at version 3 here, not 2: its values changed since; use "
        "--preset gone@3 (asdbench list presets shows them)"
    )
    labelled = runner.invoke(cli, [*RUN, "--preset", "toy-system@3", "--dry-run"])
    assert labelled.exit_code == 0, labelled.output
