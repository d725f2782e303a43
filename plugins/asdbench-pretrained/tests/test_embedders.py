"""The BEATs and EAT embedders: the conformance kit on the small random checkpoints, the frozen
embeddings against the references' final features, LoRA's update against its definition, and
what a run records."""

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch
from asdbench_pretrained.embedders import FrozenBeats, FrozenEat, LoraBeats, LoraEat

from asdbench.testing import EmbedderConformanceTests

DATA = Path(__file__).parent / "data"
TINY = str(DATA / "beats_tiny.pt")
TINY_EAT = str(DATA / "eat_tiny")
REFERENCE = np.load(DATA / "beats_tiny_reference.npz")
EAT_REFERENCE = np.load(DATA / "eat_tiny_reference.npz")
WIDTH = 48  # the small checkpoints' encoder width


class TestFrozenBeats(EmbedderConformanceTests):
    factory = "beats"
    embedding_dim = WIDTH
    options = {"checkpoint": TINY}
    option_variants = {"layer": 1}
    # mean_std needs another embedding_dim (test_frozen_mean_std_by_hand)
    invalid_options = {"checkpoint": str(DATA / "absent.pt"), "layer": 4, "pooling": "max"}


class TestLoraBeats(EmbedderConformanceTests):
    factory = "beats_lora"
    options = {"checkpoint": TINY, "lora_rank": 4}
    option_variants = {
        "layer": 2,
        "pooling": "mean",
        "lora_rank": 8,
        "lora_targets": "q_proj,k_proj,v_proj,fc1",
        "lora_alpha": 16.0,
        "lora_dropout": 0.5,
    }
    inert_options = {
        "lora_alpha": "LoRA's B starts at zero, so alpha scales an update that is zero until "
        "trained (test_lora_adds_alpha_over_rank_times_b_a_x shows its effect)",
    }
    invalid_options = {"checkpoint": None, "lora_targets": "q_proj,query", "layer": 9}


class TestFrozenEat(EmbedderConformanceTests):
    factory = "eat"
    embedding_dim = WIDTH
    options = {"checkpoint": TINY_EAT}
    option_variants = {"layer": 1, "pooling": "mean"}
    invalid_options = {"checkpoint": str(DATA / "beats_tiny.pt"), "layer": 4, "pooling": "asp"}


class TestLoraEat(EmbedderConformanceTests):
    factory = "eat_lora"
    options = {"checkpoint": TINY_EAT, "lora_rank": 4}
    option_variants = {
        "layer": 2,
        "pooling": "asp",
        "lora_rank": 8,
        "lora_targets": "qkv,proj,fc1,fc2",
        "lora_alpha": 16.0,
        "lora_dropout": 0.5,
    }
    inert_options = {
        "lora_alpha": "LoRA's B starts at zero, so alpha scales an update that is zero until "
        "trained (test_lora_adds_alpha_over_rank_times_b_a_x shows its effect)",
        "lora_dropout": "dropout acts on the LoRA branch, which adds zero until trained (the "
        "small EAT has no other dropout whose random draws it would shift)",
    }
    invalid_options = {"checkpoint": None, "lora_targets": "q_proj", "pooling": "max"}


@pytest.mark.parametrize(
    ("pooling", "expected"),
    [
        ("cls", EAT_REFERENCE["final"][:, 0]),
        ("mean", EAT_REFERENCE["final"][:, 1:].mean(axis=1)),
    ],
)
def test_frozen_eat_is_the_references_utterance_token_or_patch_mean(pooling, expected):
    embedder = FrozenEat(
        sample_rate=16000,
        clip_samples=24000,
        embedding_dim=WIDTH,
        checkpoint=TINY_EAT,
        pooling=pooling,
    )
    with torch.no_grad():
        ours = embedder.eval()(torch.from_numpy(EAT_REFERENCE["clips"])).numpy()
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4)


def test_eat_lora_adapts_the_fused_qkv_of_every_block():
    embedder = LoraEat(
        sample_rate=16000, clip_samples=16000, embedding_dim=8, checkpoint=TINY_EAT, lora_rank=4
    )
    trainable = {n for n, p in embedder.named_parameters() if p.requires_grad}
    adapted = {n.split(".lora_")[0] for n in trainable if "lora_" in n}
    assert adapted == {f"encoder.blocks.{i}.attn.qkv" for i in range(3)}
    assert {n for n in trainable if "lora_" not in n} == {"head.weight", "head.bias"}


def test_frozen_mean_is_the_mean_of_the_references_final_features():
    embedder = FrozenBeats(
        sample_rate=16000, clip_samples=24000, embedding_dim=WIDTH, checkpoint=TINY
    )
    with torch.no_grad():
        ours = embedder.eval()(torch.from_numpy(REFERENCE["clips"])).numpy()
    np.testing.assert_allclose(ours, REFERENCE["final"].mean(axis=1), rtol=0, atol=1e-4)


