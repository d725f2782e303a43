"""The meta-distribution installs every first-party component and the MLflow UI."""

import importlib.metadata

from asdbench.contracts import KINDS
from asdbench.registry.components import components
from asdbench.registry.manager import Plugins

FIRST_PARTY: dict[str, set[str]] = {
    "loss": {"adaproj", "adacos", "subcluster_adacos", "compactness", "compactness_cce"},
    "dataset": {"dcase2022", "dcase2023", "synthetic"},
    "ensemble": {"mean", "sum", "zscore", "rank"},
    "embedder": {"dual_branch"},
    "backend": {"kmeans", "knn"},
}


def test_first_party_components_are_registered():
    plugins = Plugins()
    assert not plugins.failures, [f.error for f in plugins.failures]
    for kind, names in FIRST_PARTY.items():
        assert names <= set(components(kind, plugins)), kind
    assert set(KINDS) >= set(FIRST_PARTY)


def test_full_mlflow_with_ui_is_installed():
    requirement = importlib.metadata.requires("asdbench")
    assert any(r.startswith("mlflow") for r in requirement)
    assert importlib.metadata.version("mlflow")
