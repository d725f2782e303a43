"""Neighbour-based back ends: kNN with SMOTE-oversampled target clips, kNN normalised by the
local density of each reference, and the local outlier factor.

Each is fitted per section on the L2-normalised training embeddings and scores with the cosine
distance ``1 - <x̂, r̂>``, as asdbench's ``kmeans`` and ``knn`` do; higher = more anomalous.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from asdbench import SEED_RANGE, KnnBackend, mean_nearest, unit_rows

SOURCE, TARGET = "source", "target"
#: The least a density normaliser may be (two identical training clips would make it 0).
TINY = 1e-12


def smote(samples: np.ndarray, count: int, neighbours: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` synthetic samples, SMOTE's way: each on the segment between a random sample
    and one of its ``neighbours`` nearest others (Euclidean), at a uniform random point."""
    n = len(samples)
    k = min(neighbours, n - 1)
    distances = np.linalg.norm(samples[:, None, :] - samples[None, :, :], axis=2)
    np.fill_diagonal(distances, np.inf)
    nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]
    rows = rng.integers(0, n, size=count)
    partners = nearest[rows, rng.integers(0, k, size=count)]
    gaps = rng.random(count)[:, None]
    return samples[rows] + gaps * (samples[partners] - samples[rows])


class SmoteKnnBackend(KnnBackend):
    """Per section and domain, the mean cosine distance to the ``k`` nearest training clips of
    that domain, the smaller of the two; the few target clips are first oversampled with SMOTE
    to ``smote_ratio`` times the number of source clips (ASDKit's kNN with SMOTE), and the
    synthetic clips renormalised. A domain with one clip is not oversampled."""

    def __init__(
        self,
        *,
        k: Annotated[int, "Neighbours averaged, per domain (at least 1)"] = 1,
        smote_ratio: Annotated[
            float, "Target clips after oversampling, as a fraction of the source clips (0, 1]"
        ] = 1.0,
        smote_neighbours: Annotated[
            int, "Target neighbours a synthetic clip is drawn towards (ASDKit: 2)"
        ] = 2,
        random_state: Annotated[int, "Seed of the synthetic clips", SEED_RANGE] = 0,
    ) -> None:
        super().__init__(k=k)
        if not 0.0 < smote_ratio <= 1.0:
            raise ValueError(f"smote_ratio must be in (0, 1], got {smote_ratio}")
        if smote_neighbours < 1:
            raise ValueError(f"smote_neighbours must be at least 1, got {smote_neighbours}")
        self.smote_ratio = smote_ratio
        self.smote_neighbours = smote_neighbours
        self.random_state = random_state

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> SmoteKnnBackend:
        x, domains = unit_rows(embeddings), np.asarray(domains)
        source, target = x[domains == SOURCE], x[domains == TARGET]
        wanted = int(self.smote_ratio * len(source)) - len(target)
        if len(target) >= 2 and wanted > 0:
            rng = np.random.default_rng(self.random_state)
            synthetic = smote(target, wanted, self.smote_neighbours, rng)
            target = np.vstack([target, unit_rows(synthetic)])
        self.references = [r for r in (source, target) if len(r)]
        if not self.references:
            raise ValueError("no training embeddings to fit on")
        return self


class DensityKnnBackend:
    """The mean, over the ``k`` nearest training clips, of the cosine distance to a clip
    divided by that clip's own local density: the mean distance to its ``k_normalise`` nearest
    other training clips. Dense (source) and sparse (target) regions so score on one scale
    (Wilkinghoff et al., "Keeping the Balance: Anomaly Score Calculation for Domain
    Generalization", ICASSP 2025). Both domains form one reference set."""

    def __init__(
        self,
        *,
        k: Annotated[int, "Nearest normalised distances averaged (at least 1)"] = 1,
        k_normalise: Annotated[
            int, "Neighbours of each training clip that measure its density (the paper: 16)"
        ] = 16,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if k_normalise < 1:
            raise ValueError(f"k_normalise must be at least 1, got {k_normalise}")
        self.k = k
        self.k_normalise = k_normalise
        self.references: np.ndarray | None = None
        self.densities: np.ndarray | None = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> DensityKnnBackend:
        references = unit_rows(embeddings)
        if not len(references):
            raise ValueError("no training embeddings to fit on")
        if len(references) == 1:
            densities = np.ones(1)  # no other clip to measure against
        else:
            distances = 1.0 - references @ references.T
            np.fill_diagonal(distances, np.inf)
            densities = mean_nearest(distances, min(self.k_normalise, len(references) - 1))
        self.references = references
        self.densities = np.maximum(densities, TINY)
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.references is None or self.densities is None:
            raise RuntimeError("fit the backend first")
        distances = (1.0 - unit_rows(embeddings) @ self.references.T) / self.densities
        return mean_nearest(distances, self.k)


class LofBackend:
    """The local outlier factor of a clip among the training clips, by cosine distance
    (scikit-learn's ``LocalOutlierFactor`` in novelty mode): how much sparser its neighbourhood
    is than its neighbours' own; both domains form one reference set."""

    def __init__(
        self,
        *,
        n_neighbours: Annotated[
            int,
            "Neighbours of the local density (scikit-learn's default 20), capped below the clips",
        ] = 20,
    ) -> None:
        if n_neighbours < 1:
            raise ValueError(f"n_neighbours must be at least 1, got {n_neighbours}")
        self.n_neighbours = n_neighbours
        self.model = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> LofBackend:
        from sklearn.neighbors import LocalOutlierFactor

        x = unit_rows(embeddings)
        if len(x) < 2:
            raise ValueError(f"the local outlier factor needs 2 training clips, got {len(x)}")
        neighbours = min(self.n_neighbours, len(x) - 1)
        self.model = LocalOutlierFactor(n_neighbors=neighbours, metric="cosine", novelty=True)
        self.model.fit(x)
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("fit the backend first")
        return -self.model.score_samples(unit_rows(embeddings))
