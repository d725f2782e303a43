"""A label-free fusion of back ends ("Scoring Backends Matter More Than Pooling", arXiv
2606.19269): each member back end's scores are put on one scale by the scores it gives the
training clips themselves (their mean and standard deviation), and a clip's fused score is the
smallest of its members' standardised scores. No label and no test clip is used.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np

import asdbench
from asdbench_backends.standard import standardising

SOURCE, TARGET = "source", "target"


def folds_of(domains: np.ndarray, folds: int) -> np.ndarray:
    """Each training clip's fold: the clips of each domain dealt out in turn, so that every
    fold holds some of each domain where it has enough clips."""
    assigned = np.zeros(len(domains), dtype=int)
    for domain in np.unique(domains):
        members = np.flatnonzero(domains == domain)
        assigned[members] = np.arange(len(members)) % folds
    return assigned


class FusionBackend:
    """The fusion (see the module docstring). A member's self-scores are cross-fitted: the
    training clips are dealt into ``folds`` folds per domain, and each fold is scored by the
    member fitted on the other folds, so that no clip is scored by a back end that holds it
    (a kNN's distance to itself is 0). The members are then fitted on every training clip."""

    def __init__(
        self,
        *,
        members: Annotated[
            str, "Back ends fused, joined with + (each with its default options)"
        ] = "knn+selective_mahalanobis",
        folds: Annotated[int, "Folds of the cross-fitted self-scores (at least 2)"] = 5,
    ) -> None:
        names = [name.strip() for name in members.split("+")]
        available = set(asdbench.available("backend")) - {"fusion"}
        unknown = [name for name in names if name not in available]
        if not all(names) or len(set(names)) != len(names) or unknown:
            raise ValueError(
                f"members must be back ends joined with +, each once, from: "
                f"{', '.join(sorted(available))}; got {members!r}"
            )
        if folds < 2:
            raise ValueError(f"folds must be at least 2, got {folds}")
        self.names = names
        self.folds = folds
        self.members: list[Any] = []
        self.scales: list[tuple[float, float]] = []

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> FusionBackend:
        x, domains = np.asarray(embeddings, dtype=np.float64), np.asarray(domains)
        if len(x) < 2:
            raise ValueError(f"the fusion needs 2 training clips, got {len(x)}")
        assigned = folds_of(domains, min(self.folds, len(x)))
        self.members, self.scales = [], []
        for name in self.names:
            self_scores = np.empty(len(x))
            for fold in np.unique(assigned):
                held = assigned == fold
                member = asdbench.create("backend", name).fit(x[~held], domains[~held])
                self_scores[held] = member.score(x[held])
            self.scales.append(standardising(self_scores))
            self.members.append(asdbench.create("backend", name).fit(x, domains))
        return self

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if not self.members:
            raise RuntimeError("fit the backend first")
        x = np.asarray(embeddings, dtype=np.float64)
        return np.min(
            [
                (member.score(x) - mean) / spread
                for member, (mean, spread) in zip(self.members, self.scales, strict=True)
            ],
            axis=0,
        )
