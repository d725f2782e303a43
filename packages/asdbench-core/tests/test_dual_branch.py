"""The dual-branch embedder against the reference specification's tables."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from asdbench.model.dual_branch import DualBranchEmbedder, StemConv2d, head_frames, pool_time
from asdbench.model.keras_layers import bn1d, bn2d, same_padding

# reference-system.md §2: shapes for 18 s (288,000 samples) and 10 s (160,000 samples).
SPEC = {
    288_000: {
        "fft": [144_000, 2250, 71, 18],
        "flat": 2304,
        "spec": (561, 513),
        "stem": (140, 128),
        "stages": [(70, 64), (35, 32), (18, 16)],
    },
    160_000: {
        "fft": [80_000, 1250, 40, 10],
        "flat": 1280,
        "spec": (311, 513),
        "stem": (77, 128),
        "stages": [(39, 64), (20, 32), (10, 16)],
    },
}


@pytest.mark.parametrize("samples", sorted(SPEC))
def test_every_intermediate_shape(samples):
    spec = SPEC[samples]
    model = DualBranchEmbedder(sample_rate=16000, clip_samples=samples, embedding_dim=512).eval()
    shapes = {}

    def record(name):
        return lambda module, inputs, output: shapes.__setitem__(name, tuple(output.shape))

    for i, conv in enumerate(model.spectrum.convs):
        conv.register_forward_hook(record(f"conv{i}"))
    model.spectrum.dense[0].register_forward_hook(
        lambda m, i, o: shapes.__setitem__("flat", i[0].shape)
    )
    model.spectrogram.freq_bn.register_forward_hook(record("spec"))
    model.spectrogram.stage2.register_forward_hook(record("stage2"))
    for i, stage in enumerate(model.spectrogram.stages):
        stage[3].register_forward_hook(record(f"stage{i + 3}"))
    model.spectrogram.head_bn.register_forward_hook(record("head"))
    with torch.no_grad():
        out = model(torch.randn(2, samples))
    assert out.shape == (2, 512)
    assert model.spectrum.lengths == spec["fft"]
    assert [shapes[f"conv{i}"] for i in range(3)] == [(2, 128, n) for n in spec["fft"][1:]]
    assert shapes["flat"] == (2, spec["flat"])
    assert shapes["spec"] == (2, 513, spec["spec"][0])
    assert shapes["stage2"] == (2, 16, *spec["stem"])
    for i, (t, f) in enumerate(spec["stages"]):
        assert shapes[f"stage{i + 3}"] == (2, (32, 64, 128)[i], t, f)
    assert shapes["head"] == (2, 2048)


@pytest.mark.parametrize(
    ("samples", "dim", "kernels"),
    [(288_000, 512, 2_942_736), (288_000, 256, 2_664_208), (160_000, 512, 2_811_664)],
)
def test_parameter_counts_match_the_spec(samples, dim, kernels):
    model = DualBranchEmbedder(sample_rate=16000, clip_samples=samples, embedding_dim=dim)
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    weights = [m for m in model.modules() if isinstance(m, nn.Conv1d | nn.Conv2d | nn.Linear)]
    assert sum(m.weight.numel() for m in weights) == kernels
    assert all(m.bias is None for m in weights)  # no biases anywhere
    assert sum(m.weight.numel() + m.bias.numel() for m in norms) == 7_842
    assert {(m.momentum, m.eps) for m in norms} == {(0.01, 1e-3)}  # Keras 0.99 / 1e-3


#: TensorFlow's and Keras 2's own outputs, recorded by scripts/record_tensorflow.py.
RECORDED = json.loads((Path(__file__).parent / "recorded" / "tensorflow.json").read_text())


@pytest.mark.parametrize(
    "case",
    RECORDED["conv1d_same"],
    ids=lambda c: f"{c['length']}-k{c['kernel']}-s{c['stride']}",
)
def test_same_padding_equals_tensorflows_same_convolution_as_recorded(case):
    """``tf.nn.conv1d(..., "SAME")`` (TensorFlow 2.21) on integer inputs, for the lengths,
    kernels and strides of both branches (asymmetric padding at 71/16/4 and on even sizes)."""
    x = torch.tensor(case["input"], dtype=torch.float64).view(1, 1, -1)
    weights = torch.tensor(case["weights"], dtype=torch.float64).view(1, 1, -1)
    padded = F.pad(x, same_padding(case["length"], case["kernel"], case["stride"]))
    out = F.conv1d(padded, weights, stride=case["stride"]).flatten()
    assert out.tolist() == case["output"]


def test_glorot_initialisation_and_block2_option():
    torch.manual_seed(0)
    model = DualBranchEmbedder(sample_rate=16000, clip_samples=32000, embedding_dim=64)
    conv = model.spectrum.convs[1]
    limit = (6 / (128 * 64 + 128 * 64)) ** 0.5
    assert conv.weight.abs().max() <= limit and conv.weight.abs().max() > 0.9 * limit
    x = torch.randn(3, 32000)
    torch.manual_seed(0)
    fixed = DualBranchEmbedder(
        sample_rate=16000, clip_samples=32000, embedding_dim=64, block2_bn_bug=False
    )
    assert not torch.allclose(model(x), fixed(x))


def test_adapts_to_short_clips_and_rejects_bad_sizes():
    model = DualBranchEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=32)
    assert model(torch.randn(2, 8000)).shape == (2, 32)
    with pytest.raises(ValueError, match="even"):
        DualBranchEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=33)
    with pytest.raises(ValueError, match="at least 2048"):
        DualBranchEmbedder(sample_rate=16000, clip_samples=1000, embedding_dim=32)


def test_the_shortest_clip_the_spectrogram_branch_can_take():
    """5 STFT frames (1024 + 4 x 512 samples) leave one frame after the stem's 3/2 max pool;
    one sample less is refused when the embedder is built, not in the first forward pass."""
    shortest = DualBranchEmbedder(sample_rate=16000, clip_samples=3072, embedding_dim=16).eval()
    assert shortest(torch.randn(2, 3072)).shape == (2, 16)
    with pytest.raises(ValueError, match="at least 3072 samples"):
        DualBranchEmbedder(sample_rate=16000, clip_samples=3071, embedding_dim=16)


@pytest.mark.parametrize("size", [(561, 513), (40, 33), (9, 8)])
def test_the_stem_equals_a_plain_stride_2_convolution(size):
    """The space-to-depth stem against the plain convolution in float64: output, input gradient
    (the per-frequency batch norm before it needs one) and weight gradient."""
    torch.manual_seed(0)
    stem = StemConv2d(1, 16, 7).double()
    x = torch.randn(3, 1, *size, dtype=torch.float64)
    top, bottom = same_padding(size[0], 7, 2)
    left, right = same_padding(size[1], 7, 2)
    weight = stem.weight.detach().clone().requires_grad_()
    plain_input = x.clone().requires_grad_()
    plain = F.conv2d(F.pad(plain_input, (left, right, top, bottom)), weight, stride=2)
    fast_input = x.clone().requires_grad_()
    fast = stem(fast_input)
    assert fast.shape == plain.shape == (3, 16, (size[0] + 1) // 2, (size[1] + 1) // 2)
    torch.testing.assert_close(fast, plain)
    grad = torch.randn_like(plain)
    plain.backward(grad)
    fast.backward(grad)
    torch.testing.assert_close(fast_input.grad, plain_input.grad)
    torch.testing.assert_close(stem.weight.grad, weight.grad)


@pytest.mark.parametrize(("rule", "ddof"), [("keras", 0), ("unbiased", 1)])
def test_the_moving_variance_of_the_non_convolutional_batch_norms(rule, ddof):
    """One training step from fresh statistics (mean 0, variance 1): the moving variance is
    0.99 * 1 + 0.01 * the batch variance, biased for the layers Keras cannot fuse (as the
    released code computes it), unbiased for torch's rule; numpy computes both by hand."""
    torch.manual_seed(0)
    model = DualBranchEmbedder(
        sample_rate=16000, clip_samples=32000, embedding_dim=64, bn_moving_variance=rule
    ).train()
    inputs = {}
    layers = {
        "dense": model.spectrum.dense[1],
        "frequency": model.spectrogram.freq_bn,
        "head": model.spectrogram.head_bn,
    }
    for name, layer in layers.items():
        layer.register_forward_hook(
            lambda m, args, out, name=name: inputs.setdefault(name, args[0])
        )
    conv = model.spectrogram.stem_bn
    conv.register_forward_hook(lambda m, args, out: inputs.setdefault("conv", args[0]))
    model(0.1 * torch.randn(4, 32000, generator=torch.Generator().manual_seed(1)))
    for name, layer in layers.items():
        x = inputs[name].detach().double().numpy()
        axes = (0,) if x.ndim == 2 else (0, 2)
        expected = 0.99 + 0.01 * x.var(axis=axes, ddof=ddof)
        assert np.allclose(layer.running_var.double().numpy(), expected, rtol=1e-5), name
        mean = 0.01 * x.mean(axis=axes)
        assert np.allclose(layer.running_mean.double().numpy(), mean, rtol=1e-4, atol=1e-7), name
        assert int(layer.num_batches_tracked) == 1
    x = inputs["conv"].detach().double().numpy()  # the convolutional ones stay unbiased
    expected = 0.99 + 0.01 * x.var(axis=(0, 2, 3), ddof=1)
    assert np.allclose(conv.running_var.double().numpy(), expected, rtol=1e-5)


