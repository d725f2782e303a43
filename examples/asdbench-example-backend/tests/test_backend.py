import numpy as np

import asdbench
from asdbench.testing import BackendConformanceTests
from asdbench_example_backend.backend import CentroidBackend


class TestCentroidConformance(BackendConformanceTests):
    factory = CentroidBackend
    option_variants = {"per_domain": False}


def test_scores_by_hand():
    """Two source clips along x and y, one target clip along -x: the source centroid is the
    diagonal, the target one is -x; a clip along y is 1 - cos 45 deg from the nearest."""
    train = np.array([[2.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    backend = CentroidBackend()
    backend.fit(train, np.array(["source", "source", "target"]))
    scores = backend.score(np.array([[0.0, 5.0], [-4.0, 0.0], [0.0, -1.0]]))
    assert np.allclose(scores, [1 - np.sqrt(0.5), 0.0, 1.0])

    pooled = CentroidBackend(per_domain=False)  # one centroid: (x + y - x) / 3, along y
    pooled.fit(train, np.array(["source", "source", "target"]))
    assert np.allclose(pooled.score(np.array([[0.0, 2.0], [3.0, 0.0]])), [0.0, 1.0])


def test_plugin_is_discoverable():
    """Installed with pip, the entry point registers the back end under its name."""
    assert asdbench.component("backend", "centroid").plugin.distribution == (
        "asdbench-example-backend"
    )
