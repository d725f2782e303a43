"""The training-free floor: the log-mel statistics embedder against numpy by hand, its mel
filters against the HTK mel scale, the conformance kit, and a run that trains nothing."""

import csv
import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.model.untrained import LogMelStatsEmbedder, mel_filters
from asdbench.testing import EmbedderConformanceTests, official_score_by_hand, tree_truth
from asdbench.tracking.connection import client


def htk_mel(hz):
    return 2595.0 * np.log10(1.0 + np.asarray(hz) / 700.0)


def test_mel_filters_are_unit_area_triangles_centred_on_the_htk_mel_scale():
    filters = mel_filters(16000, 1024, 40, 8000.0)
    bins = np.linspace(0, 8000, 513)
    assert filters.shape == (40, 513) and np.allclose(filters.sum(axis=1), 1.0)
    centres = bins[filters.argmax(axis=1)]
    expected = 700 * (10 ** (np.linspace(0, htk_mel(8000), 42)[1:-1] / 2595) - 1)
    assert np.all(np.abs(centres - expected) <= 8000 / 512)  # within one bin
    assert np.all(np.diff(centres) >= 0)
    many = mel_filters(16000, 512, 200, 8000.0)  # bands narrower than a bin at low frequency
    assert (many.sum(axis=1) > 0).all()


def numpy_log_mel_stats(wave, n_fft, hop, n_mels):
    """Written out with numpy: reflect-padded frames, Hann window, |rfft|², the mel filters,
    log10, then mean and population std over frames per band."""
    padded = np.pad(wave.astype(np.float64), n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    frames = [padded[s : s + n_fft] * window for s in range(0, len(padded) - n_fft + 1, hop)]
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # [frames, bins]
    log_mel = np.log10(np.maximum(power @ mel_filters(16000, n_fft, n_mels, 8000.0).T, 1e-10))
    return np.concatenate([log_mel.mean(axis=0), log_mel.std(axis=0)])


def test_the_embedding_is_the_mean_and_std_over_frames_of_the_log_mel_spectrum():
    rng = np.random.default_rng(0)
    wave = rng.uniform(-0.5, 0.5, 8000).astype(np.float32)
    embedder = LogMelStatsEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=64)
    n_fft, hop = embedder.n_fft, embedder.hop
    assert (n_fft, hop) == (512, 256)  # 8 bins per band, at least 512
    with torch.no_grad():
        got = embedder(torch.from_numpy(wave)[None])[0].numpy()
    assert np.allclose(got, numpy_log_mel_stats(wave, n_fft, hop, 32), atol=1e-3)


def test_two_channels_give_each_channel_its_own_statistics_first_channel_first():
    """With ``channels=2`` the embedding is the left channel's mean and std over half the bands,
    then the right's: the numpy computation of each channel, concatenated."""
    rng = np.random.default_rng(1)
    left = rng.uniform(-0.5, 0.5, 8000).astype(np.float32)
    right = (0.1 * rng.standard_normal(8000)).astype(np.float32)
    embedder = LogMelStatsEmbedder(
        sample_rate=16000, clip_samples=8000, embedding_dim=128, channels=2
    )
    assert (embedder.n_fft, embedder.hop) == (512, 256)  # 32 bands per channel
    with torch.no_grad():
        got = embedder(torch.from_numpy(np.stack([left, right]))[None])[0].numpy()
    expected = np.concatenate(
        [numpy_log_mel_stats(left, 512, 256, 32), numpy_log_mel_stats(right, 512, 256, 32)]
    )
    assert got.shape == (128,) and np.allclose(got, expected, atol=1e-3)


def test_options_it_refuses():
    with pytest.raises(ValueError, match="embedding_dim must be a multiple of 2 "):
        LogMelStatsEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=63)
    with pytest.raises(ValueError, match="embedding_dim must be a multiple of 4 "):
        LogMelStatsEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=66, channels=2)
    with pytest.raises(ValueError, match="channels must be 1 or 2, got 3"):
        LogMelStatsEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=64, channels=3)
    with pytest.raises(ValueError, match="max_frequency must be in"):
        LogMelStatsEmbedder(
            sample_rate=16000, clip_samples=8000, embedding_dim=64, max_frequency=9000.0
        )


