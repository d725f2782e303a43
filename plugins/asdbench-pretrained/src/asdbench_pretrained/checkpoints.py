"""Checkpoint files: reading a file the user names, its digest, and the checks that turn a
wrong file into a one-line error before any work.

No file is downloaded: a user fetches the published file once and passes its path with
``--set embedder.checkpoint=PATH``. Files are read with ``torch.load(weights_only=True)``: no
pickled code runs.
"""

from __future__ import annotations

import functools
import hashlib
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn


def describe(path: str | os.PathLike[str]) -> str:
    return f"checkpoint {os.fspath(path)!r}"


def read(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The file's top-level dict; a missing, unreadable or unsafe file is a ``ValueError``."""
    file = Path(path).expanduser()
    if not file.is_file():
        raise ValueError(f"{describe(path)}: no such file")
    try:
        loaded = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # any reader's failure means the same to the user
        raise ValueError(
            f"{describe(path)}: not a readable checkpoint (a torch file of tensors and plain "
            f"values, read with weights_only=True; {type(exc).__name__})"
        ) from exc
    if not isinstance(loaded, dict):
        raise ValueError(f"{describe(path)}: not a checkpoint (holds a {type(loaded).__name__})")
    return loaded


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """A ``.safetensors`` file's tensors; a missing or malformed file is a ``ValueError``."""
    if not path.is_file():
        raise ValueError(f"{describe(path)}: no such file")
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise ValueError(f"{describe(path)}: not a readable safetensors file ({exc})") from exc


@functools.lru_cache(maxsize=16)
def _sha256(path: str, size: int, modified: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256(path: str | os.PathLike[str]) -> str:
    """The file's SHA-256 (read once per size and modification time)."""
    stat = Path(path).expanduser().stat()
    return _sha256(str(Path(path).expanduser()), stat.st_size, stat.st_mtime_ns)


def load_into(module: nn.Module, weights: dict[str, torch.Tensor], path: str, what: str) -> None:
    """Load ``weights`` into ``module``; a missing, unexpected or differently shaped tensor is a
    one-line ``ValueError`` naming the first one (a file of another architecture or size)."""
    expected = module.state_dict()
    missing = [k for k in expected if k not in weights]
    unexpected = [k for k in weights if k not in expected]
    if missing or unexpected:
        shown = ", ".join(
            [f"missing {k}" for k in missing[:2]] + [f"unknown {k}" for k in unexpected[:2]]
        )
        count = len(missing) + len(unexpected)
        raise ValueError(
            f"{describe(path)} does not hold the {what} its configuration describes: {shown} "
            f"({count} in all)"
        )
    for key, tensor in weights.items():
        if tuple(tensor.shape) != tuple(expected[key].shape):
            raise ValueError(
                f"{describe(path)}: {key} has shape {tuple(tensor.shape)} in the file but "
                f"{tuple(expected[key].shape)} in the {what} its configuration describes"
            )
    module.load_state_dict(weights)
