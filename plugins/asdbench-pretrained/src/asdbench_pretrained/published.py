"""The published checkpoints the encoders here read (import-light: ``asdbench models`` lists
them without torch)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCheckpoint:
    """A published checkpoint: what it is, where to get it and under what licence."""

    name: str
    architecture: str
    summary: str
    url: str
    licence: str
    size_mb: int


#: The checkpoints the encoders here were written for (sizes as published, in MB).
KNOWN = (
    KnownCheckpoint(
        "BEATs_iter3",
        "beats",
        "BEATs iter3, self-supervised on AudioSet-2M",
        "https://github.com/microsoft/unilm/tree/master/beats",
        "MIT",
        345,
    ),
    KnownCheckpoint(
        "BEATs_iter3_plus_AS2M",
        "beats",
        "BEATs iter3+, self-supervised on AudioSet-2M",
        "https://github.com/microsoft/unilm/tree/master/beats",
        "MIT",
        345,
    ),
)
