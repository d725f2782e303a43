"""The EAT encoder (Chen et al., "EAT: Self-Supervised Pre-Training with Efficient Audio
Transformer", IJCAI 2024), written from the paper and its published checkpoint format.

A Kaldi log mel filterbank (128 bands, Hann window, of the clip less its mean) is cut into
16 x 16 patches, given fixed 2-D sine-cosine positions, prefixed with one learned utterance
token (CLS), normalised, and encoded by post-norm ViT blocks (data2vec 2.0's). Module and
parameter names follow the Hugging Face release (``model.safetensors`` beside its
``config.json``, its keys under ``model.``); ``EatConfig`` holds the fields of that config.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from asdbench_pretrained.checkpoints import known_fields, refuse_unsupported
from asdbench_pretrained.fbank import fbank

#: The filterbank statistics EAT was pretrained with (its feature extraction's defaults).
FBANK_MEAN = -4.268
FBANK_STD = 4.569


@dataclass(frozen=True)
class EatConfig:
    """The architecture fields of an EAT ``config.json`` (defaults: EAT-base's)."""

    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    patch_size: int = 16
    stride: int = 16
    in_chans: int = 1
    mel_bins: int = 128
    max_length: int = 768
    mlp_ratio: float = 4.0
    qkv_bias: bool = True
    drop_rate: float = 0.0
    attn_drop_rate: float = 0.0
    activation_dropout: float = 0.0
    post_mlp_drop: float = 0.0
    layer_norm_first: bool = False
    norm_eps: float = 1e-6
    norm_affine: bool = True
    fixed_positions: bool = True

    @classmethod
    def from_checkpoint(cls, cfg: dict[str, Any]) -> EatConfig:
        """The fields this encoder reads; a configuration it cannot build is a ``ValueError``."""
        config = cls(**known_fields(cls, cfg))
        unsupported = {
            "layer_norm_first": config.layer_norm_first,
            "fixed_positions": not config.fixed_positions,
            "in_chans": config.in_chans != 1,
            "stride": config.stride != config.patch_size,
            "mel_bins": config.mel_bins % config.patch_size != 0,
        }
        design = (
            "an EAT configuration this encoder builds (post-norm, fixed positions, one "
            "channel, non-overlapping patches)"
        )
        refuse_unsupported(config, unsupported, design)
        if config.embed_dim % config.num_heads or config.embed_dim % 4:
            raise ValueError("embed_dim must be a multiple of num_heads and of 4")
        return config


def eat_features(waveforms: torch.Tensor, patch: int) -> torch.Tensor:
    """``[B, samples]`` at 16 kHz -> ``[B, frames, 128]`` normalised filterbanks, zero-padded
    (before normalising, as the reference) to whole patches so no frame is dropped."""
    centred = waveforms - waveforms.mean(dim=-1, keepdim=True)
    bank = fbank(centred, num_mel_bins=128, window="hanning")
    bank = F.pad(bank, (0, 0, 0, -bank.shape[1] % patch))
    return (bank - FBANK_MEAN) / (2 * FBANK_STD)


def sincos_positions(width: int, rows: int, columns: int) -> torch.Tensor:
    """[rows * columns, width] fixed 2-D positions (MAE's): the first half of each vector
    encodes the column (frequency patch), the second the row (time patch), each as sines then
    cosines of the index times 10000^(-2i/half)."""

    def one_axis(half: int, index: np.ndarray) -> np.ndarray:
        omega = 1.0 / 10000 ** (np.arange(half // 2, dtype=np.float32) / (half / 2.0))
        angles = np.outer(index.reshape(-1), omega)
        return np.concatenate([np.sin(angles), np.cos(angles)], axis=1)

    column, row = np.meshgrid(
        np.arange(columns, dtype=np.float32), np.arange(rows, dtype=np.float32)
    )
    table = np.concatenate([one_axis(width // 2, column), one_axis(width // 2, row)], axis=1)
    return torch.from_numpy(table).float()


class PatchEmbedding(nn.Module):
    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        self.proj = nn.Conv2d(
            1, config.embed_dim, kernel_size=config.patch_size, stride=config.patch_size
        )

    def forward(self, bank: torch.Tensor) -> torch.Tensor:  # [B, 1, T, F] -> [B, N, C]
        return self.proj(bank).flatten(2).transpose(1, 2)


class FixedPositions(nn.Module):
    """The fixed positions of up to ``max_length`` time patches (a parameter the checkpoint
    holds and nothing trains)."""

    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        columns = config.mel_bins // config.patch_size
        table = sincos_positions(config.embed_dim, config.max_length, columns)
        self.positions = nn.Parameter(table.unsqueeze(0), requires_grad=False)


class Attention(nn.Module):
    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        self.heads = config.num_heads
        self.qkv = nn.Linear(config.embed_dim, 3 * config.embed_dim, bias=config.qkv_bias)
        self.proj = nn.Linear(config.embed_dim, config.embed_dim)
        self.dropout, self.proj_dropout = config.attn_drop_rate, config.drop_rate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.qkv(x).unflatten(-1, (3, self.heads, -1)).permute(2, 0, 3, 1, 4)
        weights = ((q * q.shape[-1] ** -0.5) @ k.transpose(-1, -2)).softmax(dim=-1)
        weights = F.dropout(weights, self.dropout, self.training)
        out = self.proj((weights @ v).transpose(1, 2).flatten(2))
        return F.dropout(out, self.proj_dropout, self.training)


class Mlp(nn.Module):
    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        hidden = int(config.embed_dim * config.mlp_ratio)
        self.fc1 = nn.Linear(config.embed_dim, hidden)
        self.fc2 = nn.Linear(hidden, config.embed_dim)
        self.dropout = config.activation_dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = F.dropout(F.gelu(self.fc1(x)), self.dropout, self.training)
        return F.dropout(self.fc2(hidden), self.dropout, self.training)


class Block(nn.Module):
    """Post-norm block: attention, residual, norm; MLP, residual, norm."""

    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        eps, affine = config.norm_eps, config.norm_affine
        self.norm1 = nn.LayerNorm(config.embed_dim, eps=eps, elementwise_affine=affine)
        self.attn = Attention(config)
        self.norm2 = nn.LayerNorm(config.embed_dim, eps=eps, elementwise_affine=affine)
        self.mlp = Mlp(config)
        self.post_mlp_drop = config.post_mlp_drop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm1(x + self.attn(x))
        mixed = F.dropout(self.mlp(x), self.post_mlp_drop, self.training)
        return self.norm2(x + mixed)


class Eat(nn.Module):
    """EAT: ``[B, samples]`` at 16 kHz -> ``[B, 1 + patches, embed_dim]`` per block, the
    utterance token first, then the patches time-major."""

    def __init__(self, config: EatConfig) -> None:
        super().__init__()
        self.config = config
        self.local_encoder = PatchEmbedding(config)
        self.extra_tokens = nn.Parameter(torch.zeros(1, 1, config.embed_dim))
        self.fixed_positional_encoder = FixedPositions(config)
        self.blocks = nn.ModuleList(Block(config) for _ in range(config.depth))
        self.pre_norm = nn.LayerNorm(
            config.embed_dim, eps=config.norm_eps, elementwise_affine=config.norm_affine
        )
        self.dropout = config.drop_rate

    @property
    def width(self) -> int:
        return self.config.embed_dim

    @property
    def depth(self) -> int:
        return len(self.blocks)

    @property
    def longest_clip(self) -> int:
        """The most samples at 16 kHz whose patches the fixed positions cover."""
        frames = self.config.max_length * self.config.patch_size
        return 400 + (frames - 1) * 160 + 159

    def keep_layers(self, count: int) -> None:
        """Drop the blocks after the first ``count``."""
        del self.blocks[count:]

    def layer_outputs(self, waveforms: torch.Tensor) -> list[torch.Tensor]:
        """The normalised input to the first block (index 0) and each block's output."""
        bank = eat_features(waveforms, self.config.patch_size).unsqueeze(1)
        patches = self.local_encoder(bank)
        positions = self.fixed_positional_encoder.positions
        if patches.shape[1] > positions.shape[1]:
            raise ValueError(
                f"a clip of {bank.shape[2]} frames is longer than the checkpoint's positions "
                f"({self.config.max_length} patches of {self.config.patch_size} frames)"
            )
        x = patches + positions[:, : patches.shape[1]]
        x = torch.cat([self.extra_tokens.expand(x.shape[0], -1, -1), x], dim=1)
        outputs = [F.dropout(self.pre_norm(x), self.dropout, self.training)]
        for block in self.blocks:
            outputs.append(block(outputs[-1]))
        return outputs
