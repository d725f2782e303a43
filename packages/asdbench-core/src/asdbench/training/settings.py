"""The settings of the training loop (``--set train.*``): what they mean, their defaults (the
reference system's) and the values they may take. Import-light: the CLI lists them."""

from __future__ import annotations

import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Annotated, Literal

from asdbench.errors import OptionError
from asdbench.registry.options import Option, declared

Precision = Literal["fp32", "bf16"]


@dataclass
class TrainConfig:
    """Training settings; defaults follow the reference system (Adam as in Keras, batch 64)."""

    epochs: Annotated[int, "Passes over the training clips"] = 10
    batch_size: Annotated[int, "Clips per training step (at least 2, for batch norm)"] = 64
    embedding_dim: Annotated[int, "Size of the embedding the embedder outputs"] = 512
    learning_rate: Annotated[float, "Adam learning rate"] = 1e-3
    adam_eps: Annotated[float, "Adam epsilon (Keras's default, 1e-7)"] = 1e-7
    l2_weight: Annotated[
        float, "Weight of the L2 penalty on conv and dense kernels (as Keras adds it)"
    ] = 1e-5
    mixup_prob: Annotated[
        float, "Probability that a clip is mixed with another (mixup), in [0, 1]"
    ] = 1.0
    precision: Annotated[Precision, "fp32, or bf16 autocast on GPUs that support it"] = "fp32"
    crop: Annotated[
        Literal["each_epoch", "once"],
        "each_epoch: a new random crop of every training clip each epoch; once: one random "
        "crop per clip, drawn once and kept (the released code)",
    ] = "each_epoch"
    embed_offset: Annotated[
        Literal["start", "random"],
        "Where clips are cut for the embeddings the back end scores: at the start, or at one "
        "random offset per clip fixed by the seed (the released code; a training clip then at "
        "its crop=once crop)",
    ] = "start"

    def validate(self) -> None:
        """Refuse values no run can use, naming the setting (the numbers' bounds here, the
        choices from each setting's ``Literal`` type)."""
        for name in ("epochs", "embedding_dim"):
            if getattr(self, name) < 1:
                raise OptionError(f"train.{name} must be at least 1, got {getattr(self, name)}")
        if self.batch_size < 2:
            raise OptionError(
                f"train.batch_size must be at least 2 (batch norm needs two clips), got "
                f"{self.batch_size}"
            )
        for name in ("learning_rate", "adam_eps", "l2_weight", "mixup_prob"):
            if not math.isfinite(getattr(self, name)):
                raise OptionError(
                    f"train.{name} must be a finite number, got {getattr(self, name)}"
                )
        if not 0.0 <= self.mixup_prob <= 1.0:
            raise OptionError(f"train.mixup_prob must be in [0, 1], got {self.mixup_prob}")
        for name in ("learning_rate", "adam_eps"):
            if getattr(self, name) <= 0:
                raise OptionError(f"train.{name} must be positive, got {getattr(self, name)}")
        if self.l2_weight < 0:
            raise OptionError(f"train.l2_weight must not be negative, got {self.l2_weight}")
        for name, option in train_options().items():  # the choices of each Literal setting
            choices = typing.get_args(option.annotation)
            if (
                typing.get_origin(option.annotation) is Literal
                and getattr(self, name) not in choices
            ):
                raise OptionError(
                    f"train.{name} must be one of {', '.join(choices)}, got {getattr(self, name)!r}"
                )


def train_options() -> dict[str, Option]:
    """The ``train.*`` options, with their descriptions."""
    hints = typing.get_type_hints(TrainConfig, include_extras=True)
    return {
        f.name: declared(f.name, hints[f.name], f.default) for f in dataclasses.fields(TrainConfig)
    }
