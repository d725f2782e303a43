"""asdbench: a plugin-based benchmark suite for semi-supervised anomalous sound detection.

The public API for users and plugin authors::

    import asdbench

    asdbench.available("loss")                    # ['adacos', 'adaproj', ...]
    loss = asdbench.create("loss", "adaproj", num_classes=10, embedding_dim=512)

    @asdbench.hookimpl
    def asdbench_losses():
        yield asdbench.LossSpec(name="mine", factory="my_pkg.loss:MyLoss", summary="...")

Importing this package is cheap (no torch, no mlflow), so plugins and the CLI start quickly.
"""

from asdbench.errors import (
    AsdbenchError,
    DataError,
    OptionError,
    PluginError,
    UnknownComponentError,
)
from asdbench.hookspecs import hookimpl
from asdbench.plugins import core_version
from asdbench.registry import available, create
from asdbench.specs import BackendSpec, DatasetSpec, EmbedderSpec, EnsembleSpec, LossSpec

#: Bumped when a hook or a component contract changes incompatibly.
API_VERSION = 1
__version__ = core_version()

__all__ = [
    "API_VERSION",
    "AsdbenchError",
    "BackendSpec",
    "DataError",
    "DatasetSpec",
    "EmbedderSpec",
    "EnsembleSpec",
    "LossSpec",
    "OptionError",
    "PluginError",
    "UnknownComponentError",
    "__version__",
    "available",
    "create",
    "hookimpl",
]
