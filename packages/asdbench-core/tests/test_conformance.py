"""Core's own components pass the conformance kits a plugin author uses."""

from pathlib import Path

from asdbench.backends.builtin import KMeansBackend, KnnBackend
from asdbench.model.dual_branch import DualBranchEmbedder
from asdbench.synthetic import Synthetic2022Dataset, SyntheticDataset, ensure_tree
from asdbench.testing import (
    DCASE_LAYOUT_INVALID,
    DCASE_LAYOUT_VARIANTS,
    BackendConformanceTests,
    DatasetConformanceTests,
    EmbedderConformanceTests,
)


class TestDualBranch(EmbedderConformanceTests):
    factory = DualBranchEmbedder
    option_variants = {
        "block2_bn_bug": False,
        "bn_moving_variance": "unbiased",
        "time_pooling": "max",
    }
    invalid_options = {"bn_moving_variance": "biased", "time_pooling": "mean"}
    #: Up to 18 s the code's 18-frame windows are one window: the max over all frames.
    variant_context = {"time_pooling": {"clip_samples": 19 * 16000}}


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
        **DCASE_LAYOUT_VARIANTS,
        "size": "small",
        "seed": 1,
        "clip_seconds": 0.5,
        "microphones": 2,
    },
    # A valid layout is a dataset plugin's (tests/test_synthetic.py registers one).
    "invalid_options": {
        **DCASE_LAYOUT_INVALID,
        "size": "huge",
        "layout": "synthetic2022",
        "microphones": 3,
    },
}


class TestSynthetic(DatasetConformanceTests):
    factory = SyntheticDataset
    options = {"size": "tiny"}
    option_variants = SYNTHETIC_OPTIONS["option_variants"]
    invalid_options = SYNTHETIC_OPTIONS["invalid_options"]
    inert_options = {
        "classes": "the generator trains every attribute combination it tests, so dev test "
        "clips bring no class of their own"
    }

    def write_tree(self, root: Path) -> Path:
        return ensure_tree(root, self.make().plan, progress=False)

    def ground_truth(self, root: Path) -> Path:
        return root / "ground_truth"


class TestSynthetic2022(TestSynthetic):
    factory = Synthetic2022Dataset
