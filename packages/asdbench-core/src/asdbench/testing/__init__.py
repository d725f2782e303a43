"""Test kit for plugin authors: a conformance base class per kind (loss, embedder, backend,
dataset, ensemble; each checks ``asdbench.contracts``) and pytest fixtures.

In a plugin's tests::

    # conftest.py
    pytest_plugins = ["asdbench.testing"]

``write_wav``, ``write_clips`` and ``write_ground_truth_csv`` write small DCASE-shaped trees
(real WAV files, ground truth in the evaluators' format) for a dataset plugin's tests;
``official_score_by_hand`` and ``tree_truth`` compute a run's official score from its
submission files and a tree's labels with scikit-learn alone, to check a run against.

    # test_my_loss.py
    from asdbench.testing import LossConformanceTests

    class TestMyLoss(LossConformanceTests):
        factory = MyLoss                      # or the registered name, "my_loss"
        option_variants = {"margin_rad": 0.3}      # another valid value for every option
        invalid_options = {"margin_rad": -1.0}     # values the constructor must reject
"""

try:
    import pytest  # noqa: F401  (the kits are pytest classes)
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "asdbench.testing is a pytest kit and needs pytest: pip install 'asdbench-core[testing]' "
        "(or pytest)"
    ) from exc

from asdbench.testing.backends import BackendConformanceTests
from asdbench.testing.by_hand import official_score_by_hand, official_score_of, tree_truth
from asdbench.testing.datasets import (
    DCASE_LAYOUT_INVALID,
    DCASE_LAYOUT_VARIANTS,
    DatasetConformanceTests,
)
from asdbench.testing.embedders import EmbedderConformanceTests
from asdbench.testing.ensembles import EnsembleConformanceTests
from asdbench.testing.fixtures import (
    _mlflow_template,
    asdbench_cache,
    asdbench_plugins,
    mlflow_tracking,
    register_plugin,
)
from asdbench.testing.losses import LossConformanceTests
from asdbench.testing.trees import write_clips, write_ground_truth_csv, write_wav

__all__ = [
    "DCASE_LAYOUT_INVALID",
    "DCASE_LAYOUT_VARIANTS",
    "BackendConformanceTests",
    "DatasetConformanceTests",
    "EmbedderConformanceTests",
    "EnsembleConformanceTests",
    "LossConformanceTests",
    "_mlflow_template",
    "asdbench_cache",
    "asdbench_plugins",
    "mlflow_tracking",
    "official_score_by_hand",
    "official_score_of",
    "register_plugin",
    "tree_truth",
    "write_clips",
    "write_ground_truth_csv",
    "write_wav",
]
