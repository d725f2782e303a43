"""Core's own components pass the conformance kits a plugin author uses."""

from pathlib import Path

from asdbench.data.synthetic import Synthetic2022Dataset, SyntheticDataset, ensure_tree
from asdbench.model.dual_branch import DualBranchEmbedder
from asdbench.scoring.backends import KMeansBackend, KnnBackend
from asdbench.testing import (
    BackendConformanceTests,
    DatasetConformanceTests,
    EmbedderConformanceTests,
)


class TestDualBranch(EmbedderConformanceTests):
    factory = DualBranchEmbedder
    option_variants = {"block2_bn_bug": False}


class TestKMeans(BackendConformanceTests):
    factory = KMeansBackend
    options = {"n_means": 4}
    option_variants = {"n_means": 2, "renormalize_centroids": True, "random_state": 1}
    invalid_options = {"n_means": 0}


class TestKnn(BackendConformanceTests):
    factory = KnnBackend
    option_variants = {"k": 2}
    invalid_options = {"k": 0}


SYNTHETIC_OPTIONS = {
    "option_variants": {
        "size": "small",
        "seed": 1,
        "clip_seconds": 0.5,
        "classes": "train+dev-test",
        "class_attributes": False,
        "class_domain": False,
        "stereo": "first",
        "resample": False,
        "skip_bad_files": True,
    },
    "invalid_options": {"size": "huge", "clip_seconds": -1.0, "classes": "all"},
}


class TestSynthetic(DatasetConformanceTests):
    factory = SyntheticDataset
    options = {"size": "tiny"}
    option_variants = SYNTHETIC_OPTIONS["option_variants"]
    invalid_options = SYNTHETIC_OPTIONS["invalid_options"]

    def write_tree(self, root: Path) -> Path:
        return ensure_tree(root, self.make().plan, progress=False)

    def ground_truth(self, root: Path) -> Path:
        return root / "ground_truth"


class TestSynthetic2022(TestSynthetic):
    factory = Synthetic2022Dataset
