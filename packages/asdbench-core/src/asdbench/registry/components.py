"""Components by kind and name, collected from every plugin's registration hook."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from asdbench.contracts import KINDS, Built, kind_named
from asdbench.errors import OptionError, PluginError, UnknownComponentError
from asdbench.registry.manager import PluginInfo, Plugins, get_plugins
from asdbench.registry.options import Option, check_options, options_of
from asdbench.registry.specs import SPEC_TYPES, ComponentSpec


def normalise_kind(kind: str) -> str:
    """``"losses"`` or ``"loss"`` -> ``"loss"``; anything else is an error listing the kinds."""
    found = kind_named(kind)
    if found is None:
        raise UnknownComponentError(f"unknown kind {kind!r}; kinds: {', '.join(KINDS)}")
    return found.name


@dataclass(frozen=True)
class Component:
    """A registered spec record and the plugin that registered it."""

    spec: ComponentSpec
    plugin: PluginInfo

    @property
    def kind(self) -> str:
        return self.spec.kind

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name!r}"

    def options(self) -> list[Option]:
        """The user options (imports the factory's module)."""
        return options_of(self.spec.resolve(), self.spec.context)

    def check(self, options: dict[str, Any]) -> None:
        check_options(self.label, self.spec.resolve(), options, self.spec.context)

    def create(self, **kwargs: Any) -> Built:
        """Build the component; ``kwargs`` are its context arguments and options."""
        factory = self.spec.resolve()
        missing = [
            name
            for name in self.spec.context
            if name not in kwargs and name not in self.spec.optional_context
        ]
        if missing:
            needed = ", ".join(f"{name}=..." for name in missing)
            raise OptionError(f"{self.label} needs {needed}")
        self.check(kwargs)
        try:
            return factory(**kwargs)
        except ValueError as exc:  # a value the component refuses
            origin = f" ({self.plugin.distribution})" if self.plugin.distribution else ""
            raise OptionError(f"{self.label}{origin}: {exc}") from exc


def collect(
    hook: str, spec_type: type, what: str, plugins: Plugins | None = None
) -> dict[str, tuple[Any, PluginInfo]]:
    """Every record ``hook`` yields, by name, with its plugin; a record of another type, or
    two plugins registering one name, is an error naming them."""
    plugins = plugins or get_plugins()
    found: dict[str, tuple[Any, PluginInfo]] = {}
    for info, records in plugins.call(hook):
        for record in records or ():
            if not isinstance(record, spec_type):
                raise PluginError(
                    f"{info.label} yielded {type(record).__name__} from {hook}; "
                    f"expected {spec_type.__name__}"
                )
            if record.name in found:
                other = found[record.name][1]
                raise PluginError(
                    f"{what} {record.name!r} is registered twice: by {other.label} and by "
                    f"{info.label}; uninstall one, or block one with "
                    f"ASDBENCH_DISABLE_PLUGINS={info.name}"
                )
            found[record.name] = (record, info)
    return dict(sorted(found.items()))


def components(kind: str, plugins: Plugins | None = None) -> dict[str, Component]:
    """Every component of ``kind`` by name. Two plugins registering one name is an error."""
    kind = normalise_kind(kind)
    found = collect(KINDS[kind].hook, SPEC_TYPES[kind], kind, plugins)
    return {name: Component(record, info) for name, (record, info) in found.items()}


def get(kind: str, name: str, plugins: Plugins | None = None) -> Component:
    """The component named ``name``; an unknown name lists the available ones."""
    found = components(kind, plugins)
    if name not in found:
        kind = normalise_kind(kind)
        names = ", ".join(found) or "none installed"
        close = difflib.get_close_matches(name, list(found), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownComponentError(f"unknown {kind} {name!r}{hint}; available: {names}")
    return found[name]


def available(kind: str) -> list[str]:
    """The registered names of a kind: ``"loss"``, ``"embedder"``, ``"backend"``,
    ``"dataset"`` or ``"ensemble"``."""
    return list(components(kind))


def create(kind: str, name: str, **kwargs: Any) -> Built:
    """Build a component by kind and name, checking its options against its signature.

    >>> asdbench.create("loss", "adaproj", num_classes=10, embedding_dim=512, subspace_dim=32)
    """
    return get(kind, name).create(**kwargs)
