"""BEATs as an asdbench embedder: frozen (``beats``, no training, the tokens' mean) or fine-tuned
through LoRA adapters with a pooling head (``beats_lora``, trained with any loss).

The encoder's weights come from a checkpoint file the user names; they are never trained (LoRA
adds small trainable matrices beside them), so a trial's stored weights leave them out and the
run records the file's SHA-256 instead (``input_digests``).
"""

from __future__ import annotations

from collections.abc import Mapping
from math import gcd
from typing import Annotated, Any, ClassVar, Literal

import numpy as np
import torch
from torch import nn

from asdbench import Range
from asdbench_pretrained import checkpoints
from asdbench_pretrained.beats import Beats, BeatsConfig
from asdbench_pretrained.pooling import Pooling, pooling_head

#: BEATs' sample rate; clips at another rate are resampled to it.
ENCODER_RATE = 16000
#: Samples a clip needs at 16 kHz for one 16-frame patch (25 ms frames every 10 ms).
LEAST_SAMPLES = 400 + 15 * 160
#: The linear maps of a BEATs layer that LoRA may adapt.
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "out_proj", "fc1", "fc2")

Checkpoint = Annotated[
    str | None, "A BEATs checkpoint file (.pt as published); `asdbench models` lists them"
]
Layer = Annotated[
    int | None,
    "Transformer layer whose tokens are pooled (0: the input to the first); default: the last",
    Range(0, None),
]


