"""BEATs written here against the reference implementation (``microsoft/unilm`` ``beats/`` at
768a3c8, run in a scratch environment with torch and torchaudio 2.9.1): the reference wrote a
small random checkpoint in the published format (``data/beats_tiny.pt``) and recorded its
filterbank, the input to the first layer, each layer's output and its final features on two
clips (``data/beats_tiny_reference.npz``)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from asdbench_pretrained.beats import Beats, BeatsConfig, beats_features, relative_buckets
from asdbench_pretrained.encoders import ARCHITECTURES, load

DATA = Path(__file__).parent / "data"

REFERENCE = np.load(DATA / "beats_tiny_reference.npz")


@pytest.fixture(scope="module")
def encoder() -> Beats:
    return load(ARCHITECTURES["beats"], str(DATA / "beats_tiny.pt"), None).eval()


def test_the_filterbank_equals_the_references():
    ours = beats_features(torch.from_numpy(REFERENCE["clips"])).numpy()
    np.testing.assert_allclose(ours, REFERENCE["fbank"], rtol=0, atol=1e-4)


def test_every_block_equals_the_references(encoder):
    with torch.no_grad():
        outputs = encoder.layer_outputs(torch.from_numpy(REFERENCE["clips"]))
    assert len(outputs) == len(REFERENCE["layers"]) == 4
    for index, (ours, theirs) in enumerate(zip(outputs, REFERENCE["layers"], strict=True)):
        np.testing.assert_allclose(
            ours.numpy(), theirs, rtol=0, atol=1e-4, err_msg=f"block {index}"
        )
    np.testing.assert_allclose(outputs[-1].numpy(), REFERENCE["final"], rtol=0, atol=1e-4)


def test_an_inner_layer_is_the_references_output_of_that_layer():
    inner = load(ARCHITECTURES["beats"], str(DATA / "beats_tiny.pt"), 1).eval()
    with torch.no_grad():
        tokens = inner.layer_outputs(torch.from_numpy(REFERENCE["clips"]))[-1]
    np.testing.assert_allclose(tokens.numpy(), REFERENCE["layers"][1], rtol=0, atol=1e-4)
    assert len(inner.encoder.layers) == 1


def test_a_file_saved_with_torchs_newer_weight_norm_names_loads(tmp_path):
    """torch's ``parametrizations.weight_norm`` stores g and v as ``original0`` and
    ``original1``; such a file gives the same encoder."""
    checkpoint = torch.load(DATA / "beats_tiny.pt", weights_only=True)
    model = checkpoint["model"]
    for part, new in (("g", "original0"), ("v", "original1")):
        model[f"encoder.pos_conv.0.parametrizations.weight.{new}"] = model.pop(
            f"encoder.pos_conv.0.weight_{part}"
        )
    torch.save(checkpoint, tmp_path / "renamed.pt")
    encoder = load(ARCHITECTURES["beats"], str(tmp_path / "renamed.pt"), None).eval()
    with torch.no_grad():
        tokens = encoder.layer_outputs(torch.from_numpy(REFERENCE["clips"]))[-1]
    np.testing.assert_allclose(tokens.numpy(), REFERENCE["final"], rtol=0, atol=1e-4)


def test_relative_buckets_by_hand():
    """T5-style buckets: 16 per direction here, exact below 8, then logarithmic up to 64."""
    buckets = relative_buckets(100, 32, 64)
    assert buckets[0, 0] == 0 and buckets[5, 0] == 5 and buckets[0, 5] == 16 + 5
    far = 8 + int(np.log(20 / 8) / np.log(64 / 8) * 8)
    assert buckets[20, 0] == far and buckets[0, 20] == 16 + far
    assert buckets[99, 0] == 15 and buckets[0, 99] == 31  # beyond max_distance: the last


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"activation_fn": "relu"}, "activation_fn='relu'"),
        ({"gru_rel_pos": False}, "gru_rel_pos=False"),
        ({"encoder_attention_heads": 5}, "multiple of encoder_attention_heads"),
    ],
)
def test_a_configuration_it_cannot_build_is_refused(change, message):
    with pytest.raises(ValueError, match=message):
        BeatsConfig.from_checkpoint({**vars(BeatsConfig()), **change})
