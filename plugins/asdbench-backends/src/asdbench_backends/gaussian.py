"""Gaussian back ends: the Mahalanobis distance to a shrunk Gaussian of the training clips (one
for all, or one per domain with the smaller distance, as the DCASE 2023-2026 baseline scores),
and the negative log-likelihood under a Gaussian mixture.

Fitted per section on the L2-normalised training embeddings; higher = more anomalous. A domain
has few clips (3 to 10 target clips in DCASE) against hundreds of dimensions, so its sample
covariance is singular: the covariance is shrunk towards a scaled identity, by the Ledoit-Wolf
estimate or a fixed ``shrinkage``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np

from asdbench import SEED_RANGE, unit_rows
from asdbench_backends.neighbours import SOURCE, TARGET

ShrinkageOption = Annotated[
    float | None,
    "Covariance shrinkage towards a scaled identity in [0, 1]; default: the Ledoit-Wolf estimate",
]


class Gaussian:
    """Mean and precision (inverse of the shrunk covariance) of some clips."""

    def __init__(self, x: np.ndarray, shrinkage: float | None) -> None:
        from sklearn.covariance import LedoitWolf

        self.mean = x.mean(axis=0)
        if shrinkage is None:
            covariance = LedoitWolf().fit(x).covariance_
        else:
            sample = np.cov(x, rowvar=False, bias=True).reshape(x.shape[1], x.shape[1])
            scale = np.trace(sample) / x.shape[1]
            covariance = (1.0 - shrinkage) * sample + shrinkage * scale * np.eye(x.shape[1])
        self.precision = np.linalg.pinv(covariance, hermitian=True)

    def distance(self, x: np.ndarray) -> np.ndarray:
        """The squared Mahalanobis distance ``(x - μ)ᵀ Σ⁻¹ (x - μ)`` of each row."""
        delta = x - self.mean
        return np.einsum("ij,jk,ik->i", delta, self.precision, delta)


def _check_shrinkage(shrinkage: float | None) -> None:
    if shrinkage is not None and not 0.0 <= shrinkage <= 1.0:
        raise ValueError(f"shrinkage must be in [0, 1], got {shrinkage}")


class MahalanobisBackend:
    """The squared Mahalanobis distance to one Gaussian of every training clip of the section,
    both domains together."""

    def __init__(self, *, shrinkage: ShrinkageOption = None) -> None:
        _check_shrinkage(shrinkage)
        self.shrinkage = shrinkage
        self.gaussian: Gaussian | None = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> MahalanobisBackend:
        x = unit_rows(embeddings)
        if len(x) < 2:
            raise ValueError(f"a covariance needs 2 training clips, got {len(x)}")
        self.gaussian = Gaussian(x, self.shrinkage)
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.gaussian is None:
            raise RuntimeError("fit the backend first")
        return self.gaussian.distance(unit_rows(embeddings))


class SelectiveMahalanobisBackend:
    """One Gaussian per domain; the score is the smaller of the squared Mahalanobis distances,
    so a clip is judged by the domain it is nearer (the DCASE 2023-2026 baseline's selective
    Mahalanobis test mode, here on embeddings rather than reconstruction errors). A domain with
    fewer than 2 training clips has no covariance and is left out."""

    def __init__(self, *, shrinkage: ShrinkageOption = None) -> None:
        _check_shrinkage(shrinkage)
        self.shrinkage = shrinkage
        self.gaussians: list[Gaussian] = []

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> SelectiveMahalanobisBackend:
        x, domains = unit_rows(embeddings), np.asarray(domains)
        parts = [x[domains == d] for d in (SOURCE, TARGET)]
        self.gaussians = [Gaussian(part, self.shrinkage) for part in parts if len(part) >= 2]
        if not self.gaussians:
            raise ValueError("no domain has the 2 training clips a covariance needs")
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if not self.gaussians:
            raise RuntimeError("fit the backend first")
        x = unit_rows(embeddings)
        return np.min([g.distance(x) for g in self.gaussians], axis=0)


class GmmBackend:
    """The negative log-likelihood of a clip under a Gaussian mixture fitted to every training
    clip of the section (scikit-learn's ``GaussianMixture``)."""

    def __init__(
        self,
        *,
        components: Annotated[
            int, "Mixture components, capped at the training clips (at least 1)"
        ] = 4,
        covariance: Annotated[
            Literal["diag", "spherical", "tied", "full"],
            "Covariance of each component; full needs more clips than dimensions",
        ] = "diag",
        reg_covar: Annotated[
            float, "Added to each covariance's diagonal (scikit-learn's default 1e-6)"
        ] = 1e-6,
        random_state: Annotated[int, "Seed of the mixture's initialisation", SEED_RANGE] = 0,
    ) -> None:
        if components < 1:
            raise ValueError(f"components must be at least 1, got {components}")
        if covariance not in ("diag", "spherical", "tied", "full"):
            raise ValueError(
                f"covariance must be diag, spherical, tied or full, got {covariance!r}"
            )
        if not reg_covar > 0:
            raise ValueError(f"reg_covar must be positive, got {reg_covar}")
        self.components = components
        self.covariance = covariance
        self.reg_covar = reg_covar
        self.random_state = random_state
        self.model = None

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> GmmBackend:
        from sklearn.mixture import GaussianMixture

        x = unit_rows(embeddings)
        if len(x) < 2:
            raise ValueError(f"a mixture needs 2 training clips, got {len(x)}")
        self.model = GaussianMixture(
            n_components=min(self.components, len(x)),
            covariance_type=self.covariance,
            reg_covar=self.reg_covar,
            random_state=self.random_state,
        ).fit(x)
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if self.model is None:
            raise RuntimeError("fit the backend first")
        return -self.model.score_samples(unit_rows(embeddings))
