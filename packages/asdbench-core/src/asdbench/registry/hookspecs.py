"""The hooks a plugin may implement. Every hook is optional.

A plugin is a module (or object) with functions marked ``@asdbench.hookimpl``, registered through
an entry point in the ``asdbench`` group::

    [project.entry-points.asdbench]
    mine = "asdbench_mine.plugin"

Registration hooks yield spec records, so one plugin can register several components::

    @asdbench.hookimpl
    def asdbench_losses():
        yield asdbench.LossSpec(name="mine", factory="asdbench_mine.loss:MyLoss", summary="...")

Keep the entry-point module import-light: name factories as ``"module:attr"`` strings so that
``asdbench --help`` and ``asdbench plugins`` never import torch.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import pluggy

from asdbench.contracts import KINDS, Kind
from asdbench.registry.specs import SPEC_TYPES, ComponentSpec

if TYPE_CHECKING:
    import click

    from asdbench.registry.specs import PresetSpec

PROJECT = "asdbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AsdbenchSpecs:
    """Hook specifications (conda style: methods with ``self``, each yields records). One
    registration hook per kind (``asdbench_losses`` ...) is added from the table of kinds."""

    @hookspec
    def asdbench_presets(self) -> Iterable[PresetSpec]:
        """Yield a ``PresetSpec`` for each named configuration the plugin provides
        (``asdbench run --preset NAME``): component names, options, training settings, trials.
        """

    @hookspec
    def asdbench_commands(self, cli: click.Group) -> None:
        """Add click subcommands to the ``asdbench`` command group, e.g. ``cli.add_command(c)``."""


def _registration_hook(kind: Kind) -> object:
    def hook(self: AsdbenchSpecs) -> Iterable[ComponentSpec]:
        """Registration hook."""

    spec = SPEC_TYPES[kind.name].__name__
    hook.__name__ = hook.__qualname__ = kind.hook
    hook.__doc__ = (
        f"Yield a ``{spec}`` for each {kind.name} the plugin provides; its factory builds "
        f"an :class:`asdbench.contracts.{kind.contract.__name__}` (the contract)."
    )
    return hookspec(hook)


for _kind in KINDS.values():
    setattr(AsdbenchSpecs, _kind.hook, _registration_hook(_kind))
