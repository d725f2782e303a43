"""The k-means and kNN backends against direct computations."""

import numpy as np
import pytest
from sklearn.cluster import KMeans

from asdbench.backends.builtin import KMeansBackend, KnnBackend


def unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def section():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(60, 8))
    domains = np.array(["source"] * 55 + ["target"] * 5)
    test = rng.normal(size=(10, 8))
    return train, domains, test


def test_kmeans_score_is_min_cosine_distance_to_centroids_and_target_clips(section):
    train, domains, test = section
    backend = KMeansBackend(n_means=4).fit(train, domains)
    centroids = KMeans(4, n_init=10, random_state=0).fit(unit(train[:55])).cluster_centers_
    references = np.concatenate([unit(train[55:]), centroids])  # centroids not renormalised
    expected = (1 - unit(test) @ references.T).min(axis=1)
    assert np.allclose(backend.score(test), expected)
    assert np.allclose(backend.score(train[55:]), 0, atol=1e-12)  # targets score 0 vs themselves


def test_renormalised_centroids_and_capped_means(section):
    train, domains, test = section
    plain = KMeansBackend(n_means=4).fit(train, domains)
    renormalised = KMeansBackend(n_means=4, renormalize_centroids=True).fit(train, domains)
    assert np.all(renormalised.score(test) <= plain.score(test) + 1e-12)
    few = KMeansBackend(n_means=32).fit(train[:3], domains[:3])
    assert few.references.shape == (3, 8)


def test_knn_mean_distance_to_k_nearest_per_domain(section):
    train, domains, test = section
    backend = KnnBackend(k=3).fit(train, domains)
    distances = 1 - unit(test) @ unit(train).T
    source = np.sort(distances[:, :55], axis=1)[:, :3].mean(1)
    target = np.sort(distances[:, 55:], axis=1)[:, :3].mean(1)
    assert np.allclose(backend.score(test), np.minimum(source, target))


def test_options_are_validated():
    with pytest.raises(ValueError):
        KMeansBackend(n_means=0)
    with pytest.raises(ValueError):
        KnnBackend(k=0)
    with pytest.raises(RuntimeError):
        KnnBackend().score(np.ones((1, 2)))


def test_a_back_end_that_refuses_a_sections_clips_is_an_error_naming_the_section(tmp_path):
    """A back end's ``ValueError`` in ``fit`` (too few clips for it) is reported as a data
    error naming the section, not a traceback."""
    from asdbench.data.clips import Clip, ClipTable
    from asdbench.errors import DataError
    from asdbench.scoring.scores import score_sections

    class NeedsTwo(KnnBackend):
        def fit(self, embeddings, domains):
            if len(embeddings) < 2:
                raise ValueError("needs 2 training clips")
            return super().fit(embeddings, domains)

    groups = [("fan", "train"), ("fan", "train"), ("fan", "test"), ("pump", "train"),
              ("pump", "test")]  # fmt: skip
    clips = [
        Clip(tmp_path / f"{i}.wav", "t", "dev", machine, "00", "source", split, "normal")
        for i, (machine, split) in enumerate(groups)
    ]
    with pytest.raises(DataError, match=r"pump_00: the back end cannot fit its 1 training clip"):
        score_sections(ClipTable(clips), np.eye(5, 4), NeedsTwo)
