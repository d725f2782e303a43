"""The dual-branch embedding network of the AdaProj reference system.

Branch A: the magnitude spectrum of the whole clip (no window, DC up to but excluding Nyquist)
through three strided 1-D convolutions and four dense layers. Branch B: the linear-magnitude
STFT (1024/512, periodic Hann, no centring, all 513 bins), temporal mean subtraction and
per-frequency batch norm, through a 2-D ResNet, a max over time (windows of 18 frames, as the
code) and a dense layer. The two
``embedding_dim / 2`` outputs are concatenated. As in the Keras reference: no biases, Glorot
initialisation, TensorFlow ``same`` padding, batch norm with momentum 0.99 (PyTorch 0.01) and
epsilon 1e-3. The network adapts to any clip length (the flatten size is computed from it).

Two-channel clips (``channels=2``, beyond the reference) enter both branches as input channels:
the first convolution of each takes both spectra, and the per-frequency batch norm normalises
each channel's bins apart. One channel is the reference network exactly.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

from asdbench.model.keras_layers import (
    SameConv1d,
    SameConv2d,
    bn1d,
    bn2d,
    same_output,
    same_padding,
)

N_FFT, HOP = 1024, 512
#: The released code pools time with ``MaxPooling2D((18, 1), padding="same")``.
CODE_TIME_WINDOW = 18


def head_frames(clip_samples: int) -> int:
    """Frames left before the head: STFT frames, the stride-2 stem, the 3/2 max pool and three
    stride-2 stages (18 for 18 s clips, 10 for 10 s ones)."""
    frames = same_output(1 + (clip_samples - N_FFT) // HOP, 2)
    frames = (frames - 3) // 2 + 1
    for _ in range(3):
        frames = same_output(frames, 2)
    return frames


def pool_time(x: torch.Tensor, window: int) -> torch.Tensor:
    """``[B, C, T, F] -> [B, C, ceil(T / window), F]``: TensorFlow's ``same`` max pooling over
    time with window and stride ``window`` (the padding, half before and the odd frame after,
    never wins the max). A window of at least T is the max over all frames."""
    frames = x.shape[2]
    windows = same_output(frames, window)
    before, after = same_padding(frames, window, window)
    padded = F.pad(x, (0, 0, before, after), value=float("-inf"))
    return padded.unflatten(2, (windows, window)).amax(dim=3)


class StemConv2d(SameConv2d):
    """The stem's stride-2 ``same`` convolution. When its input needs a gradient on the CPU it
    runs as the equal stride-1 convolution over the 2x2 space-to-depth input (the kernel padded
    with zeros to an even size): oneDNN computes the input gradient of a stride-2 convolution
    with one input channel about ten times slower than its forward, while this form's backward
    is ordinary, halving the stem's forward and backward time (151 -> 74 ms at batch 16,
    18 s clips). Same parameters; results equal to float rounding. ``space_to_depth = False``
    keeps the plain form (the benchmarks count the model's FLOPs in it)."""

    space_to_depth = True

    def __init__(self, cin: int, cout: int, kernel: int) -> None:
        super().__init__(cin, cout, kernel, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.space_to_depth and x.requires_grad and x.device.type == "cpu"):
            return super().forward(x)
        k, half = self.kernel_size[0], (self.kernel_size[0] + 1) // 2
        top, bottom = same_padding(x.shape[-2], k, 2)
        left, right = same_padding(x.shape[-1], k, 2)
        rows = (x.shape[-2] + top + bottom - k) // 2 + 1
        cols = (x.shape[-1] + left + right - k) // 2 + 1
        # pad to 2 * (output + taps - 1): the same padding plus at most one more row/column
        x = F.pad(
            x,
            (
                left,
                2 * (cols + half - 1) - x.shape[-1] - left,
                top,
                2 * (rows + half - 1) - x.shape[-2] - top,
            ),
        )
        x = F.pixel_unshuffle(x, 2).contiguous(memory_format=torch.channels_last)
        cout, cin = self.weight.shape[:2]
        weight = F.pad(self.weight, (0, 2 * half - k, 0, 2 * half - k))
        # weight[o, c, 2u + a, 2v + b] -> [o, 4c + 2a + b, u, v], pixel_unshuffle's channel order
        weight = weight.view(cout, cin, half, 2, half, 2).permute(0, 1, 3, 5, 2, 4)
        weight = weight.reshape(cout, 4 * cin, half, half)
        return F.conv2d(x, weight.contiguous(memory_format=torch.channels_last))


class SpectrumBranch(nn.Module):
    """Branch A: full-clip FFT magnitude -> 3 Conv1D -> 4 x (Dense, BN, ReLU) -> Dense."""

    def __init__(self, clip_samples: int, out_dim: int, biased_bn: bool, channels: int) -> None:
        super().__init__()
        lengths = [clip_samples // 2]
        convs = []
        for kernel, stride, cin in ((256, 64, channels), (64, 32, 128), (16, 4, 128)):
            convs.append(SameConv1d(lengths[-1], cin, 128, kernel, stride))
            lengths.append(same_output(lengths[-1], stride))
        self.convs = nn.ModuleList(convs)
        self.lengths = lengths
        dense: list[nn.Module] = []
        width = 128 * lengths[-1]
        for _ in range(4):
            dense += [nn.Linear(width, 128, bias=False), bn1d(128, biased_bn), nn.ReLU()]
            width = 128
        self.dense = nn.Sequential(*dense)
        self.out = nn.Linear(128, out_dim, bias=False)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        length = waveforms.shape[-1]
        spectrum = torch.fft.rfft(waveforms.float(), dim=-1).abs()[..., : length // 2]
        x = (spectrum.unsqueeze(1) if spectrum.dim() == 2 else spectrum).to(waveforms.dtype)
        for conv in self.convs:
            x = F.relu(conv(x))
        return self.out(self.dense(x.flatten(1)))


class DownUnit(nn.Module):
    """Stage 3-5 downsampling unit: r = ReLU -> Conv s2 -> BN -> ReLU -> Conv;
    shortcut = MaxPool 2x2 same -> Conv 1x1."""

    def __init__(self, cin: int, cout: int) -> None:
        super().__init__()
        self.conv1 = SameConv2d(cin, cout, 3, 2)
        self.bn = bn2d(cout)
        self.conv2 = SameConv2d(cout, cout, 3)
        self.shortcut = SameConv2d(cin, cout, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.conv2(F.relu(self.bn(self.conv1(F.relu(x)))))
        s = self.shortcut(F.max_pool2d(x, 2, 2, ceil_mode=True))
        return s + r


class IdentityUnit(nn.Module):
    """r = Conv(ReLU(x)) -> BN -> ReLU -> Conv; x + r."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = SameConv2d(channels, channels, 3)
        self.bn = bn2d(channels)
        self.conv2 = SameConv2d(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.bn(self.conv1(F.relu(x)))))


class Stage2(nn.Module):
    """Two 16-channel units. Unit 2a as coded applies its batch norm to the trunk instead of
    the residual path (``bn_bug``); the fixed form normalises the residual."""

    def __init__(self, bn_bug: bool) -> None:
        super().__init__()
        self.bn_bug = bn_bug
        self.a_conv1, self.a_bn, self.a_conv2 = (
            SameConv2d(16, 16, 3),
            bn2d(16),
            SameConv2d(16, 16, 3),
        )
        self.between = bn2d(16)
        self.b_conv1, self.b_bn, self.b_conv2 = (
            SameConv2d(16, 16, 3),
            bn2d(16),
            SameConv2d(16, 16, 3),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        r = self.a_conv1(F.relu(x))
        if self.bn_bug:
            x = self.a_bn(x)
        else:
            r = self.a_bn(r)
        x = x + self.a_conv2(F.relu(r))
        x = self.between(x)
        r = self.b_bn(F.relu(self.b_conv1(F.relu(x))))
        return x + self.b_conv2(r)


class SpectrogramBranch(nn.Module):
    """Branch B: |STFT| -> temporal mean subtraction -> per-frequency BN -> ResNet -> max over
    time -> BN -> Dense."""

    def __init__(
        self,
        out_dim: int,
        bn_bug: bool,
        biased_bn: bool,
        frames: int,
        window: int | None,
        channels: int,
    ) -> None:
        super().__init__()
        self.time_window = window or frames
        self.channels = channels
        width = 16 * 128 * same_output(frames, self.time_window)
        self.register_buffer("window", torch.hann_window(N_FFT, periodic=True), persistent=False)
        self.freq_bn = bn1d(channels * (N_FFT // 2 + 1), biased_bn)
        self.stem = StemConv2d(channels, 16, 7)
        self.stem_bn = bn2d(16)
        self.stage2 = Stage2(bn_bug)
        stages = []
        for cin, cout in ((16, 32), (32, 64), (64, 128)):
            stages.append(
                nn.ModuleList([bn2d(cin), DownUnit(cin, cout), bn2d(cout), IdentityUnit(cout)])
            )
        self.stages = nn.ModuleList(stages)
        self.head_bn = bn1d(width, biased_bn)
        self.out = nn.Linear(width, out_dim, bias=False)

    def spectrogram(self, waveforms: torch.Tensor) -> torch.Tensor:
        """``[B, freq=513, time]`` linear magnitude; ``[B, channels * 513, time]`` (each
        channel's bins in turn) for several channels."""
        stft = torch.stft(
            waveforms.float().reshape(-1, waveforms.shape[-1]),
            N_FFT,
            HOP,
            window=self.window.float(),
            center=False,
            return_complex=True,
        )
        magnitude = stft.abs().to(waveforms.dtype)
        return magnitude.reshape(waveforms.shape[0], -1, magnitude.shape[-1])

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        spec = self.spectrogram(waveforms)
        spec = self.freq_bn(spec - spec.mean(dim=-1, keepdim=True))
        # [B, channels, time, freq], channels-last: the CPU (oneDNN) and GPU convolutions run
        # several times faster in this layout than in NCHW.
        x = spec.unflatten(1, (self.channels, -1)).transpose(2, 3)
        x = x.contiguous(memory_format=torch.channels_last)
        x = F.relu(self.stem_bn(self.stem(x)))
        x = F.max_pool2d(x, 3, 2)
        x = self.stage2(x)
        for bn_in, down, bn_mid, identity in self.stages:
            x = identity(bn_mid(down(bn_in(x))))
        x = pool_time(x, self.time_window)  # [B, 128, windows, freq=16]
        return self.out(self.head_bn(x.flatten(1)))


class DualBranchEmbedder(nn.Module):
    """The AdaProj reference embedding network (see the module docstring).

    Options:
        block2_bn_bug: reproduce the reference's batch-norm placement in unit 2a (default);
            false gives the fixed form of later repositories and ASDKit.
        time_pooling: ``window18`` (default): the released code's max pooling over windows of
            18 frames before the head, one window for clips up to 18 s (the max over all
            frames), more (a wider head) for longer clips; ``max``: the max over all frames at
            any length.
        bn_moving_variance: ``keras`` (default): the batch norms Keras 2 cannot fuse (the four
            dense-branch ones, the per-frequency one, whose axis is not a channel axis, and
            the head's after the max over time) average the biased batch variance, as in the
            released code; ``unbiased``: every batch norm as torch does.
    """

    #: The version of the numbers this network computes: bump it with any change that alters
    #: them (the trial cache is keyed by it).
    numerics_version: ClassVar[str] = "2"
    #: One channel (``[B, T]``) or two (``[B, 2, T]``, DCASE2026's near and far microphones).
    accepts_channels: ClassVar[tuple[int, ...]] = (1, 2)

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        embedding_dim: int,
        channels: int = 1,
        block2_bn_bug: Annotated[
            bool, "The reference's batch-norm placement in unit 2a; false: the fixed form (ASDKit)"
        ] = True,
        time_pooling: Annotated[
            Literal["window18", "max"],
            "window18: the code's 18-frame max pooling (one window up to 18 s clips); "
            "max: over all frames at any length",
        ] = "window18",
        bn_moving_variance: Annotated[
            Literal["keras", "unbiased"],
            "keras: the non-convolutional batch norms average the biased variance, as the "
            "released code; unbiased: torch's rule everywhere",
        ] = "keras",
    ) -> None:
        super().__init__()
        if embedding_dim < 2 or embedding_dim % 2:
            raise ValueError(f"embedding_dim must be even (two branches), got {embedding_dim}")
        if channels not in self.accepts_channels:
            raise ValueError(f"channels must be 1 or 2, got {channels}")
        if bn_moving_variance not in ("keras", "unbiased"):
            raise ValueError(
                f"bn_moving_variance must be 'keras' or 'unbiased', got {bn_moving_variance!r}"
            )
        if time_pooling not in ("window18", "max"):
            raise ValueError(f"time_pooling must be 'window18' or 'max', got {time_pooling!r}")
        if clip_samples < N_FFT * 2:
            raise ValueError(f"clips must be at least {N_FFT * 2} samples, got {clip_samples}")
        if head_frames(clip_samples) < 1:  # the stem and its 3/2 max pool need 5 STFT frames
            raise ValueError(
                f"clips of {clip_samples} samples leave no frame for the spectrogram branch; "
                f"they must be at least {N_FFT + 4 * HOP} samples"
            )
        self.sample_rate = sample_rate
        self.clip_samples = clip_samples
        self.embedding_dim = embedding_dim
        biased = bn_moving_variance == "keras"
        self.spectrum = SpectrumBranch(clip_samples, embedding_dim // 2, biased, channels)
        self.spectrogram = SpectrogramBranch(
            embedding_dim // 2,
            block2_bn_bug,
            biased,
            head_frames(clip_samples),
            CODE_TIME_WINDOW if time_pooling == "window18" else None,
            channels,
        )
        for module in self.modules():
            if isinstance(module, nn.Conv1d | nn.Conv2d | nn.Linear):
                nn.init.xavier_uniform_(module.weight)
        self.spectrogram.to(memory_format=torch.channels_last)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.spectrum(waveforms), self.spectrogram(waveforms)], dim=1)
