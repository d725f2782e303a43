"""BEATs and EAT as asdbench embedders: frozen (``beats``, ``eat``: no training, a layer's tokens
pooled) or fine-tuned through LoRA adapters with a pooling head (``beats_lora``, ``eat_lora``:
trained with any loss).

The encoder's weights come from a checkpoint file the user names; they are never trained (LoRA
adds small trainable matrices beside them), so a trial's stored weights leave them out and the
run records the files' SHA-256 instead (``input_digests``).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import gcd
from typing import Annotated, Any, ClassVar, Literal, get_args

import numpy as np
import torch
from torch import nn

from asdbench import Range
from asdbench_pretrained import checkpoints
from asdbench_pretrained.encoders import ARCHITECTURES, Architecture, load
from asdbench_pretrained.pooling import pooling_head

#: The encoders' sample rate; clips at another rate are resampled to it.
ENCODER_RATE = 16000
#: Samples a clip needs at 16 kHz for one 16-frame patch (25 ms frames every 10 ms).
LEAST_SAMPLES = 400 + 15 * 160

Checkpoint = Annotated[
    str | None,
    "The published checkpoint: a BEATs .pt, an EAT model.safetensors (or its folder, with its "
    "config.json); `asdbench models` lists them",
]
Layer = Annotated[
    int | None,
    "Transformer layer whose tokens are pooled (0: the input to the first); default: the last",
    Range(0, None),
]
LoraRank = Annotated[int, "Rank of each LoRA update", Range(1, None)]
LoraAlpha = Annotated[float, "LoRA scale numerator (update x alpha / rank)", Range(0, None)]
LoraDropout = Annotated[float, "Dropout on the LoRA input", Range(0, 0.99)]
FrozenBeatsPooling = Literal["mean", "mean_std"]
FrozenEatPooling = Literal["cls", "mean", "mean_std"]
LoraBeatsPooling = Literal["asp", "mean"]
LoraEatPooling = Literal["cls", "asp", "mean"]


def lora_targets_help(architecture: Architecture) -> str:
    return "Comma-separated linear maps of each layer to adapt: " + ", ".join(
        architecture.lora_modules
    )


class Resample(nn.Module):
    """Polyphase resampling to 16 kHz (scipy's ``resample_poly``, Kaiser window); the identity
    for 16 kHz clips, as every DCASE year's are."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__()
        common = gcd(sample_rate, ENCODER_RATE)
        self.up, self.down = ENCODER_RATE // common, sample_rate // common

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        if self.up == self.down:
            return waveforms
        from scipy.signal import resample_poly

        resampled = resample_poly(waveforms.detach().cpu().numpy(), self.up, self.down, axis=-1)
        return torch.from_numpy(np.ascontiguousarray(resampled, dtype=np.float32)).to(waveforms)

    def samples(self, count: int) -> int:
        return -(-count * self.up // self.down)


class _Pretrained(nn.Module):
    """What every pretrained embedder shares: the checkpoint, resampling, the chosen layer and
    the split of its tokens into the utterance token and the patches."""

    architecture: ClassVar[Architecture]
    numerics_version: ClassVar[str] = "1"

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        checkpoint: Checkpoint = None,
        layer: Layer = None,
    ) -> None:
        super().__init__()
        self.resample = Resample(sample_rate)
        if self.resample.samples(clip_samples) < LEAST_SAMPLES:
            raise ValueError(
                f"clips of {clip_samples} samples at {sample_rate} Hz are shorter than one "
                f"{self.architecture.name} patch (16 frames, {LEAST_SAMPLES} samples at 16 kHz)"
            )
        self.encoder = load(self.architecture, checkpoint, layer)
        self.width = self.encoder.width
        longest = self.encoder.longest_clip
        if longest is not None and self.resample.samples(clip_samples) > longest:
            raise ValueError(
                f"clips of {clip_samples} samples at {sample_rate} Hz are longer than the "
                f"checkpoint's positions cover ({longest / ENCODER_RATE:.2f} s)"
            )

    @classmethod
    def input_digests(cls, options: Mapping[str, Any]) -> dict[str, str]:
        """The checkpoint files' SHA-256: a run is defined by the weights, not by a path (a
        file that is not there has none; building the embedder says so)."""
        path = options.get("checkpoint")
        if not path:
            return {}
        files = cls.architecture.files(path).items()
        return {name: checkpoints.sha256(file) for name, file in files if file.is_file()}

    def tokens(self, waveforms: torch.Tensor) -> tuple[torch.Tensor | None, torch.Tensor]:
        """The chosen layer's utterance token (``None`` where there is none) and patches."""
        tokens = self.encoder.layer_outputs(self.resample(waveforms))[-1]
        if self.architecture.utterance_token:
            return tokens[:, 0], tokens[:, 1:]
        return None, tokens


def _check_pooling(pooling: str, allowed: tuple[str, ...]) -> None:
    if pooling not in allowed:
        raise ValueError(f"pooling must be one of {', '.join(allowed)}, got {pooling!r}")


class _Frozen(_Pretrained):
    """The encoder as published, no training: the utterance token (``cls``), the patches'
    mean, or their mean and standard deviation (``mean_std``). The embedding has the encoder's
    width (768 for the published ones), twice that for ``mean_std``: set
    ``train.embedding_dim`` to it."""

    needs_training: ClassVar[bool] = False
    poolings: ClassVar[tuple[str, ...]]

    def __init__(self, *, embedding_dim: int, pooling: str, **options: Any) -> None:
        super().__init__(**options)
        _check_pooling(pooling, self.poolings)
        self.pooling = pooling
        width = self.width * (2 if pooling == "mean_std" else 1)
        if embedding_dim != width:
            raise ValueError(
                f"gives {width}-dimensional embeddings ({pooling} of {self.width}-wide tokens): "
                f"set train.embedding_dim={width}, got {embedding_dim}"
            )
        self.requires_grad_(False)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        utterance, patches = self.tokens(waveforms)
        if self.pooling == "cls":
            return utterance
        mean = patches.mean(dim=1)
        if self.pooling == "mean":
            return mean
        return torch.cat([mean, patches.std(dim=1, unbiased=False)], dim=1)


class _Lora(_Pretrained):
    """The encoder fine-tuned through LoRA (Hu et al. 2022, the ``peft`` library) on the
    chosen linear maps of every layer, its weights held fixed, and a head to
    ``embedding_dim``: attentive statistics pooling (``asp``) or the mean of the patches, or
    the utterance token (``cls``), each followed by a linear map."""

    needs_training: ClassVar[bool] = True
    poolings: ClassVar[tuple[str, ...]]

    def __init__(
        self,
        *,
        embedding_dim: int,
        pooling: str,
        lora_targets: str,
        lora_rank: LoraRank = 64,
        lora_alpha: LoraAlpha = 8.0,
        lora_dropout: LoraDropout = 0.0,
        **options: Any,
    ) -> None:
        _check_pooling(pooling, self.poolings)
        modules = self.architecture.lora_modules
        targets = [t.strip() for t in lora_targets.split(",") if t.strip()]
        if not targets or any(t not in modules for t in targets):
            raise ValueError(
                f"lora_targets must name some of {', '.join(modules)}, got {lora_targets!r}"
            )
        super().__init__(**options)
        from peft import LoraConfig, inject_adapter_in_model

        self.encoder.requires_grad_(False)
        config = LoraConfig(
            r=lora_rank,
            lora_alpha=lora_alpha,
            lora_dropout=lora_dropout,
            target_modules=[modules[t] for t in targets],
        )
        self.encoder = inject_adapter_in_model(config, self.encoder)
        for name, parameter in self.encoder.named_parameters():
            parameter.requires_grad_("lora_" in name)
        self.pooling = pooling
        self.head = (
            nn.Linear(self.width, embedding_dim)
            if pooling == "cls"
            else pooling_head(pooling, self.width, embedding_dim)
        )

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        utterance, patches = self.tokens(waveforms)
        return self.head(utterance if self.pooling == "cls" else patches)


class FrozenBeats(_Frozen):
    __doc__ = "BEATs as published. " + (_Frozen.__doc__ or "")
    architecture = ARCHITECTURES["beats"]
    poolings = get_args(FrozenBeatsPooling)

    def __init__(
        self,
        *,
        embedding_dim: int,
        pooling: Annotated[
            FrozenBeatsPooling, "The patches' mean, or their mean and standard deviation"
        ] = "mean",
        **options: Any,
    ) -> None:
        super().__init__(embedding_dim=embedding_dim, pooling=pooling, **options)


class FrozenEat(_Frozen):
    __doc__ = "EAT as published. " + (_Frozen.__doc__ or "")
    architecture = ARCHITECTURES["eat"]
    poolings = get_args(FrozenEatPooling)

    def __init__(
        self,
        *,
        embedding_dim: int,
        pooling: Annotated[
            FrozenEatPooling,
            "The utterance token, the patches' mean, or their mean and standard deviation",
        ] = "cls",
        **options: Any,
    ) -> None:
        super().__init__(embedding_dim=embedding_dim, pooling=pooling, **options)


class LoraBeats(_Lora):
    __doc__ = (_Lora.__doc__ or "") + (
        " ASDKit's BEATs recipe: rank 64 on q and v, peft's alpha 8, attentive statistics pooling."
    )
    architecture = ARCHITECTURES["beats"]
    poolings = get_args(LoraBeatsPooling)

    def __init__(
        self,
        *,
        embedding_dim: int,
        pooling: Annotated[
            LoraBeatsPooling, "Head: attentive statistics pooling, or the mean"
        ] = "asp",
        lora_targets: Annotated[str, lora_targets_help(ARCHITECTURES["beats"])] = "q_proj,v_proj",
        **options: Any,
    ) -> None:
        super().__init__(
            embedding_dim=embedding_dim, pooling=pooling, lora_targets=lora_targets, **options
        )


class LoraEat(_Lora):
    __doc__ = (_Lora.__doc__ or "") + (
        " ASDKit's EAT recipe: rank 64 on the fused qkv map, the utterance token."
    )
    architecture = ARCHITECTURES["eat"]
    poolings = get_args(LoraEatPooling)

    def __init__(
        self,
        *,
        embedding_dim: int,
        pooling: Annotated[
            LoraEatPooling,
            "Head on the utterance token, attentive statistics pooling, or the mean",
        ] = "cls",
        lora_targets: Annotated[str, lora_targets_help(ARCHITECTURES["eat"])] = "qkv",
        **options: Any,
    ) -> None:
        super().__init__(
            embedding_dim=embedding_dim, pooling=pooling, lora_targets=lora_targets, **options
        )
