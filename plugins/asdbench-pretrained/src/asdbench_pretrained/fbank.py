"""Kaldi's log mel filterbank (``compute-fbank-feats``) in torch, for a batch of clips.

BEATs and EAT were pretrained on features from ``torchaudio.compliance.kaldi.fbank``; torchaudio
is not a dependency here (its releases no longer import beside current torch), so this module
computes the same features from Kaldi's definition: frames of 25 ms every 10 ms with the edges
snipped, each frame's mean removed, pre-emphasis 0.97, a Povey (Hann to the power 0.85) or Hann
window, a power spectrum over the next power of two, triangular filters equally spaced on
Kaldi's mel scale (1127 ln(1 + f / 700)) from 20 Hz to the Nyquist, and the log with floor
float32 eps. ``tests/test_fbank.py`` compares it with torchaudio's output recorded in a scratch
environment (docs/pretrained.md).
"""

from __future__ import annotations

import math
from typing import Literal

import torch

Window = Literal["povey", "hanning"]

#: The log's floor, as Kaldi's (float32 machine epsilon).
EPSILON = float(torch.finfo(torch.float32).eps)


def kaldi_mel(hz: torch.Tensor) -> torch.Tensor:
    return 1127.0 * torch.log1p(hz / 700.0)


def mel_banks(
    num_bins: int, padded: int, sample_rate: float, low: float, high: float
) -> torch.Tensor:
    """[num_bins, padded // 2 + 1] triangular filters; the Nyquist bin gets no weight."""
    nyquist = 0.5 * sample_rate
    high = high + nyquist if high <= 0.0 else high
    if not 0.0 <= low < high <= nyquist:
        raise ValueError(f"mel bands need 0 <= low < high <= {nyquist:g} Hz, got {low}, {high}")
    mel_low = 1127.0 * math.log(1.0 + low / 700.0)
    mel_high = 1127.0 * math.log(1.0 + high / 700.0)
    delta = (mel_high - mel_low) / (num_bins + 1)
    band = torch.arange(num_bins, dtype=torch.float32).unsqueeze(1)
    left = mel_low + band * delta
    centre = mel_low + (band + 1.0) * delta
    right = mel_low + (band + 2.0) * delta
    mel = kaldi_mel((sample_rate / padded) * torch.arange(padded // 2, dtype=torch.float32))
    rising = (mel - left) / (centre - left)
    falling = (right - mel) / (right - centre)
    filters = torch.clamp(torch.minimum(rising, falling), min=0.0)
    return torch.nn.functional.pad(filters, (0, 1))


def frame_window(kind: Window, length: int) -> torch.Tensor:
    hann = torch.hann_window(length, periodic=False, dtype=torch.float32)
    return hann.pow(0.85) if kind == "povey" else hann


def fbank(
    waveforms: torch.Tensor,
    *,
    sample_rate: int = 16000,
    num_mel_bins: int = 128,
    frame_length_ms: float = 25.0,
    frame_shift_ms: float = 10.0,
    window: Window = "povey",
    preemphasis: float = 0.97,
    low_freq: float = 20.0,
    high_freq: float = 0.0,
) -> torch.Tensor:
    """``[B, samples]`` -> ``[B, frames, num_mel_bins]`` log mel energies, as Kaldi's
    ``fbank`` with its defaults (no dither, no energy, ``snip_edges``)."""
    size = int(sample_rate * frame_length_ms * 0.001)
    shift = int(sample_rate * frame_shift_ms * 0.001)
    if waveforms.shape[-1] < size:
        raise ValueError(f"a clip of {waveforms.shape[-1]} samples is shorter than one frame")
    padded = 1 << (size - 1).bit_length()
    frames = waveforms.unfold(-1, size, shift)  # [B, F, size]
    frames = frames - frames.mean(dim=-1, keepdim=True)
    previous = torch.cat([frames[..., :1], frames[..., :-1]], dim=-1)
    frames = frames - preemphasis * previous
    frames = frames * frame_window(window, size).to(frames)
    power = torch.fft.rfft(frames, n=padded).abs().pow(2.0)
    banks = mel_banks(num_mel_bins, padded, sample_rate, low_freq, high_freq).to(power)
    energies = power @ banks.T
    return torch.clamp(energies, min=EPSILON).log()
