"""Errors a user can cause. The CLI prints their message on one line and exits with status 2."""

from __future__ import annotations


class AsdbenchError(Exception):
    """Base class for every error caused by input, configuration or installed plugins."""


class UnknownComponentError(AsdbenchError, KeyError):
    """A loss, embedder, backend, dataset or ensemble name that no plugin registers."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class OptionError(AsdbenchError, ValueError):
    """An option that a component does not accept, or a value of the wrong type."""


class PluginError(AsdbenchError):
    """A plugin that failed to load (strict mode) or clashes with another plugin."""


class DataError(AsdbenchError):
    """A dataset folder, audio file or ground-truth file that cannot be used."""
