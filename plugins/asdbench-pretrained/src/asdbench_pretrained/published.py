"""The published checkpoints the encoders here read (import-light: ``asdbench models`` lists
them without torch)."""

from __future__ import annotations

from dataclasses import dataclass

BEATS_PAGE = "https://github.com/microsoft/unilm/tree/master/beats"


@dataclass(frozen=True)
class KnownCheckpoint:
    """A published checkpoint: what it is, where to get it, its licence and its size (the
    parameter count its paper gives; the file holds them as float32, 4 bytes each)."""

    name: str
    embedder: str
    summary: str
    url: str
    licence: str
    parameters_m: int

    @property
    def size_mb(self) -> int:
        return round(self.parameters_m * 4 * 1e6 / 2**20)


#: The checkpoints the encoders here were written for.
KNOWN = (
    KnownCheckpoint(
        "BEATs_iter3",
        "beats",
        "BEATs iter3, self-supervised on AudioSet-2M (a .pt file)",
        BEATS_PAGE,
        "MIT",
        90,
    ),
    KnownCheckpoint(
        "BEATs_iter3_plus_AS2M",
        "beats",
        "BEATs iter3+, self-supervised on AudioSet-2M (a .pt file)",
        BEATS_PAGE,
        "MIT",
        90,
    ),
    KnownCheckpoint(
        "EAT-base_epoch30_pretrain",
        "eat",
        "EAT-base, 30 epochs self-supervised on AudioSet-2M (model.safetensors + config.json)",
        "https://huggingface.co/worstchan/EAT-base_epoch30_pretrain",
        "MIT",
        88,
    ),
    KnownCheckpoint(
        "EAT-base_epoch30_finetune_AS2M",
        "eat",
        "EAT-base, then fine-tuned on AudioSet-2M labels (model.safetensors + config.json)",
        "https://huggingface.co/worstchan/EAT-base_epoch30_finetune_AS2M",
        "MIT",
        88,
    ),
)
