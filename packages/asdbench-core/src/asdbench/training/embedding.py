"""Every clip's embedding from a trained (or training-free) embedder, in inference mode."""

from __future__ import annotations

import numpy as np
import torch

from asdbench.contracts import Embedder
from asdbench.data.audio_cache import AudioCache


@torch.no_grad()
def embed(
    embedder: Embedder,
    cache: AudioCache,
    rows: np.ndarray,
    clip_samples: int,
    *,
    batch_size: int,
    device: torch.device,
    progress: bool = True,
    precision: str = "fp32",
    offsets: np.ndarray | None = None,
) -> np.ndarray:
    """Embeddings ``[len(rows), D]`` in inference mode, each clip cut at its offset in
    ``offsets`` (aligned with ``rows``; default: at its start)."""
    from tqdm.auto import tqdm

    embedder.eval()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=precision == "bf16")
    out = []
    if offsets is None:
        offsets = np.zeros(len(rows), dtype=np.int64)
    for start in tqdm(
        range(0, len(rows), batch_size),
        desc="embedding",
        unit="batch",
        disable=not progress,
        leave=False,
    ):
        batch = rows[start : start + batch_size]
        cuts = offsets[start : start + batch_size]
        waves = torch.from_numpy(cache.batch(batch, clip_samples, cuts)).to(device)
        with autocast:
            out.append(embedder(waves).float().cpu().numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), dtype=np.float32)