class TestLogMelStats(EmbedderConformanceTests):
    factory = LogMelStatsEmbedder
    option_variants = {"max_frequency": 4000.0}
    invalid_options = {"max_frequency": -1.0}


def test_a_run_with_the_floor_trains_nothing_and_records_no_loss(
    mlflow_tracking, asdbench_cache, tmp_path
):
    args = ["run", "--embedder", "logmel_stats", "--set", "dataset.size=tiny", "--format"]
    result = CliRunner().invoke(cli, [*args, "json", "--output", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "epoch" not in result.stderr
    report = json.loads(result.stdout)
    [tree] = (asdbench_cache / "synthetic").iterdir()
    system = next((tmp_path / "out" / "submission" / "asdbench").iterdir())
    for partition in ("dev", "eval"):
        assert report[partition]["official_score"] == pytest.approx(
            100 * official_score_by_hand(system, tree_truth(tree, partition)), abs=1e-10
        )
    maps = sorted(p.name for p in (tmp_path / "out" / "trial-0" / "maps").glob("*.png"))
    assert maps == ["map_blower.png", "map_gears.png", "map_rotor.png", "map_valve.png"]
    runs = client().search_runs([e.experiment_id for e in client().search_experiments()])
    assert {r.data.params.get("loss.name") for r in runs} == {"none"}
    [trial] = [r for r in runs if r.data.tags.get("asdbench.run_type") == "trial"]
    logged = [a.path for a in client().list_artifacts(trial.info.run_id, "maps")]
    assert "maps/map_valve.png" in logged and "maps/map_valve.csv" in logged
    refused = CliRunner().invoke(cli, ["run", "--embedder", "logmel_stats", "--loss", "adacos"])
    assert refused.exit_code == 2
    assert "the embedder logmel_stats needs no training, so it takes no loss" in refused.output
    refused = CliRunner().invoke(cli, ["run", "--loss", "none"])
    assert refused.exit_code == 2 and "dual_branch is trained; choose a loss" in refused.output


def test_embedding_maps_are_the_pca_of_each_machines_clips(tmp_path):
    """Without umap-learn a map is the PCA of the L2-normalised embeddings of a machine
    type's training and test clips: the coordinates written beside it equal numpy's SVD
    projection (up to each axis' sign); supplemental clips are left out."""
    from asdbench.data.clips import Clip, ClipTable
    from asdbench.reporting.maps import projection, write_embedding_maps

    rng = np.random.default_rng(0)
    clips = [
        Clip(tmp_path / f"{machine}_{i}.wav", "t", "dev", machine, "00",
             "target" if i % 4 == 0 else "source", split,
             "anomaly" if split == "test" and i % 2 else "normal")
        for machine in ("fan", "pump")
        for i, split in enumerate(["train"] * 8 + ["test"] * 6 + ["supplemental"])
    ]  # fmt: skip
    embeddings = rng.standard_normal((len(clips), 6))
    written = write_embedding_maps(ClipTable(clips), embeddings, tmp_path / "maps", method="pca")
    assert [p.name for p in written] == ["map_fan.png", "map_pump.png"]
    assert projection("auto") in ("umap", "pca")
    with open(tmp_path / "maps" / "map_fan.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 14 and {r["split"] for r in rows} == {"train", "test"}
    x = embeddings[:14] / np.linalg.norm(embeddings[:14], axis=1, keepdims=True)
    centred = x - x.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    expected = centred @ vt[:2].T
    got = np.array([[float(r["x"]), float(r["y"])] for r in rows])
    for axis in range(2):
        assert np.allclose(np.abs(got[:, axis]), np.abs(expected[:, axis]))
    from PIL import Image

    described = Image.open(written[0]).info["Description"]
    assert described == (
        "source train: 6; target train: 2; source test normal: 1; target test normal: 2; "
        "source test anomalous: 3"
    )
