"""Components of the training-free floor: an embedder that needs no training, the mean and
standard deviation over time of a clip's log-mel spectrum, and the ``none`` loss that stands in
for the loss it does not use.

On small data a trained embedding can lose to no training at all; the floor shows on every
leaderboard what a method has to beat. An embedder declares ``needs_training = False`` and the
trial embeds every clip with it as built: no loss, no epochs.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar

import numpy as np
import torch
from torch import nn

#: The least power the log takes (-100 dB): silence gives a finite value.
FLOOR = 1e-10


def mel_filters(sample_rate: int, n_fft: int, n_mels: int, top: float) -> np.ndarray:
    """[n_mels, n_fft // 2 + 1] triangular filters equally spaced on the HTK mel scale from 0 Hz
    to ``top`` Hz, each of unit area; a band narrower than a frequency bin takes the nearest
    bin, so no filter is empty."""

    def mel(hz: np.ndarray) -> np.ndarray:
        return 2595.0 * np.log10(1.0 + hz / 700.0)

    def hz(mels: np.ndarray) -> np.ndarray:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)

    bins = np.linspace(0.0, sample_rate / 2, n_fft // 2 + 1)
    edges = hz(np.linspace(0.0, mel(np.array(top)), n_mels + 2))
    filters = np.zeros((n_mels, len(bins)))
    for band in range(n_mels):
        low, centre, high = edges[band : band + 3]
        rising = (bins - low) / max(centre - low, FLOOR)
        falling = (high - bins) / max(high - centre, FLOOR)
        filters[band] = np.clip(np.minimum(rising, falling), 0.0, None)
        if not filters[band].any():
            filters[band, np.argmin(np.abs(bins - centre))] = 1.0
        filters[band] /= filters[band].sum()
    return filters


class LogMelStatsEmbedder(nn.Module):
    """A clip's log-mel spectrum summarised over time by its mean and its standard deviation
    per band: an embedding that needs no training. The STFT uses a Hann window of the smallest
    power of two holding 8 frequency bins per mel band (at least 512 samples) and half-window
    hops. With two channels each has its own ``embedding_dim / 4`` bands' mean and std, the
    first channel's first; with one, ``embedding_dim / 2`` bands."""

    needs_training: ClassVar[bool] = False
    accepts_channels: ClassVar[tuple[int, ...]] = (1, 2)

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        embedding_dim: int,
        channels: int = 1,
        max_frequency: Annotated[
            float | None, "Highest frequency of the mel bands in Hz; default: the Nyquist"
        ] = None,
    ) -> None:
        super().__init__()
        if channels not in self.accepts_channels:
            raise ValueError(f"channels must be 1 or 2, got {channels}")
        if embedding_dim < 2 * channels or embedding_dim % (2 * channels):
            raise ValueError(
                f"embedding_dim must be a multiple of {2 * channels} (mean and std of each mel "
                f"band of {channels} channel(s)), got {embedding_dim}"
            )
        nyquist = sample_rate / 2
        if max_frequency is not None and not 0 < max_frequency <= nyquist:
            raise ValueError(f"max_frequency must be in (0, {nyquist:g}] Hz, got {max_frequency}")
        n_mels = embedding_dim // (2 * channels)
        self.channels = channels
        self.n_fft = max(512, 2 ** math.ceil(math.log2(8 * n_mels)))
        self.hop = self.n_fft // 2
        if clip_samples < self.n_fft:
            raise ValueError(
                f"clips of {clip_samples} samples are shorter than the {self.n_fft}-sample STFT "
                f"window of {n_mels} mel bands"
            )
        filters = mel_filters(sample_rate, self.n_fft, n_mels, max_frequency or nyquist)
        self.register_buffer("filters", torch.tensor(filters, dtype=torch.float32))
        self.register_buffer("window", torch.hann_window(self.n_fft))

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        batch = waveforms.shape[0]
        spectrum = torch.stft(
            waveforms.reshape(-1, waveforms.shape[-1]),  # every channel on its own
            self.n_fft,
            hop_length=self.hop,
            window=self.window,
            center=True,
            return_complex=True,
        )
        power = spectrum.abs().pow(2)  # [B * channels, bins, frames]
        log_mel = torch.log10(torch.clamp(self.filters @ power, min=FLOOR))
        stats = torch.cat([log_mel.mean(dim=2), log_mel.std(dim=2, unbiased=False)], dim=1)
        return stats.reshape(batch, -1)


class NoLoss(nn.Module):
    """The loss of an embedder that needs no training: it is never trained, so this loss is
    never called; the run records it as ``none``."""

    def __init__(self, *, num_classes: int, embedding_dim: int) -> None:
        super().__init__()

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        raise RuntimeError("the none loss belongs to embedders that need no training")
