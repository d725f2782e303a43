"""Where a cell writes and how its outputs are named: the output folder (readable, with the
settings that differ from the defaults), the cell's MLflow run name, the submission system."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from asdbench.pipeline.config import DEFAULT_COMPONENTS, RunConfig
from asdbench.submission.files import TEAM

#: How the pipeline reports progress (``print``, ``click.echo``, a list's ``append``).
Echo = Callable[[str], None]
#: The longest run of settings in a folder name; the hash tells longer ones apart.
FOLDER_SETTINGS_LENGTH = 60


def output_folder(config: RunConfig) -> Path:
    """Where a cell writes: ``--output``, else ``asdbench-output/<dataset>/<readable name>``
    (:func:`folder_name`)."""
    if config.output:
        return Path(config.output)
    return Path("asdbench-output") / config.dataset.name / folder_name(config)


def folder_name(config: RunConfig) -> str:
    """``adaproj-kmeans_subspace_dim=16_epochs=1_1c8c8c2d``: loss, backend (and embedder when
    not the default), the settings that are not their defaults (as many as fit), and the cell
    hash, which tells apart what the name leaves out."""
    parts = [config.loss.name, config.backend.name]
    if config.embedder.name != DEFAULT_COMPONENTS["embedder"]:
        parts.insert(1, config.embedder.name)
    settings: list[str] = []
    for key, value in config.non_default().items():
        text = re.sub(r"[^A-Za-z0-9.+=_-]", "-", f"{key.split('.', 1)[1]}={value}")
        if len("_".join([*settings, text])) > FOLDER_SETTINGS_LENGTH:
            break
        settings.append(text)
    return "_".join(["-".join(parts), *settings, config.cell_hash()[:8]])


def cell_name(config: RunConfig) -> str:
    """``loss/embedder/backend``: the name of a cell's MLflow run."""
    return f"{config.loss.name}/{config.embedder.name}/{config.backend.name}"


def system_name(config: RunConfig) -> str:
    return f"{config.loss.name}_{config.embedder.name}_{config.backend.name}_{config.cell_hash()}"


def submission_folder(folder: Path, config: RunConfig) -> Path:
    """Where the submission files of ``folder`` (a cell's or a trial's) go: the evaluator's
    ``<team>/<system>`` depth under ``submission/``."""
    return folder / "submission" / TEAM / system_name(config)
