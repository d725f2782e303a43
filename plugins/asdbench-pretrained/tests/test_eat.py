"""EAT written here against its authors' Hugging Face model code (``eat_model.py`` and
``model_core.py`` of the ``worstchan/EAT-*`` releases, run in a scratch environment with torch
2.9.1, torchaudio 2.9.1 and timm 1.0.31): the reference wrote a small random EAT in the
published format (``data/eat_tiny``: ``model.safetensors`` and ``config.json``) and recorded
its filterbank, the input to the first block, each block's output and its features on two clips
(``data/eat_tiny_reference.npz``)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from asdbench_pretrained.eat import EatConfig, eat_features, sincos_positions
from asdbench_pretrained.encoders import ARCHITECTURES, load

DATA = Path(__file__).parent / "data"
TINY = DATA / "eat_tiny"
REFERENCE = np.load(DATA / "eat_tiny_reference.npz")


def test_the_filterbank_equals_the_references():
    ours = eat_features(torch.from_numpy(REFERENCE["clips"]), 16).numpy()
    np.testing.assert_allclose(ours, REFERENCE["fbank"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("given", [TINY, TINY / "model.safetensors"])
def test_every_block_equals_the_references(given):
    encoder = load(ARCHITECTURES["eat"], str(given), None).eval()
    with torch.no_grad():
        outputs = encoder.layer_outputs(torch.from_numpy(REFERENCE["clips"]))
    assert len(outputs) == len(REFERENCE["layers"]) == 4
    for index, (ours, theirs) in enumerate(zip(outputs, REFERENCE["layers"], strict=True)):
        np.testing.assert_allclose(
            ours.numpy(), theirs, rtol=0, atol=1e-4, err_msg=f"block {index}"
        )
    np.testing.assert_allclose(outputs[-1].numpy(), REFERENCE["final"], rtol=0, atol=1e-4)


def test_a_release_without_the_fixed_positions_computes_them(tmp_path):
    from safetensors.torch import load_file, save_file

    weights = load_file(str(TINY / "model.safetensors"))
    del weights["model.fixed_positional_encoder.positions"]
    save_file(weights, str(tmp_path / "model.safetensors"))
    shutil.copy(TINY / "config.json", tmp_path / "config.json")
    encoder = load(ARCHITECTURES["eat"], str(tmp_path), None).eval()
    with torch.no_grad():
        tokens = encoder.layer_outputs(torch.from_numpy(REFERENCE["clips"]))[-1]
    np.testing.assert_allclose(tokens.numpy(), REFERENCE["final"], rtol=0, atol=1e-4)


def test_the_positions_by_hand():
    """MAE's 2-D sine-cosine table: for a token at time patch t and frequency patch f, the
    first quarter is sin(f w_i), then cos(f w_i), sin(t w_i), cos(t w_i), w_i = 10000^(-i/q)."""
    width, rows, columns = 16, 3, 8
    table = sincos_positions(width, rows, columns).numpy()
    quarter = width // 4
    omega = 1.0 / 10000 ** (np.arange(quarter) / quarter)
    for t in range(rows):
        for f in range(columns):
            expected = np.concatenate(
                [np.sin(f * omega), np.cos(f * omega), np.sin(t * omega), np.cos(t * omega)]
            )
            np.testing.assert_allclose(table[t * columns + f], expected, atol=1e-6)


def test_a_clip_longer_than_the_positions_is_refused():
    """The small EAT's positions cover 16 patches of 16 frames: 256 frames, 2.5699 s."""
    from asdbench_pretrained.embedders import FrozenEat

    encoder = load(ARCHITECTURES["eat"], str(TINY), None)
    assert encoder.longest_clip == 400 + 255 * 160 + 159
    encoder.layer_outputs(torch.zeros(1, encoder.longest_clip))
    with pytest.raises(ValueError, match="longer than the checkpoint's positions"):
        encoder.layer_outputs(torch.zeros(1, encoder.longest_clip + 1))
    with pytest.raises(ValueError, match="longer than the checkpoint's positions cover"):
        FrozenEat(sample_rate=16000, clip_samples=48000, embedding_dim=48, checkpoint=str(TINY))


def test_a_fairseq_checkpoint_or_a_missing_config_is_one_clear_error(tmp_path):
    fairseq = tmp_path / "EAT-base_epoch30_pt.pt"
    fairseq.write_bytes(b"pickle")
    with pytest.raises(ValueError, match="Hugging Face release"):
        load(ARCHITECTURES["eat"], str(fairseq), None)
    alone = tmp_path / "model.safetensors"
    shutil.copy(TINY / "model.safetensors", alone)
    with pytest.raises(ValueError, match="no config.json beside it"):
        load(ARCHITECTURES["eat"], str(alone), None)
    (tmp_path / "config.json").write_text(json.dumps({"embed_dim": 48, "num_heads": 4, "depth": 2}))
    with pytest.raises(ValueError, match="does not hold the EAT its configuration describes"):
        load(ARCHITECTURES["eat"], str(alone), None)
    wider = {**json.loads((TINY / "config.json").read_text()), "embed_dim": 64}
    (tmp_path / "config.json").write_text(json.dumps(wider))
    with pytest.raises(ValueError, match="has shape"):
        load(ARCHITECTURES["eat"], str(alone), None)


def test_a_beats_file_is_not_an_eat_checkpoint(tmp_path):
    from safetensors.torch import save_file

    beats = torch.load(DATA / "beats_tiny.pt", weights_only=True)["model"]
    save_file({k: v.clone() for k, v in beats.items()}, str(tmp_path / "model.safetensors"))
    shutil.copy(TINY / "config.json", tmp_path / "config.json")
    with pytest.raises(ValueError, match="does not hold the EAT .* missing extra_tokens"):
        load(ARCHITECTURES["eat"], str(tmp_path), None)
    (tmp_path / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ValueError, match="not a readable safetensors file"):
        load(ARCHITECTURES["eat"], str(tmp_path), None)


def test_a_configuration_it_cannot_build_is_refused():
    with pytest.raises(ValueError, match="layer_norm_first=True"):
        EatConfig.from_checkpoint({"layer_norm_first": True})
