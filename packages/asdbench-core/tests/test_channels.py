"""Two channels end to end: stereo synthetic clips (near microphone left, far right), kept as
two channels by ``stereo=both``, heard by an embedder that declares it takes two, and refused
before any work for one that does not."""

import json

import numpy as np
import pytest
import soundfile
import torch
from click.testing import CliRunner

import asdbench
from asdbench.cli import cli
from asdbench.synthetic import SynthesisPlan, SyntheticDataset, ensure_tree
from asdbench.testing import official_score_by_hand, tree_truth
from asdbench.tracking.connection import client


class CentresLoss(torch.nn.Module):
    """A small trainable softmax loss over cosine similarities to class centres."""

    def __init__(self, *, num_classes: int, embedding_dim: int) -> None:
        super().__init__()
        self.centres = torch.nn.Parameter(torch.randn(num_classes, embedding_dim))

    def forward(self, embeddings, targets):
        logits = (
            8
            * torch.nn.functional.normalize(embeddings, dim=1)
            @ (torch.nn.functional.normalize(self.centres, dim=1).T)
        )
        return -(targets * torch.log_softmax(logits, 1)).sum(1).mean()


class MonoEmbedder(torch.nn.Module):
    """An embedder that declares nothing about channels: it takes one."""

    def __init__(self, *, sample_rate: int, clip_samples: int, embedding_dim: int) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(clip_samples, embedding_dim)

    def forward(self, waveforms):
        return self.linear(waveforms)


class MisdeclaredEmbedder(MonoEmbedder):
    """Declares its channels as a number, not a tuple of counts."""

    accepts_channels = 2


class Plugin:
    @asdbench.hookimpl
    def asdbench_losses(self):
        yield asdbench.LossSpec(name="centres", factory=CentresLoss, summary="test loss")

    @asdbench.hookimpl
    def asdbench_embedders(self):
        yield asdbench.EmbedderSpec(name="mono", factory=MonoEmbedder, summary="one channel")


@pytest.fixture(autouse=True)
def plugin(register_plugin):
    register_plugin(Plugin(), "channels-test")


def test_stereo_synthetic_clips_keep_the_mono_clip_on_the_left(tmp_path):
    """``microphones=2`` writes each clip as stereo: the left channel is the mono tree's clip
    sample for sample, the right the far microphone, quieter in the same noise class."""
    mono_plan = SyntheticDataset(size="tiny").plan
    stereo_plan = SyntheticDataset(size="tiny", microphones=2).plan
    assert mono_plan.key() != stereo_plan.key()
    mono = ensure_tree(tmp_path / "mono", mono_plan, progress=False)
    stereo = ensure_tree(tmp_path / "stereo", stereo_plan, progress=False)
    files = sorted(p.relative_to(mono) for p in mono.rglob("*.wav"))
    assert files == sorted(p.relative_to(stereo) for p in stereo.rglob("*.wav"))
    for name in files[:: max(1, len(files) // 12)]:
        near, rate = soundfile.read(str(mono / name), dtype="int16")
        both, _ = soundfile.read(str(stereo / name), dtype="int16")
        assert rate == 16000 and both.shape == (len(near), 2)
        assert np.array_equal(both[:, 0], near)
        assert not np.array_equal(both[:, 1], near)
    with pytest.raises(asdbench.DataError, match="written with other options"):
        ensure_tree(stereo, SynthesisPlan("tiny", 0), progress=False)


def test_both_channels_train_the_dual_branch_network_end_to_end(
    mlflow_tracking, asdbench_cache, tmp_path
):
    """``stereo=both`` on stereo clips trains ``dual_branch`` on ``[B, 2, T]`` waveforms and
    scores every section; keeping the left channel alone gives other embeddings."""
    args = ["run", "--loss", "centres", "--embedder", "dual_branch", "--epochs", "1"]
    args += ["--set", "dataset.size=tiny", "--set", "dataset.microphones=2"]
    args += ["--set", "train.embedding_dim=32", "--set", "backend.n_means=2", "--quiet"]
    both = CliRunner().invoke(
        cli, [*args, "--set", "dataset.stereo=both", "--format", "json", "--output", "both"]
    )
    assert both.exit_code == 0, both.output
    report = json.loads(both.stdout)
    left = CliRunner().invoke(
        cli, [*args, "--set", "dataset.stereo=first", "--format", "json", "--output", "left"]
    )
    assert left.exit_code == 0, left.output
    [tree] = (asdbench_cache / "synthetic").iterdir()
    for name, result in (("both", report), ("left", json.loads(left.stdout))):
        system = next((tmp_path / name / "submission" / "asdbench").iterdir())
        for partition in ("dev", "eval"):  # each figure from the files each run wrote
            assert result[partition]["official_score"] == pytest.approx(
                100 * official_score_by_hand(system, tree_truth(tree, partition)), abs=1e-10
            )
    both_scores = (tmp_path / "both" / "submission").rglob(
        "anomaly_score_rotor_section_00_test.csv"
    )
    left_scores = (tmp_path / "left" / "submission").rglob(
        "anomaly_score_rotor_section_00_test.csv"
    )
    assert next(both_scores).read_text() != next(left_scores).read_text()  # the far mic is heard
    runs = client().search_runs([e.experiment_id for e in client().search_experiments()])
    assert {r.data.params.get("dataset.stereo") for r in runs} >= {"both", "first"}


def test_an_embedder_that_takes_one_channel_is_refused_before_any_work(
    mlflow_tracking, asdbench_cache, tmp_path
):
    """Two channels to an embedder that declares none: one line, exit 2, naming the embedder,
    the dataset and the embedders that take two; nothing decoded, no MLflow run."""
    args = ["run", "--loss", "centres", "--embedder", "mono", "--set", "dataset.size=tiny"]
    args += ["--set", "dataset.microphones=2", "--set", "dataset.stereo=both"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.output.strip() == (
        "Error: --embedder mono takes 1 channel(s), but the dataset synthetic keeps 2 channels "
        "per clip: keep one with the dataset's options, or choose an embedder that takes 2 "
        "(dual_branch, logmel_stats)"
    )
    assert not (asdbench_cache / "audio").exists()
    assert client().search_runs([e.experiment_id for e in client().search_experiments()]) == []


def test_one_channel_of_stereo_clips_still_suits_a_mono_embedder(mlflow_tracking, asdbench_cache):
    """The same clips with the near microphone kept (``stereo=first``) run with the embedder
    that takes one channel."""
    args = ["run", "--loss", "centres", "--embedder", "mono", "--epochs", "1", "--quiet"]
    args += ["--set", "dataset.size=tiny", "--set", "dataset.microphones=2"]
    args += ["--set", "dataset.stereo=first", "--set", "backend.n_means=2"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output


def test_a_malformed_channel_declaration_names_its_plugin(register_plugin, mlflow_tracking):
    class Misdeclared:
        @asdbench.hookimpl
        def asdbench_embedders(self):
            yield asdbench.EmbedderSpec(name="odd", factory=MisdeclaredEmbedder, summary="odd")

    register_plugin(Misdeclared(), "misdeclared", distribution="asdbench-odd")
    result = CliRunner().invoke(cli, ["run", "--loss", "centres", "--embedder", "odd"])
    assert result.exit_code == 2, result.output
    assert result.output.strip() == (
        "Error: embedder 'odd' (asdbench-odd): accepts_channels must be a tuple of channel "
        "counts (whole numbers of at least 1), got 2"
    )
