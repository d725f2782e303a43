"""The BEATs encoder (Chen et al., "BEATs: Audio Pre-Training with Acoustic Tokenizers", ICML
2023), written from the paper and the published checkpoint format.

A log mel filterbank (Kaldi's, 128 bands, of the waveform scaled to 16-bit range) is cut into
16 x 16 patches, projected, and encoded by a post-norm Transformer with a convolutional position
embedding, DeepNorm residual scaling and gated relative position biases shared by every layer.
Module and parameter names follow the checkpoint's ``model`` state dict, so a published file
loads as it is; ``BeatsConfig`` holds the fields of its ``cfg``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from asdbench_pretrained.checkpoints import known_fields, refuse_unsupported
from asdbench_pretrained.fbank import fbank

#: The filterbank statistics BEATs was pretrained with (its reference ``preprocess``).
FBANK_MEAN = 15.41663
FBANK_STD = 6.55582


@dataclass(frozen=True)
class BeatsConfig:
    """The architecture fields of a BEATs checkpoint's ``cfg`` (defaults: iter3's)."""

    input_patch_size: int = 16
    embed_dim: int = 512
    conv_bias: bool = False
    encoder_layers: int = 12
    encoder_embed_dim: int = 768
    encoder_ffn_embed_dim: int = 3072
    encoder_attention_heads: int = 12
    activation_fn: str = "gelu"
    layer_norm_first: bool = False
    deep_norm: bool = True
    dropout: float = 0.0
    attention_dropout: float = 0.0
    activation_dropout: float = 0.0
    conv_pos: int = 128
    conv_pos_groups: int = 16
    relative_position_embedding: bool = True
    num_buckets: int = 320
    max_distance: int = 800
    gru_rel_pos: bool = True

    @classmethod
    def from_checkpoint(cls, cfg: dict[str, Any]) -> BeatsConfig:
        """The fields this encoder reads; others (training settings, the predictor's) are
        ignored. A configuration it cannot build is a ``ValueError``."""
        config = cls(**known_fields(cls, cfg))
        unsupported = {
            "activation_fn": config.activation_fn != "gelu",
            "layer_norm_first": config.layer_norm_first,
            "relative_position_embedding": not config.relative_position_embedding,
            "gru_rel_pos": not config.gru_rel_pos,
        }
        design = "a BEATs iter3 configuration (post-norm, GELU, gated relative positions)"
        refuse_unsupported(config, unsupported, design)
        if config.encoder_embed_dim % config.encoder_attention_heads:
            raise ValueError("encoder_embed_dim must be a multiple of encoder_attention_heads")
        return config


def beats_features(waveforms: torch.Tensor) -> torch.Tensor:
    """``[B, samples]`` at 16 kHz in [-1, 1) -> ``[B, frames, 128]`` normalised filterbanks."""
    bank = fbank(waveforms * 2**15, num_mel_bins=128, window="povey")
    return (bank - FBANK_MEAN) / (2 * FBANK_STD)


def relative_buckets(length: int, num_buckets: int, max_distance: int) -> torch.Tensor:
    """[length, length] bucket of each key position relative to each query position: exact
    below half of each direction's buckets, logarithmic up to ``max_distance`` beyond."""
    position = torch.arange(length)
    relative = position[None, :] - position[:, None]
    half = num_buckets // 2
    bucket = (relative > 0).long() * half
    distance = relative.abs()
    exact = half // 2
    far = (
        exact
        + (
            torch.log(distance.clamp(min=1).float() / exact)
            / math.log(max_distance / exact)
            * (half - exact)
        ).long()
    )
    far = torch.clamp(far, max=half - 1)
    return bucket + torch.where(distance < exact, distance, far)


class PositionConv(nn.Module):
    """A grouped, weight-normalised convolution over time (its norm taken per kernel tap),
    its last frame dropped so the length is kept, then GELU."""

    def __init__(self, width: int, kernel: int, groups: int) -> None:
        super().__init__()
        self.padding, self.groups = kernel // 2, groups
        self.weight_g = nn.Parameter(torch.ones(1, 1, kernel))
        self.weight_v = nn.Parameter(torch.randn(width, width // groups, kernel) * 0.02)
        self.bias = nn.Parameter(torch.zeros(width))
        self.trim = 1 if kernel % 2 == 0 else 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # [B, C, T]
        norm = self.weight_v.pow(2).sum(dim=(0, 1), keepdim=True).sqrt()
        weight = self.weight_g * self.weight_v / norm
        y = F.conv1d(x, weight, self.bias, padding=self.padding, groups=self.groups)
        return F.gelu(y[..., : y.shape[-1] - self.trim])


class SelfAttention(nn.Module):
    """Multi-head self-attention whose position bias is scaled per query and head by a gate
    computed from the query (BEATs' gated relative position bias)."""

    def __init__(self, config: BeatsConfig, bias_table: nn.Embedding) -> None:
        super().__init__()
        width, heads = config.encoder_embed_dim, config.encoder_attention_heads
        self.heads, self.head_dim = heads, width // heads
        self.q_proj = nn.Linear(width, width)
        self.k_proj = nn.Linear(width, width)
        self.v_proj = nn.Linear(width, width)
        self.out_proj = nn.Linear(width, width)
        self.relative_attention_bias = bias_table
        self.grep_linear = nn.Linear(self.head_dim, 8)
        self.grep_a = nn.Parameter(torch.ones(1, heads, 1, 1))
        self.dropout = config.attention_dropout

    def split(self, x: torch.Tensor) -> torch.Tensor:  # [B, T, C] -> [B, H, T, d]
        return x.unflatten(-1, (self.heads, self.head_dim)).transpose(1, 2)

    def forward(self, x: torch.Tensor, position_bias: torch.Tensor) -> torch.Tensor:
        q, k, v = self.split(self.q_proj(x)), self.split(self.k_proj(x)), self.split(self.v_proj(x))
        gates = torch.sigmoid(self.grep_linear(q).unflatten(-1, (2, 4)).sum(-1))
        gate_a, gate_b = gates.chunk(2, dim=-1)  # [B, H, T, 1] each
        gate = gate_a * (gate_b * self.grep_a - 1.0) + 2.0
        scores = (q * self.head_dim**-0.5) @ k.transpose(-1, -2) + gate * position_bias
        weights = F.dropout(scores.softmax(dim=-1), self.dropout, self.training)
        return self.out_proj((weights @ v).transpose(1, 2).flatten(2))


class EncoderLayer(nn.Module):
    """Post-norm Transformer layer; DeepNorm scales each residual by (2 L)^(1/4)."""

    def __init__(self, config: BeatsConfig, bias_table: nn.Embedding) -> None:
        super().__init__()
        width = config.encoder_embed_dim
        self.self_attn = SelfAttention(config, bias_table)
        self.self_attn_layer_norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, config.encoder_ffn_embed_dim)
        self.fc2 = nn.Linear(config.encoder_ffn_embed_dim, width)
        self.final_layer_norm = nn.LayerNorm(width)
        self.alpha = (2 * config.encoder_layers) ** 0.25 if config.deep_norm else 1.0
        self.dropout, self.activation_dropout = config.dropout, config.activation_dropout

    def forward(self, x: torch.Tensor, position_bias: torch.Tensor) -> torch.Tensor:
        attended = F.dropout(self.self_attn(x, position_bias), self.dropout, self.training)
        x = self.self_attn_layer_norm(x * self.alpha + attended)
        hidden = F.dropout(F.gelu(self.fc1(x)), self.activation_dropout, self.training)
        out = F.dropout(self.fc2(hidden), self.dropout, self.training)
        return self.final_layer_norm(x * self.alpha + out)


class Encoder(nn.Module):
    def __init__(self, config: BeatsConfig) -> None:
        super().__init__()
        width = config.encoder_embed_dim
        self.pos_conv = nn.Sequential(PositionConv(width, config.conv_pos, config.conv_pos_groups))
        self.layer_norm = nn.LayerNorm(width)
        bias_table = nn.Embedding(config.num_buckets, config.encoder_attention_heads)
        self.layers = nn.ModuleList(
            EncoderLayer(config, bias_table) for _ in range(config.encoder_layers)
        )
        self.num_buckets, self.max_distance = config.num_buckets, config.max_distance
        self.dropout = config.dropout

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input to the first layer and the output of each layer."""
        x = self.layer_norm(x + self.pos_conv(x.transpose(1, 2)).transpose(1, 2))
        outputs = [F.dropout(x, self.dropout, self.training)]
        if len(self.layers):
            table = self.layers[0].self_attn.relative_attention_bias
            buckets = relative_buckets(x.shape[1], self.num_buckets, self.max_distance)
            position_bias = table(buckets.to(x.device)).permute(2, 0, 1)  # [H, T, T]
            for layer in self.layers:
                outputs.append(layer(outputs[-1], position_bias))
        return outputs

    def keep_layers(self, count: int) -> None:
        """Drop the layers after the first ``count`` (an embedding read from an inner layer
        needs no later one)."""
        del self.layers[count:]


class Beats(nn.Module):
    """BEATs: ``[B, samples]`` at 16 kHz -> ``[B, tokens, encoder_embed_dim]`` per layer, the
    tokens time-major (each time patch's frequency patches in turn)."""

    def __init__(self, config: BeatsConfig) -> None:
        super().__init__()
        self.config = config
        patch = config.input_patch_size
        self.patch_embedding = nn.Conv2d(
            1, config.embed_dim, kernel_size=patch, stride=patch, bias=config.conv_bias
        )
        self.layer_norm = nn.LayerNorm(config.embed_dim)
        self.post_extract_proj = (
            nn.Linear(config.embed_dim, config.encoder_embed_dim)
            if config.embed_dim != config.encoder_embed_dim
            else None
        )
        self.encoder = Encoder(config)

    @property
    def width(self) -> int:
        return self.config.encoder_embed_dim

    @property
    def depth(self) -> int:
        return len(self.encoder.layers)

    @property
    def longest_clip(self) -> None:
        """No limit: positions are relative."""
        return None

    def keep_layers(self, count: int) -> None:
        self.encoder.keep_layers(count)

    def layer_outputs(self, waveforms: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's input (index 0) and each layer's output."""
        bank = beats_features(waveforms).unsqueeze(1)  # [B, 1, frames, 128]
        patches = self.patch_embedding(bank).flatten(2).transpose(1, 2)
        x = self.layer_norm(patches)
        if self.post_extract_proj is not None:
            x = self.post_extract_proj(x)
        return self.encoder(x)