def test_the_batch_norm_rule_changes_only_the_moving_statistics():
    """In training the output is normalised by the batch statistics under either rule."""
    outputs = []
    for rule in ("keras", "unbiased"):
        torch.manual_seed(0)
        model = DualBranchEmbedder(
            sample_rate=16000, clip_samples=32000, embedding_dim=64, bn_moving_variance=rule
        ).train()
        outputs.append(
            model(0.1 * torch.randn(4, 32000, generator=torch.Generator().manual_seed(2)))
        )
    assert torch.allclose(outputs[0], outputs[1], atol=1e-5)


@pytest.mark.parametrize(
    "case", RECORDED["max_pooling_same"], ids=lambda c: f"{len(c['input'])}-w{c['window']}"
)
def test_time_pooling_equals_the_codes_max_pooling_layer_as_recorded(case):
    """Keras 2's ``MaxPooling2D((window, 1), padding="same")``, the released code's layer, on
    [time, frequency] inputs: 20 frames in windows of 18 (two windows), 5 (one), 37, and 7 in
    windows of 4."""
    x = torch.tensor(case["input"], dtype=torch.float64)[None, None]  # [1, 1, T, F]
    assert pool_time(x, case["window"])[0, 0].tolist() == case["output"]


@pytest.mark.parametrize(
    "case", RECORDED["batch_norm_one_step"], ids=lambda c: f"{len(c['input'])}-axis{c['axis']}"
)
def test_batch_norm_moving_statistics_equal_keras_as_recorded(case):
    """One training step of Keras 2's BatchNormalization (momentum 0.99, epsilon 1e-3): the
    dense and [B, C, L] layers (not fused) average the biased batch variance, the 4-D
    convolutional one (fused) the unbiased one; the outputs use the batch statistics."""
    x = torch.tensor(case["input"], dtype=torch.float32)
    if x.dim() == 4:  # Keras' [B, H, W, C] -> torch's [B, C, H, W]
        layer, x = bn2d(x.shape[-1]), x.permute(0, 3, 1, 2)
    else:
        layer = bn1d(x.shape[1], biased=True)
    out = layer.train()(x)
    if out.dim() == 4:
        out = out.permute(0, 2, 3, 1)
    torch.testing.assert_close(out, torch.tensor(case["output"]), rtol=1e-5, atol=1e-5)
    for ours, theirs in (
        (layer.running_mean, "moving_mean"),
        (layer.running_var, "moving_variance"),
    ):
        torch.testing.assert_close(ours, torch.tensor(case[theirs]), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("samples", "frames"), [(288_000, 18), (160_000, 10), (320_000, 20)])
