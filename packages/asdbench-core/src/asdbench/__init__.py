"""asdbench: a plugin-based benchmark suite for semi-supervised anomalous sound detection.

Everything in ``__all__`` is the public API (docs/api.md): what plugins and Python users
import, kept compatible within an ``API_VERSION``. Other modules are internal and move
freely; a test fails when a plugin in this repository imports anything else.

::

    import asdbench

    asdbench.available("loss")                    # ['adacos', 'adaproj', ...]
    loss = asdbench.create("loss", "adaproj", num_classes=10, embedding_dim=512)

    @asdbench.hookimpl
    def asdbench_losses():
        yield asdbench.LossSpec(name="mine", factory="my_pkg.loss:MyLoss", summary="...")

Importing this package is cheap (no torch, no mlflow): the names that need those are loaded
on first use, so plugins and the CLI start quickly.
"""

from __future__ import annotations

import importlib
from typing import Any

from asdbench.errors import (
    AsdbenchError,
    DataError,
    OptionError,
    PluginError,
    UnknownComponentError,
)
from asdbench.registry.components import Component, available, create
from asdbench.registry.components import get as component
from asdbench.registry.hookspecs import hookimpl
from asdbench.registry.manager import core_version
from asdbench.registry.specs import (
    BackendSpec,
    DatasetSpec,
    EmbedderSpec,
    EnsembleSpec,
    LossSpec,
    PresetSpec,
)

#: Bumped when a hook, a component contract or a public name changes incompatibly.
API_VERSION = 1
__version__ = core_version()

