"""Spec records: what a plugin yields from a registration hook, one per component.

A record is small and import-light. `factory` is either the callable that builds the component
or a ``"module:attribute"`` string, which is imported only when the component is used, so that
listing plugins never imports torch.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from asdbench.contracts import KINDS

Factory = Callable[..., Any] | str


def check_name(what: str, name: str) -> None:
    """The rule of every name a plugin gives (components and presets): letters, digits, _, -."""
    if not name or not name.replace("_", "").replace("-", "").isalnum():
        raise ValueError(f"invalid {what} name {name!r}: use letters, digits, _ and -")


@dataclass(frozen=True)
class ComponentSpec:
    """Fields shared by every kind of component."""

    kind: ClassVar[str]

    name: str
    factory: Factory
    summary: str

    def __post_init__(self) -> None:
        check_name(self.kind, self.name)
        if not isinstance(self.factory, str) and not callable(self.factory):
            raise TypeError(f"{self.kind} {self.name!r}: factory must be callable or 'module:attr'")

    @property
    def context(self) -> tuple[str, ...]:
        """Arguments the pipeline passes the factory itself; they are not user options."""
        return KINDS[self.kind].context

    @property
    def optional_context(self) -> tuple[str, ...]:
        """Those of ``context`` passed only to a factory that declares it takes them."""
        return KINDS[self.kind].optional_context

    def resolve(self) -> Callable[..., Any]:
        """The factory itself, importing it if it was given as ``"module:attribute"``."""
        if not isinstance(self.factory, str):
            return self.factory
        module_name, _, attribute = self.factory.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in attribute.split(".") if attribute else ():
            target = getattr(target, part)
        return target


def _spec_type(kind: str, name: str) -> type[ComponentSpec]:
    """The spec record of ``kind``, its contract named from the table of kinds."""
    contract = KINDS[kind].contract.__name__
    doc = f"A {kind}; its factory builds an :class:`asdbench.contracts.{contract}`."
    namespace = {"kind": kind, "__doc__": doc, "__module__": __name__, "__qualname__": name}
    return dataclass(frozen=True)(type(name, (ComponentSpec,), namespace))


#: The spec record of each kind (``asdbench.LossSpec`` ...), by kind.
SPEC_TYPES: dict[str, type[ComponentSpec]] = {
    kind: _spec_type(kind, f"{kind.capitalize()}Spec") for kind in KINDS
}
LossSpec = SPEC_TYPES["loss"]
EmbedderSpec = SPEC_TYPES["embedder"]
BackendSpec = SPEC_TYPES["backend"]
DatasetSpec = SPEC_TYPES["dataset"]
EnsembleSpec = SPEC_TYPES["ensemble"]


#: A preset's keys besides ``SECTION.OPTION``: components by kind, the number of trials and
#: the standard deviation the run reports over them; with what each must be (said in its error).
PRESET_SETTING_RULES = {
    **{
        kind.name: "must name a component (text)"
        + (", or be None for none" if kind.optional else "")
        for kind in KINDS.values()
        if kind.in_presets
    },
    "trials": "must be a whole number of at least 1",
    "std": "must be 'sample' or 'population'",
}


def _valid_setting(key: str, value: object) -> bool:
    if key == "trials":
        return isinstance(value, int) and not isinstance(value, bool) and value >= 1
    if key == "std":
        return value in ("sample", "population")
    if key in KINDS and KINDS[key].optional and value is None:
        return True
    return isinstance(value, str) and bool(value)


PRESET_SETTINGS = tuple(PRESET_SETTING_RULES)
#: The sections a preset's ``SECTION.OPTION`` keys may name: the kinds and the training.
PRESET_SECTIONS = (*KINDS, "train")


@dataclass(frozen=True)
class PresetSpec:
    """A named, versioned configuration: what ``asdbench run --preset NAME`` sets.

    ``values`` maps ``loss``/``embedder``/``backend``/``ensemble`` to component names
    (``ensemble`` to ``None`` for none), ``trials`` to a count, ``std`` to ``"sample"`` or
    ``"population"``, and ``SECTION.OPTION`` to an option value, exactly as ``--set`` takes it
    (``{"loss.subspace_dim": 16, "train.crop": "once"}``). A preset never chooses the dataset,
    only its options: it is a system, run on any data. Bump ``version`` whenever a value
    changes: runs record ``NAME@VERSION``.
    """

    name: str
    version: str
    summary: str
    values: Mapping[str, str | int | float | bool | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_name("preset", self.name)
        if not isinstance(self.version, str) or not self.version.strip():
            raise ValueError(f"preset {self.name!r}: version must be non-empty text")
        for key, value in self.values.items():
            section, dot, option = key.partition(".")
            if (dot and (section not in PRESET_SECTIONS or not option)) or (
                not dot and key not in PRESET_SETTINGS
            ):
                raise ValueError(
                    f"preset {self.name!r}: unknown key {key!r}; keys: "
                    f"{', '.join(PRESET_SETTINGS)} or SECTION.OPTION with SECTION one of "
                    f"{', '.join(PRESET_SECTIONS)}"
                )
            if not isinstance(value, str | int | float | bool | type(None)):
                raise ValueError(
                    f"preset {self.name!r}: {key} must be text, a number, a bool or None, "
                    f"got {value!r}"
                )
            if not dot and not _valid_setting(key, value):
                raise ValueError(f"preset {self.name!r}: {key} {PRESET_SETTING_RULES[key]}")

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"
