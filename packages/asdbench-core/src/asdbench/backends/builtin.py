"""Scoring backends: fitted per section on the training embeddings, they score any clip of the
section (higher = more anomalous). Pure numpy/scikit-learn; embeddings are L2-normalised here.

``kmeans`` is the reference system's backend; ``knn`` is a nearest-neighbour alternative.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from asdbench.registry.options import SEED_RANGE

SOURCE, TARGET = "source", "target"


def unit_rows(embeddings: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1, in float64 (a new array; the caller's is left alone)."""
    x = np.asarray(embeddings, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def mean_nearest(distances: np.ndarray, k: int) -> np.ndarray:
    """Per row, the mean of its ``k`` smallest values (``k`` capped at the row length)."""
    k = min(k, distances.shape[1])
    return np.partition(distances, k - 1, axis=1)[:, :k].mean(axis=1)


class KMeansBackend:
    """Reference backend: per section, k-means on the source training embeddings plus every
    target training embedding as its own reference; the score is the smallest cosine distance
    ``1 - <x̂, reference>``.

    Options:
        n_means: k-means clusters (the paper: 32; the reference code: 16); capped at the
            number of source clips.
        renormalize_centroids: L2-normalise the centroids (ASDKit). The reference does not,
            so its distances to the centroids of spread-out clusters are biased upwards.
        random_state: the k-means seed (the reference: 0).
    """

    def __init__(
        self,
        *,
        n_means: Annotated[
            int, "k-means clusters of the source clips (paper 32, code 16), capped at their count"
        ] = 32,
        renormalize_centroids: Annotated[
            bool, "L2-normalise the centroids (ASDKit); the reference does not"
        ] = False,
        random_state: Annotated[int, "Seed of k-means (the reference: 0)", SEED_RANGE] = 0,
    ) -> None:
        if n_means < 1:
            raise ValueError(f"n_means must be at least 1, got {n_means}")
        self.n_means = n_means
        self.renormalize_centroids = renormalize_centroids
        self.random_state = random_state
        self.references: np.ndarray | None = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> KMeansBackend:
        from sklearn.cluster import KMeans

        x = unit_rows(embeddings)
        domains = np.asarray(domains)
        source, target = x[domains == SOURCE], x[domains == TARGET]
        references = [target]
        if len(source):
            k = min(self.n_means, len(source))
            # n_init=10 as in scikit-learn 0.24, the version of the reference code.
            centroids = (
                KMeans(k, n_init=10, random_state=self.random_state).fit(source).cluster_centers_
            )
            references.append(unit_rows(centroids) if self.renormalize_centroids else centroids)
        self.references = np.concatenate(references)
        if not len(self.references):
            raise ValueError("no training embeddings to fit on")
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.references is None:
            raise RuntimeError("fit the backend first")
        x = unit_rows(embeddings)
        return (1.0 - x @ self.references.T).min(axis=1)


class KnnBackend:
    """Per section and domain, the mean cosine distance to the ``k`` nearest training
    embeddings of that domain; the score is the smaller of the source and target values.

    Options:
        k: neighbours per domain (capped at the domain's training clips).
    """

    def __init__(
        self, *, k: Annotated[int, "Neighbours averaged, per domain (at least 1)"] = 1
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        self.k = k
        self.references: list[np.ndarray] = []

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> KnnBackend:
        x = unit_rows(embeddings)
        domains = np.asarray(domains)
        self.references = [x[domains == d] for d in (SOURCE, TARGET) if np.any(domains == d)]
        if not self.references:
            raise ValueError("no training embeddings to fit on")
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if not self.references:
            raise RuntimeError("fit the backend first")
        x = unit_rows(embeddings)
        return np.min([mean_nearest(1.0 - x @ r.T, self.k) for r in self.references], axis=0)