#: Public names loaded on first use: ``name -> (module, attribute)``.
_LAZY: dict[str, tuple[str, str]] = {
    # Contracts: what each kind of component provides (docs/plugin-reference.md).
    **{
        name: ("asdbench.contracts", name)
        for name in (
            "Loss",
            "ReportsTrainingMetrics",
            "Embedder",
            "Backend",
            "Dataset",
            "Downloadable",
            "Ensemble",
        )
    },
    # Data: clips, the DCASE tree reader a dataset plugin builds on, downloads.
    "Clip": ("asdbench.data.clips", "Clip"),
    "ClipTable": ("asdbench.data.clips", "ClipTable"),
    "ClipName": ("asdbench.data.filenames", "ClipName"),
    "parse_clip_name": ("asdbench.data.filenames", "parse_clip_name"),
    "DcaseLayoutDataset": ("asdbench.data.datasets", "DcaseLayoutDataset"),
    "link_clip": ("asdbench.data.datasets", "link_clip"),
    "AudioFormat": ("asdbench.data.audio", "AudioFormat"),
    "ScoreRule": ("asdbench.data.score_rule", "ScoreRule"),
    # The types of the options every DcaseLayoutDataset has.
    **{
        name: ("asdbench.data.datasets", name)
        for name in (
            "ClipSecondsOption",
            "ClassesOption",
            "ClassAttributesOption",
            "ClassDomainOption",
            "StereoOption",
            "ResampleOption",
            "SkipBadFilesOption",
            "MachinesOption",
        )
    },
    "RemoteFile": ("asdbench.data.download", "RemoteFile"),
    "fetch": ("asdbench.data.download", "fetch"),
    "fetch_and_extract": ("asdbench.data.download", "fetch_and_extract"),
    "safe_extract": ("asdbench.data.archives", "safe_extract"),
    "zenodo_files": ("asdbench.data.download", "zenodo_files"),
    "exclusive": ("asdbench.files", "exclusive"),
    # Options: the bounds a numeric option may declare in its Annotated metadata.
    "Range": ("asdbench.registry.options", "Range"),
    "SEED_RANGE": ("asdbench.registry.options", "SEED_RANGE"),
    # Model: the angular-margin building blocks and options losses share.
    "AdaptiveScale": ("asdbench.model.angular", "AdaptiveScale"),
    "AngularLoss": ("asdbench.model.angular", "AngularLoss"),
    "glorot_centers": ("asdbench.model.angular", "glorot_centers"),
    "starting_scale": ("asdbench.model.angular", "starting_scale"),
    "TrainableCenters": ("asdbench.model.angular", "TrainableCenters"),
    "DynamicScale": ("asdbench.model.angular", "DynamicScale"),
    "InitialScale": ("asdbench.model.angular", "InitialScale"),
    "ScaleMedian": ("asdbench.model.angular", "ScaleMedian"),
    # Back ends: the built-in kNN to build on, and its two helpers.
    "KnnBackend": ("asdbench.backends.builtin", "KnnBackend"),
    "unit_rows": ("asdbench.backends.builtin", "unit_rows"),
    "mean_nearest": ("asdbench.backends.builtin", "mean_nearest"),
    # Scoring: official DCASE figures from scores, submission files, results tables.
    "Results": ("asdbench.scoring.metrics", "Results"),
    "ScoredSection": ("asdbench.scoring.metrics", "ScoredSection"),
    "SectionResult": ("asdbench.scoring.metrics", "SectionResult"),
    "auc": ("asdbench.scoring.metrics", "auc"),
    "harmonic_mean": ("asdbench.scoring.metrics", "harmonic_mean"),
    "evaluate_sections": ("asdbench.scoring.metrics", "evaluate_sections"),
    "TEAM": ("asdbench.submission.files", "TEAM"),
    "read_scores": ("asdbench.scoring.scores", "read_scores"),
    "write_scores": ("asdbench.scoring.scores", "write_scores"),
    "combine_trials": ("asdbench.scoring.scores", "combine_trials"),
    "decisions_for": ("asdbench.scoring.scores", "decisions_for"),
    "evaluate_partitions": ("asdbench.scoring.scores", "evaluate_partitions"),
    "metric_values": ("asdbench.scoring.scores", "metric_values"),
    "write_results": ("asdbench.reporting.tables", "write_results"),
    "write_submission": ("asdbench.submission.files", "write_submission"),
    "render_results": ("asdbench.reporting.tables", "render"),
    # Tracking: the MLflow store as asdbench lays it out.
    "Tracker": ("asdbench.tracking.tracker", "Tracker"),
    "mlflow_client": ("asdbench.tracking.connection", "client"),
    "finished_trials": ("asdbench.tracking.store", "finished_trials"),
    "dataset_of": ("asdbench.tracking.store", "dataset_of"),
    "ensemble_tags": ("asdbench.tracking.store", "ensemble_tags"),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'asdbench' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "API_VERSION",
    "SEED_RANGE",
    "TEAM",
    "AdaptiveScale",
    "AngularLoss",
    "AsdbenchError",
    "AudioFormat",
    "Backend",
    "BackendSpec",
    "ClassAttributesOption",
    "ClassDomainOption",
    "ClassesOption",
    "Clip",
    "ClipName",
    "ClipSecondsOption",
    "ClipTable",
    "Component",
    "DataError",
    "Dataset",
    "DatasetSpec",
    "DcaseLayoutDataset",
    "Downloadable",
    "DynamicScale",
    "Embedder",
    "EmbedderSpec",
    "Ensemble",
    "EnsembleSpec",
    "InitialScale",
    "KnnBackend",
    "Loss",
    "LossSpec",
    "MachinesOption",
    "OptionError",
    "PluginError",
    "PresetSpec",
    "Range",
    "RemoteFile",
    "ReportsTrainingMetrics",
    "ResampleOption",
    "Results",
    "ScaleMedian",
    "ScoreRule",
    "ScoredSection",
    "SectionResult",
    "SkipBadFilesOption",
    "StereoOption",
    "Tracker",
    "TrainableCenters",
    "UnknownComponentError",
    "__version__",
    "auc",
    "available",
    "combine_trials",
    "component",
    "create",
    "dataset_of",
    "decisions_for",
    "ensemble_tags",
    "evaluate_partitions",
    "evaluate_sections",
    "exclusive",
    "fetch",
    "fetch_and_extract",
    "finished_trials",
    "glorot_centers",
    "harmonic_mean",
    "hookimpl",
    "link_clip",
    "mean_nearest",
    "metric_values",
    "mlflow_client",
    "parse_clip_name",
    "read_scores",
    "render_results",
    "safe_extract",
    "starting_scale",
    "unit_rows",
    "write_results",
    "write_scores",
    "write_submission",
    "zenodo_files",
]
