"""Each pretrained encoder's facts in one place: how its published file is read into the
encoder, the linear maps LoRA may adapt, and whether it has an utterance token."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from asdbench_pretrained import checkpoints
from asdbench_pretrained.beats import Beats, BeatsConfig
from asdbench_pretrained.eat import Eat, EatConfig


@dataclass(frozen=True)
class Architecture:
    """A pretrained encoder: its name, its reader (path -> encoder with every layer), the
    linear maps of a layer LoRA may adapt (a user's name -> the module path peft matches),
    whether its first token is an utterance token, and the files its checkpoint is made of
    (path -> {digest name: file})."""

    name: str
    read: Callable[[str], nn.Module]
    lora_modules: dict[str, str]
    utterance_token: bool
    files: Callable[[str], dict[str, Path]]


def _config_error(path: str, exc: Exception) -> ValueError:
    return ValueError(f"{checkpoints.describe(path)}: {exc}")


#: The position convolution's weight norm as torch's newer parametrisation names it (a file
#: re-saved from a model built with ``torch.nn.utils.parametrizations.weight_norm``).
WEIGHT_NORM_NAMES = {
    "encoder.pos_conv.0.parametrizations.weight.original0": "encoder.pos_conv.0.weight_g",
    "encoder.pos_conv.0.parametrizations.weight.original1": "encoder.pos_conv.0.weight_v",
}


def read_beats(path: str) -> Beats:
    """A BEATs ``.pt`` as Microsoft publishes it: ``{"cfg": {...}, "model": state dict}``
    (a fine-tuned file's label predictor is left out)."""
    loaded = checkpoints.read(path)
    if not isinstance(loaded.get("cfg"), dict) or not isinstance(loaded.get("model"), dict):
        found = ", ".join(sorted(map(str, loaded))[:4]) or "nothing"
        raise ValueError(
            f"{checkpoints.describe(path)} is not a BEATs checkpoint (it has no 'cfg' and "
            f"'model' entries; it has {found})"
        )
    try:
        encoder = Beats(BeatsConfig.from_checkpoint(loaded["cfg"]))
    except (TypeError, ValueError) as exc:
        raise _config_error(path, exc) from exc
    weights = {
        WEIGHT_NORM_NAMES.get(k, k): v
        for k, v in loaded["model"].items()
        if not k.startswith("predictor")
    }
    checkpoints.load_into(encoder, weights, path, "BEATs")
    return encoder


#: EAT's fixed position table, a parameter nothing trains.
POSITIONS = "fixed_positional_encoder.positions"


def eat_files(path: str) -> dict[str, Path]:
    """An EAT checkpoint is a Hugging Face release: ``model.safetensors`` and the
    ``config.json`` beside it; ``path`` names either the file or its folder."""
    given = Path(path).expanduser()
    weights = given / "model.safetensors" if given.is_dir() else given
    return {
        "checkpoint_sha256": weights,
        "checkpoint_config_sha256": weights.parent / "config.json",
    }


def read_eat(path: str) -> Eat:
    """An EAT release as its authors publish it on Hugging Face: the weights under ``model.``
    (a fine-tuned release's classifier is left out) and the architecture in ``config.json``.
    Their fairseq ``.pt`` files hold an omegaconf object ``weights_only`` refuses."""
    files = eat_files(path)
    weights_file, config_file = files["checkpoint_sha256"], files["checkpoint_config_sha256"]
    if weights_file.suffix != ".safetensors":
        raise ValueError(
            f"{checkpoints.describe(path)}: EAT is read from its Hugging Face release "
            "(model.safetensors with its config.json), not from a fairseq .pt"
        )
    weights = checkpoints.read_safetensors(weights_file)
    try:
        config_json: dict[str, Any] = json.loads(config_file.read_text())
        encoder = Eat(EatConfig.from_checkpoint(config_json))
    except FileNotFoundError as exc:
        raise ValueError(f"{checkpoints.describe(path)}: no config.json beside it") from exc
    except (TypeError, ValueError) as exc:
        raise _config_error(path, exc) from exc
    kept = {
        key.removeprefix("model."): tensor
        for key, tensor in weights.items()
        if not key.startswith(("model.fc_norm.", "model.head."))
    }
    # the fixed positions follow from the configuration; a file may leave them out
    kept.setdefault(POSITIONS, encoder.state_dict()[POSITIONS])
    checkpoints.load_into(encoder, kept, path, "EAT")
    return encoder


ARCHITECTURES = {
    "beats": Architecture(
        name="BEATs",
        read=read_beats,
        lora_modules={
            name: f"self_attn.{name}" for name in ("q_proj", "k_proj", "v_proj", "out_proj")
        }
        | {"fc1": "fc1", "fc2": "fc2"},
        utterance_token=False,
        files=lambda path: {"checkpoint_sha256": Path(path).expanduser()},
    ),
    "eat": Architecture(
        name="EAT",
        read=read_eat,
        lora_modules={"qkv": "attn.qkv", "proj": "attn.proj", "fc1": "mlp.fc1", "fc2": "mlp.fc2"},
        utterance_token=True,
        files=eat_files,
    ),
}


def load(architecture: Architecture, checkpoint: str | None, layer: int | None) -> nn.Module:
    """The encoder of ``checkpoint`` up to ``layer`` (default: every layer); a missing path,
    a wrong file or a layer it does not have is a ``ValueError``."""
    if checkpoint is None:
        raise ValueError(
            "needs a checkpoint file: --set embedder.checkpoint=PATH (`asdbench models` lists "
            "the published ones)"
        )
    encoder = architecture.read(checkpoint)
    depth = encoder.depth
    if layer is not None and layer > depth:
        raise ValueError(
            f"layer must be between 0 and {depth} (the checkpoint's layers), got {layer}"
        )
    encoder.keep_layers(depth if layer is None else layer)
    return encoder
