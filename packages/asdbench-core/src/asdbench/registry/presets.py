"""Presets by name, collected from every plugin's ``asdbench_presets`` hook."""

from __future__ import annotations

from dataclasses import dataclass

from asdbench.errors import UnknownComponentError
from asdbench.registry.components import collect
from asdbench.registry.manager import PluginInfo, Plugins
from asdbench.registry.specs import PresetSpec

HOOK = "asdbench_presets"


@dataclass(frozen=True)
class Preset:
    """A registered preset and the plugin that registered it."""

    spec: PresetSpec
    plugin: PluginInfo

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        """``adaproj-code@1``: what runs record."""
        return self.spec.label


def presets(plugins: Plugins | None = None) -> dict[str, Preset]:
    """Every preset by name. Two plugins registering one name is an error."""
    found = collect(HOOK, PresetSpec, "preset", plugins)
    return {name: Preset(record, info) for name, (record, info) in found.items()}


def get_preset(name: str, plugins: Plugins | None = None) -> Preset:
    """The preset named ``name``, or ``name@version`` as runs record it and ``asdbench list
    presets`` shows it (the version must be the installed one); an unknown name lists the
    available ones."""
    found = presets(plugins)
    bare, at, version = name.partition("@")
    if bare not in found:
        names = ", ".join(found) or "none installed"
        raise UnknownComponentError(f"unknown preset {bare!r}; available: {names}")
    preset = found[bare]
    if at and version != str(preset.spec.version):
        raise UnknownComponentError(
            f"preset {bare} is at version {preset.spec.version} here, not {version}: its values "
            f"changed since; use --preset {preset.label} (asdbench list presets shows them)"
        )
    return preset
