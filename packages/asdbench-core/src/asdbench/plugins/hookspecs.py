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

if TYPE_CHECKING:
    import click

    from asdbench.plugins.specs import (
        BackendSpec,
        DatasetSpec,
        EmbedderSpec,
        EnsembleSpec,
        LossSpec,
        PresetSpec,
    )

PROJECT = "asdbench"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


class AsdbenchSpecs:
    """Hook specifications (conda style: methods with ``self``, each yields records)."""

    @hookspec
    def asdbench_losses(self) -> Iterable[LossSpec]:
        """Yield a ``LossSpec`` for each auxiliary-classification loss the plugin provides.

        The factory is called as ``factory(*, num_classes, embedding_dim, **options)`` and
        returns an ``nn.Module`` whose ``forward(embeddings, targets)`` returns a scalar loss.
        Its parameters (trainable centres) are put into the optimiser by the trainer.
        """

    @hookspec
    def asdbench_embedders(self) -> Iterable[EmbedderSpec]:
        """Yield an ``EmbedderSpec`` for each embedding network the plugin provides.

        The factory is called as ``factory(*, sample_rate, clip_samples, embedding_dim,
        **options)`` and returns an ``nn.Module`` mapping waveforms ``[B, T]`` to ``[B, D]``.
        """

    @hookspec
    def asdbench_backends(self) -> Iterable[BackendSpec]:
        """Yield a ``BackendSpec`` for each scoring backend (fit on train, score test)."""

    @hookspec
    def asdbench_datasets(self) -> Iterable[DatasetSpec]:
        """Yield a ``DatasetSpec`` for each dataset the plugin knows how to read."""

    @hookspec
    def asdbench_ensembles(self) -> Iterable[EnsembleSpec]:
        """Yield an ``EnsembleSpec`` for each way of combining the scores of several trials."""

    @hookspec
    def asdbench_presets(self) -> Iterable[PresetSpec]:
        """Yield a ``PresetSpec`` for each named configuration the plugin provides
        (``asdbench run --preset NAME``): component names, options, training settings, trials.
        """

    @hookspec
    def asdbench_commands(self, cli: click.Group) -> None:
        """Add click subcommands to the ``asdbench`` command group, e.g. ``cli.add_command(c)``."""
