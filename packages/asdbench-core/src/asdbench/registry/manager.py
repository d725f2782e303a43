"""The plugin manager: built-in plugins, entry-point loading, failures and tracing.

Environment variables (read when the manager is built):

- ``ASDBENCH_LOAD_PLUGINS``: comma-separated allowlist of distributions whose entry points load
  (empty: none). Built-in plugins always load.
- ``ASDBENCH_DISABLE_PLUGINS``: comma-separated plugin or distribution names never to load.
- ``ASDBENCH_STRICT_PLUGINS=1``: a plugin that fails to load is fatal instead of reported.
- ``ASDBENCH_TRACE_PLUGINS=1``: print every hook call and its results to stderr.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pluggy

from asdbench.errors import PluginError
from asdbench.registry.hookspecs import PROJECT, AsdbenchSpecs

ENTRY_POINT_GROUP = "asdbench"
CORE_DISTRIBUTION = "asdbench-core"

#: Modules inside core that register the built-in components, as ordinary plugins.
DEFAULT_PLUGINS: tuple[str, ...] = ("asdbench.registry.builtins",)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _env_list(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {_normalise(part.strip()) for part in value.split(",") if part.strip()}


def _env_flag(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() in {"1", "true", "yes", "on"}


def core_version() -> str:
    try:
        return importlib.metadata.version(CORE_DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


@dataclass
class PluginInfo:
    """One plugin: where it comes from, and the error if it failed to load."""

    name: str
    distribution: str | None = None
    version: str | None = None
    builtin: bool = False
    error: str | None = None
    hooks: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """How messages name the plugin: its distribution and version when known."""
        if self.distribution:
            return f"{self.distribution} {self.version} (plugin {self.name!r})"
        return f"plugin {self.name!r}"


class Plugins:
    """A pluggy manager with asdbench's loading rules and per-plugin bookkeeping."""

    def __init__(self, *, entry_points: bool = True) -> None:
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(AsdbenchSpecs)
        self._info: dict[str, PluginInfo] = {}
        self.failures: list[PluginInfo] = []
        self.strict = _env_flag("ASDBENCH_STRICT_PLUGINS")
        self.trace = _env_flag("ASDBENCH_TRACE_PLUGINS")
        self._blocked = _env_list("ASDBENCH_DISABLE_PLUGINS") or set()
        self._warned: set[tuple[str, str]] = set()
        self._commands: dict[str, Any] | None = None
        for module_name in DEFAULT_PLUGINS:
            if not self._is_blocked(module_name.rsplit(".", 1)[-1], CORE_DISTRIBUTION):
                self.register(
                    importlib.import_module(module_name),
                    module_name,
                    distribution=CORE_DISTRIBUTION,
                    version=core_version(),
                    builtin=True,
                )
        if entry_points:
            self._load_entry_points()

    def _is_blocked(self, name: str, distribution: str | None) -> bool:
        return _normalise(name) in self._blocked or (
            distribution is not None and _normalise(distribution) in self._blocked
        )

    def _load_entry_points(self) -> None:
        allowed = _env_list("ASDBENCH_LOAD_PLUGINS")
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            dist = entry_point.dist
            dist_name = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            if allowed is not None and (dist_name is None or _normalise(dist_name) not in allowed):
                continue
            if self._is_blocked(entry_point.name, dist_name):
                continue
            if entry_point.name in self._info:
                if self._info[entry_point.name].distribution == dist_name:
                    continue  # the same distribution seen twice (editable installs)
                other = self._info[entry_point.name]
                self._fail(
                    PluginInfo(entry_point.name, dist_name, version),
                    f"the plugin name is already used by {other.label}",
                )
                continue
            try:
                module = entry_point.load()
                self.register(module, entry_point.name, distribution=dist_name, version=version)
            except Exception as exc:  # a broken plugin must not break the others
                self._fail(PluginInfo(entry_point.name, dist_name, version), exc)

    def _fail(self, info: PluginInfo, exc: BaseException | str) -> None:
        text = exc if isinstance(exc, str) else f"{type(exc).__name__}: {exc}"
        info.error = text
        message = f"{info.label} failed to load: {text}"
        if self.strict:
            error = PluginError(f"{message} (ASDBENCH_STRICT_PLUGINS is set)")
            if isinstance(exc, BaseException):
                raise error from exc
            raise error
        self.failures.append(info)
        print(f"asdbench: warning: {message}", file=sys.stderr)

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
        builtin: bool = False,
    ) -> str:
        """Register a module or object with ``@hookimpl`` functions under ``name``."""
        self.pm.register(plugin, name=name)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError:
            self.pm.unregister(name=name)
            raise
        hooks = sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())
        self._info[name] = PluginInfo(name, distribution, version, builtin, hooks=hooks)
        self._commands = None
        return name

    def unregister(self, name: str) -> None:
        """Remove a plugin; removing one that is not registered does nothing."""
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        self._info.pop(name, None)
        self._commands = None

    def info(self) -> list[PluginInfo]:
        """Every registered plugin, built-ins first, then by name."""
        return sorted(self._info.values(), key=lambda i: (not i.builtin, i.name))

    def call(self, hook_name: str, **kwargs: Any) -> Iterator[tuple[PluginInfo, Any]]:
        """Call one hook on each plugin in turn, yielding (plugin, result) pairs.

        Calling implementations one by one, rather than through ``pm.hook``, lets every record
        be attributed to its plugin (for clash messages and listings), and lets a plugin whose
        hook raises be reported and skipped while the others keep working.
        """
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):  # registration order
            info = self._info.get(impl.plugin_name) or PluginInfo(impl.plugin_name)
            try:
                result = impl.function(*(kwargs[arg] for arg in impl.argnames))
                if result is not None:  # registration hooks yield records
                    result = list(result)
            except Exception as exc:
                message = f"{info.label} failed in {hook_name}: {type(exc).__name__}: {exc}"
                if self.strict:
                    raise PluginError(f"{message} (ASDBENCH_STRICT_PLUGINS is set)") from exc
                if (info.name, hook_name) not in self._warned:
                    self._warned.add((info.name, hook_name))
                    print(f"asdbench: warning: {message}", file=sys.stderr)
                continue
            if self.trace:
                print(f"asdbench trace: {hook_name} [{info.name}] -> {result!r}", file=sys.stderr)
            yield info, result

    def commands(self) -> dict[str, Any]:
        """The click commands that plugins add through ``asdbench_commands``."""
        if self._commands is None:
            import click

            group = click.Group()
            for _ in self.call("asdbench_commands", cli=group):
                pass
            self._commands = dict(group.commands)
        return self._commands


_plugins: Plugins | None = None


def get_plugins() -> Plugins:
    """The process-wide plugin manager, built on first use."""
    global _plugins
    if _plugins is None:
        _plugins = Plugins()
    return _plugins


def reset_plugins(plugins: Plugins | None = None) -> None:
    """Replace (or drop, to rebuild from the environment) the process-wide manager."""
    global _plugins
    _plugins = plugins
