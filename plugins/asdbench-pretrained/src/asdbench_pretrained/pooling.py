"""Heads that pool an encoder's tokens into one clip embedding."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

Pooling = Literal["asp", "mean"]


class AttentiveStatisticsPooling(nn.Module):
    """Channel-wise attentive statistics pooling (Okabe et al. 2018, per channel as in
    ECAPA-TDNN): each channel's softmax attention over the tokens from a tanh bottleneck, its
    weighted mean and standard deviation, then a linear map of both to ``out_dim``; the head
    ASDKit puts on BEATs."""

    def __init__(self, width: int, out_dim: int, bottleneck: int = 128) -> None:
        super().__init__()
        self.attention = nn.Sequential(
            nn.Linear(width, bottleneck), nn.Tanh(), nn.Linear(bottleneck, width)
        )
        self.projection = nn.Linear(2 * width, out_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:  # [B, T, C] -> [B, out_dim]
        weights = self.attention(tokens).softmax(dim=1)
        mean = (weights * tokens).sum(dim=1)
        variance = (weights * tokens.square()).sum(dim=1) - mean.square()
        std = variance.clamp(min=1e-9).sqrt()
        return self.projection(torch.cat([mean, std], dim=1))


class MeanPooling(nn.Module):
    """The tokens' mean, then a linear map to ``out_dim``."""

    def __init__(self, width: int, out_dim: int) -> None:
        super().__init__()
        self.projection = nn.Linear(width, out_dim)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.projection(tokens.mean(dim=1))


def pooling_head(kind: Pooling, width: int, out_dim: int) -> nn.Module:
    if kind == "asp":
        return AttentiveStatisticsPooling(width, out_dim)
    if kind == "mean":
        return MeanPooling(width, out_dim)
    raise ValueError(f"pooling must be 'asp' or 'mean', got {kind!r}")
