"""pytest fixtures: an isolated plugin manager, and in-process plugin registration."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from asdbench.plugins import Plugins, get_plugins, reset_plugins


@pytest.fixture
def asdbench_plugins() -> Iterator[Plugins]:
    """A plugin manager with only the built-in plugins (no entry points), used by
    ``asdbench`` for the duration of the test."""
    previous = get_plugins()
    plugins = Plugins(entry_points=False)
    reset_plugins(plugins)
    try:
        yield plugins
    finally:
        reset_plugins(previous)


@pytest.fixture
def register_plugin() -> Iterator[Callable[..., str]]:
    """``register_plugin(obj, name)`` registers an in-process plugin (a module or an object
    with ``@asdbench.hookimpl`` methods); it is unregistered when the test ends."""
    registered: list[tuple[Plugins, str]] = []

    def register(plugin: object, name: str, **info: str) -> str:
        plugins = get_plugins()
        plugins.register(plugin, name, **info)
        registered.append((plugins, name))
        return name

    try:
        yield register
    finally:
        for plugins, name in reversed(registered):
            plugins.unregister(name)