def test_frames_before_the_head(samples, frames):
    assert head_frames(samples) == frames


def test_the_codes_pooling_equals_the_max_up_to_18_s_and_widens_the_head_beyond():
    def embedder(samples, pooling):
        torch.manual_seed(0)
        return DualBranchEmbedder(
            sample_rate=16000, clip_samples=samples, embedding_dim=64, time_pooling=pooling
        ).eval()

    waves = 0.1 * torch.randn(2, 288_000, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        assert torch.equal(embedder(288_000, "window18")(waves), embedder(288_000, "max")(waves))
    assert embedder(320_000, "window18").spectrogram.head_bn.num_features == 2 * 2048
    assert embedder(320_000, "max").spectrogram.head_bn.num_features == 2048
    with torch.no_grad():
        longer = embedder(320_000, "window18")(0.1 * torch.randn(2, 320_000))
    assert longer.shape == (2, 64) and torch.isfinite(longer).all()


def test_two_channels_with_the_second_silenced_in_the_weights_equal_the_mono_network():
    """A two-channel network is the mono one with a second input channel in each branch's
    first convolution (and the per-frequency batch norm over each channel's bins): with the
    second channel's first-layer weights zero and the first channel's copied from a mono
    network, it gives the mono network's embedding of the first channel whatever the second
    holds."""
    torch.manual_seed(0)
    mono = DualBranchEmbedder(sample_rate=16000, clip_samples=16000, embedding_dim=64)
    stereo = DualBranchEmbedder(sample_rate=16000, clip_samples=16000, embedding_dim=64, channels=2)
    assert stereo.spectrum.convs[0].weight.shape == (128, 2, 256)
    assert stereo.spectrogram.stem.weight.shape == (16, 2, 7, 7)
    assert stereo.spectrogram.freq_bn.num_features == 2 * 513
    waves = 0.1 * torch.randn(3, 2, 16000)
    mono.train()(waves[:, 0])  # moving statistics away from their initial values
    state = mono.state_dict()
    for key, value in stereo.state_dict().items():
        if value.shape == state[key].shape:
            continue
        if key.startswith("spectrogram.freq_bn."):  # [2 * 513]: the first channel's bins first
            state[key] = torch.cat([state[key], value[513:]])
        else:  # the first layers' kernels: [out, 2, ...]
            state[key] = torch.cat([state[key], torch.zeros_like(state[key])], dim=1)
    stereo.load_state_dict(state)
    mono.eval()
    stereo.eval()
    other = waves.clone()
    other[:, 1] = torch.randn(3, 16000)
    with torch.no_grad():
        expected = mono(waves[:, 0])
        assert torch.allclose(stereo(waves), expected, atol=1e-5)
        assert torch.allclose(stereo(other), expected, atol=1e-5)


def test_channels_it_refuses():
    with pytest.raises(ValueError, match="channels must be 1 or 2, got 3"):
        DualBranchEmbedder(sample_rate=16000, clip_samples=16000, embedding_dim=64, channels=3)
