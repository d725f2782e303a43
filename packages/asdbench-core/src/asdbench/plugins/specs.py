"""Spec records: what a plugin yields from a registration hook, one per component.

A record is small and import-light. `factory` is either the callable that builds the component
or a ``"module:attribute"`` string, which is imported only when the component is used, so that
listing plugins never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

Factory = Callable[..., Any] | str


@dataclass(frozen=True)
class ComponentSpec:
    """Fields shared by every kind of component."""

    kind: ClassVar[str]
    #: Arguments the pipeline passes itself; they are not user options.
    context: ClassVar[tuple[str, ...]] = ()

    name: str
    factory: Factory
    summary: str

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(
                f"invalid {self.kind} name {self.name!r}: use letters, digits, _ and -"
            )
        if not isinstance(self.factory, str) and not callable(self.factory):
            raise TypeError(f"{self.kind} {self.name!r}: factory must be callable or 'module:attr'")

    def resolve(self) -> Callable[..., Any]:
        """The factory itself, importing it if it was given as ``"module:attribute"``."""
        if not isinstance(self.factory, str):
            return self.factory
        module_name, _, attribute = self.factory.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
        return target


@dataclass(frozen=True)
class LossSpec(ComponentSpec):
    """``factory(*, num_classes, embedding_dim, **options) -> nn.Module``.

    The module's ``forward(embeddings [B, D], targets [B, C] soft labels)`` returns a scalar.
    """

    kind: ClassVar[str] = "loss"
    context: ClassVar[tuple[str, ...]] = ("num_classes", "embedding_dim")


@dataclass(frozen=True)
class EmbedderSpec(ComponentSpec):
    """``factory(*, sample_rate, clip_samples, embedding_dim, **options) -> nn.Module``.

    The module's ``forward(waveforms [B, T]) -> [B, D]``.
    """

    kind: ClassVar[str] = "embedder"
    context: ClassVar[tuple[str, ...]] = ("sample_rate", "clip_samples", "embedding_dim")


@dataclass(frozen=True)
class BackendSpec(ComponentSpec):
    """``factory(**options)`` returns an object with ``fit(...)`` and ``score(...)`` per section."""

    kind: ClassVar[str] = "backend"


@dataclass(frozen=True)
class DatasetSpec(ComponentSpec):
    """``factory(**options)`` returns a dataset whose ``load(data_dir)`` gives a ClipTable."""

    kind: ClassVar[str] = "dataset"


@dataclass(frozen=True)
class EnsembleSpec(ComponentSpec):
    """``factory(**options)`` returns an object whose ``combine(per-trial scores)`` gives scores."""

    kind: ClassVar[str] = "ensemble"


SPEC_TYPES: dict[str, type[ComponentSpec]] = {
    spec.kind: spec for spec in (LossSpec, EmbedderSpec, BackendSpec, DatasetSpec, EnsembleSpec)
}
#: The registration hook of each kind.
HOOKS: dict[str, str] = {
    "loss": "asdbench_losses",
    "embedder": "asdbench_embedders",
    "backend": "asdbench_backends",
    "dataset": "asdbench_datasets",
    "ensemble": "asdbench_ensembles",
}
#: Plural forms accepted wherever a kind is typed (``asdbench list losses``).
PLURALS: dict[str, str] = {
    "losses": "loss",
    "embedders": "embedder",
    "backends": "backend",
    "datasets": "dataset",
    "ensembles": "ensemble",
}