def test_frozen_mean_std_by_hand():
    """``mean_std``: the reference's final tokens' mean, then their (population) standard
    deviation, per channel; the embedding is twice the width."""
    embedder = FrozenBeats(
        sample_rate=16000,
        clip_samples=24000,
        embedding_dim=2 * WIDTH,
        checkpoint=TINY,
        pooling="mean_std",
    )
    with torch.no_grad():
        ours = embedder.eval()(torch.from_numpy(REFERENCE["clips"])).numpy()
    final = REFERENCE["final"]
    expected = np.concatenate([final.mean(axis=1), final.std(axis=1)], axis=1)
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-4)


def test_a_clip_at_another_rate_is_resampled_to_16_khz():
    """A 32 kHz clip is the 16 kHz clip upsampled: its embedding is close to the original's
    (resampling is not exact at the band edge)."""
    from scipy.signal import resample_poly

    clips = REFERENCE["clips"]
    at_32k = resample_poly(clips, 2, 1, axis=-1).astype(np.float32)
    native = FrozenBeats(
        sample_rate=16000, clip_samples=24000, embedding_dim=WIDTH, checkpoint=TINY
    )
    doubled = FrozenBeats(
        sample_rate=32000, clip_samples=48000, embedding_dim=WIDTH, checkpoint=TINY
    )
    with torch.no_grad():
        a = native.eval()(torch.from_numpy(clips))
        b = doubled.eval()(torch.from_numpy(at_32k))
    assert torch.nn.functional.cosine_similarity(a, b).min() > 0.999


def test_a_clip_shorter_than_one_patch_is_refused():
    with pytest.raises(ValueError, match="shorter than one BEATs patch"):
        FrozenBeats(sample_rate=16000, clip_samples=2799, embedding_dim=WIDTH, checkpoint=TINY)


def test_lora_adds_alpha_over_rank_times_b_a_x():
    """LoRA's definition (Hu et al. 2022): an adapted map is W x + (alpha / r) B A x. With B
    set, the adapted q_proj of the first layer equals that, computed by hand."""
    torch.manual_seed(0)
    embedder = LoraBeats(
        sample_rate=16000,
        clip_samples=16000,
        embedding_dim=8,
        checkpoint=TINY,
        lora_rank=4,
        lora_alpha=12.0,
    ).eval()
    q_proj = embedder.encoder.encoder.layers[0].self_attn.q_proj
    a = q_proj.lora_A["default"].weight
    b = q_proj.lora_B["default"].weight
    with torch.no_grad():
        b.normal_()
    base = q_proj.base_layer
    x = torch.randn(5, WIDTH)
    expected = x @ base.weight.T + base.bias + (12.0 / 4) * (x @ a.T @ b.T)
    with torch.no_grad():
        torch.testing.assert_close(q_proj(x), expected, rtol=1e-5, atol=1e-5)


def test_lora_trains_only_the_adapters_and_the_head():
    embedder = LoraBeats(
        sample_rate=16000, clip_samples=16000, embedding_dim=8, checkpoint=TINY, lora_rank=4
    )
    trainable = {n for n, p in embedder.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in n or n.startswith("head.") for n in trainable)
    adapted = {n.split(".lora_")[0] for n in trainable if "lora_" in n}
    assert adapted == {
        f"encoder.encoder.layers.{i}.self_attn.{m}" for i in range(3) for m in ("q_proj", "v_proj")
    }
    before = {n: p.detach().clone() for n, p in embedder.named_parameters() if not p.requires_grad}
    optimiser = torch.optim.Adam([p for p in embedder.parameters() if p.requires_grad], lr=0.1)
    for _ in range(2):
        optimiser.zero_grad()
        embedder.train()(0.1 * torch.randn(3, 16000)).square().sum().backward()
        optimiser.step()
    after = dict(embedder.named_parameters())
    assert all(torch.equal(before[n], after[n]) for n in before)


def test_the_run_names_the_checkpoint_by_its_sha256():
    """``input_digests`` is the file's SHA-256, computed here with hashlib (test_runs.py shows
    it on the MLflow run and a trial's stored weights without the encoder)."""
    digest = hashlib.sha256(Path(TINY).read_bytes()).hexdigest()
    assert FrozenBeats.input_digests({"checkpoint": TINY}) == {"checkpoint_sha256": digest}
    assert LoraBeats.input_digests({"checkpoint": TINY}) == {"checkpoint_sha256": digest}
    assert LoraBeats.input_digests({"checkpoint": None}) == {}
    weights, config = (
        hashlib.sha256((DATA / "eat_tiny" / f).read_bytes()).hexdigest()
        for f in ("model.safetensors", "config.json")
    )
    expected = {"checkpoint_sha256": weights, "checkpoint_config_sha256": config}
    assert FrozenEat.input_digests({"checkpoint": TINY_EAT}) == expected
