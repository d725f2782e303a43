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

#: Public names loaded on first use, by module (``"client as mlflow_client"`` renames).
# fmt: off
_PUBLIC: dict[str, tuple[str, ...]] = {
    "asdbench.contracts": (
        "Loss", "ReportsTrainingMetrics", "Embedder", "Backend", "Dataset", "Downloadable",
        "Ensemble",
    ),
    "asdbench.data.clips": ("Clip", "ClipTable"),
    "asdbench.data.filenames": ("ClipName", "parse_clip_name"),
    "asdbench.data.datasets": (
        "DcaseLayoutDataset", "link_clip", "ClipSecondsOption", "ClassesOption",
        "ClassAttributesOption", "ClassDomainOption", "StereoOption", "ResampleOption",
        "SkipBadFilesOption", "MachinesOption",
    ),
    "asdbench.data.audio": ("AudioFormat",),
    "asdbench.data.score_rule": ("ScoreRule",),
    "asdbench.data.download": ("RemoteFile", "fetch", "fetch_and_extract", "zenodo_files"),
    "asdbench.data.archives": ("safe_extract",),
    "asdbench.files": ("exclusive",),
    "asdbench.registry.options": ("Range", "SEED_RANGE"),
    "asdbench.model.angular": (
        "AdaptiveScale", "AngularLoss", "glorot_centers", "starting_scale", "TrainableCenters",
        "DynamicScale", "InitialScale", "ScaleMedian",
    ),
    "asdbench.backends.builtin": ("KnnBackend", "unit_rows", "mean_nearest"),
    "asdbench.scoring.metrics": (
        "Results", "ScoredSection", "SectionResult", "auc", "harmonic_mean", "evaluate_sections",
    ),
    "asdbench.submission.files": ("TEAM", "write_submission"),
    "asdbench.scoring.scores": (
        "read_scores", "write_scores", "combine_trials", "decisions_for", "evaluate_partitions",
        "metric_values",
    ),
    "asdbench.reporting.tables": ("write_results", "render as render_results"),
    "asdbench.tracking.tracker": ("Tracker",),
    "asdbench.tracking.connection": ("client as mlflow_client",),
    "asdbench.tracking.store": ("finished_trials", "dataset_of", "ensemble_tags"),
}
# fmt: on
_LAZY: dict[str, tuple[str, str]] = {
    (alias or attribute): (module, attribute)
    for module, names in _PUBLIC.items()
    for attribute, _, alias in (name.partition(" as ") for name in names)
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


#: The names imported above, then those loaded on first use.
__all__ = [
    "API_VERSION",
    "AsdbenchError",
    "BackendSpec",
    "Component",
    "DataError",
    "DatasetSpec",
    "EmbedderSpec",
    "EnsembleSpec",
    "LossSpec",
    "OptionError",
    "PluginError",
    "PresetSpec",
    "UnknownComponentError",
    "__version__",
    "available",
    "component",
    "create",
    "hookimpl",
]
__all__ += sorted(_LAZY)
