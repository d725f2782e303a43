"""Checkpoint files: reading a file the user names, its digest, and the checks that turn a
wrong file into a one-line error before any work.

No file is downloaded: a user fetches the published file once and passes its path with
``--set embedder.checkpoint=PATH``. Files are read with ``torch.load(weights_only=True)``: no
pickled code runs.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn


def known_fields(config_type: type, cfg: Mapping[str, Any]) -> dict[str, Any]:
    """The entries of a checkpoint's configuration that ``config_type`` (a dataclass) has;
    the rest (training settings, a classifier's) do not define the encoder."""
    known = {f.name for f in dataclasses.fields(config_type)}
    return {k: v for k, v in cfg.items() if k in known}


def refuse_unsupported(config: object, unsupported: Mapping[str, bool], design: str) -> None:
    """A ``ValueError`` naming each field whose value this code does not build."""
    wrong = [name for name, bad in unsupported.items() if bad]
    if wrong:
        values = ", ".join(f"{name}={getattr(config, name)!r}" for name in wrong)
        raise ValueError(f"not {design}: {values}")


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
