"""A back end on the ``asdbench.Backend`` contract: per section, the mean of the normalised
training embeddings of each domain; a clip scores the cosine distance to the nearest mean."""

from __future__ import annotations

from typing import Annotated

import numpy as np


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class CentroidBackend:
    def __init__(
        self,
        *,
        per_domain: Annotated[
            bool, "One centroid per domain (source, target); false: one for all training clips"
        ] = True,
    ) -> None:
        self.per_domain = per_domain
        self.centroids: np.ndarray | None = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> CentroidBackend:
        x = _unit(np.asarray(embeddings, dtype=np.float64))
        domains = np.asarray(domains)
        if self.per_domain:
            groups = [domains == d for d in np.unique(domains)]
        else:
            groups = [np.ones(len(x), dtype=bool)]
        self.centroids = _unit(np.stack([x[group].mean(axis=0) for group in groups]))
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.centroids is None:
            raise RuntimeError("fit the back end before scoring")
        x = _unit(np.asarray(embeddings, dtype=np.float64))
        return 1.0 - (x @ self.centroids.T).max(axis=1)