def load_beats(checkpoint: str | None, layer: int | None) -> Beats:
    """The encoder of ``checkpoint``, up to ``layer`` (default: every layer); refused values
    and wrong files raise ``ValueError``."""
    if checkpoint is None:
        raise ValueError(
            "needs a checkpoint file: --set embedder.checkpoint=PATH (`asdbench models` lists "
            "the published ones)"
        )
    loaded = checkpoints.read(checkpoint)
    if not isinstance(loaded.get("cfg"), dict) or not isinstance(loaded.get("model"), dict):
        found = ", ".join(sorted(map(str, loaded))[:4]) or "nothing"
        raise ValueError(
            f"{checkpoints.describe(checkpoint)} is not a BEATs checkpoint (it has no 'cfg' and "
            f"'model' entries; it has {found})"
        )
    try:
        config = BeatsConfig.from_checkpoint(loaded["cfg"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{checkpoints.describe(checkpoint)}: {exc}") from exc
    encoder = Beats(config)
    weights = {k: v for k, v in loaded["model"].items() if not k.startswith("predictor")}
    checkpoints.load_into(encoder, weights, checkpoint, "BEATs")
    depth = config.encoder_layers
    if layer is not None and layer > depth:
        raise ValueError(
            f"layer must be between 0 and {depth} (the checkpoint's layers), got {layer}"
        )
    encoder.encoder.keep_layers(depth if layer is None else layer)
    return encoder


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


class _BeatsEmbedder(nn.Module):
    """What both BEATs embedders share: the checkpoint, resampling and the chosen layer."""

    numerics_version: ClassVar[str] = "1"

    def __init__(
        self, *, sample_rate: int, clip_samples: int, checkpoint: str | None, layer: int | None
    ) -> None:
        super().__init__()
        self.resample = Resample(sample_rate)
        if self.resample.samples(clip_samples) < LEAST_SAMPLES:
            raise ValueError(
                f"clips of {clip_samples} samples at {sample_rate} Hz are shorter than one "
                f"BEATs patch (16 frames, {LEAST_SAMPLES} samples at 16 kHz)"
            )
        self.encoder = load_beats(checkpoint, layer)
        self.width = self.encoder.config.encoder_embed_dim

    @classmethod
    def input_digests(cls, options: Mapping[str, Any]) -> dict[str, str]:
        """The checkpoint file's SHA-256: a run is defined by the weights, not by a path."""
        path = options.get("checkpoint")
        return {"checkpoint_sha256": checkpoints.sha256(path)} if path else {}

    def tokens(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.encoder.layer_outputs(self.resample(waveforms))[-1]


class FrozenBeats(_BeatsEmbedder):
    """BEATs as published, no training: the chosen layer's tokens averaged over the clip
    (ASDKit's frozen BEATs), with their standard deviation for ``mean_std``. The embedding has
    the encoder's width (768 for iter3), twice that for ``mean_std``: set
    ``train.embedding_dim`` to it."""

    needs_training: ClassVar[bool] = False

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        embedding_dim: int,
        checkpoint: Checkpoint = None,
        layer: Layer = None,
        pooling: Annotated[
            Literal["mean", "mean_std"], "The tokens' mean, or their mean and standard deviation"
        ] = "mean",
    ) -> None:
        super().__init__(
            sample_rate=sample_rate, clip_samples=clip_samples, checkpoint=checkpoint, layer=layer
        )
        if pooling not in ("mean", "mean_std"):
            raise ValueError(f"pooling must be 'mean' or 'mean_std', got {pooling!r}")
        self.pooling = pooling
        width = self.width * (2 if pooling == "mean_std" else 1)
        if embedding_dim != width:
            raise ValueError(
                f"gives {width}-dimensional embeddings ({pooling} of {self.width}-wide tokens): "
                f"set train.embedding_dim={width}, got {embedding_dim}"
            )
        self.requires_grad_(False)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        tokens = self.tokens(waveforms)
        if self.pooling == "mean":
            return tokens.mean(dim=1)
        return torch.cat([tokens.mean(dim=1), tokens.std(dim=1, unbiased=False)], dim=1)


class LoraBeats(_BeatsEmbedder):
    """BEATs fine-tuned through LoRA (Hu et al. 2022, the ``peft`` library) on the chosen linear
    maps of every layer, its weights held fixed, and a pooling head to ``embedding_dim``:
    ASDKit's recipe (rank 64 on q and v, peft's alpha 8, attentive statistics pooling)."""

    needs_training: ClassVar[bool] = True

    def __init__(
        self,
        *,
        sample_rate: int,
        clip_samples: int,
        embedding_dim: int,
        checkpoint: Checkpoint = None,
        layer: Layer = None,
        pooling: Annotated[Pooling, "Head: attentive statistics pooling, or the mean"] = "asp",
        lora_rank: Annotated[int, "Rank of each LoRA update", Range(1, None)] = 64,
        lora_alpha: Annotated[
            float, "LoRA scale numerator (update x alpha / rank)", Range(0, None)
        ] = 8.0,
        lora_targets: Annotated[
            str, "Comma-separated linear maps of each layer to adapt: " + ", ".join(LORA_TARGETS)
        ] = "q_proj,v_proj",
        lora_dropout: Annotated[float, "Dropout on the LoRA input", Range(0, 0.99)] = 0.0,
    ) -> None:
        super().__init__(
            sample_rate=sample_rate, clip_samples=clip_samples, checkpoint=checkpoint, layer=layer
        )
        targets = [t.strip() for t in lora_targets.split(",") if t.strip()]
        unknown = [t for t in targets if t not in LORA_TARGETS]
        if not targets or unknown:
            raise ValueError(
                f"lora_targets must name some of {', '.join(LORA_TARGETS)}, got {lora_targets!r}"
            )
        from peft import LoraConfig, inject_adapter_in_model

        self.encoder.requires_grad_(False)
        config = LoraConfig(
            r=lora_rank, lora_alpha=lora_alpha, lora_dropout=lora_dropout, target_modules=targets
        )
        self.encoder = inject_adapter_in_model(config, self.encoder)
        for name, parameter in self.encoder.named_parameters():
            parameter.requires_grad_("lora_" in name)
        self.head = pooling_head(pooling, self.width, embedding_dim)

    def forward(self, waveforms: torch.Tensor) -> torch.Tensor:
        return self.head(self.tokens(waveforms))
