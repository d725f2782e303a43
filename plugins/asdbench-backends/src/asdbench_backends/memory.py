"""GenRep's memory-bank back end (Saengthong and Shinozaki, "Deep Generic Representations for
Domain-Generalized Anomalous Sound Detection", arXiv 2409.05035): the training embeddings of
each domain are a memory bank, a clip scores its mean Euclidean distance to the ``k`` nearest
of each bank, each bank's distances standardised (domain normalisation), the smaller of the
two; MemMixup first grows the few-clip target bank with mixtures of each target clip and its
nearest source clips. Made for frozen encoders' embeddings, used on any.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from asdbench import mean_nearest
from asdbench_backends.standard import standardising

SOURCE, TARGET = "source", "target"


def euclidean(x: np.ndarray, bank: np.ndarray) -> np.ndarray:
    """``[n, m]`` Euclidean distances between the rows of ``x`` and of ``bank``."""
    squared = (x * x).sum(axis=1)[:, None] + (bank * bank).sum(axis=1)[None, :] - 2 * x @ bank.T
    return np.sqrt(np.maximum(squared, 0.0))


def memmixup(
    target: np.ndarray, source: np.ndarray, neighbours: int | None, alpha: float
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """For each target clip ``t`` and each of its ``neighbours`` nearest source clips ``s``
    (all of them when None), ``alpha * t + (1 - alpha) * s``; with the (target, source) index
    pair each mixture is made of."""
    if not len(target) or not len(source) or neighbours == 0:
        return np.zeros((0, target.shape[1])), []
    count = len(source) if neighbours is None else min(neighbours, len(source))
    nearest = np.argsort(euclidean(target, source), axis=1, kind="stable")[:, :count]
    targets, sources = np.repeat(np.arange(len(target)), count), nearest.reshape(-1)
    mixtures = alpha * target[targets] + (1 - alpha) * source[sources]
    return mixtures, [(int(t), int(s)) for t, s in zip(targets, sources, strict=True)]


class GenRepBackend:
    """GenRep's back end (see the module docstring). Domain normalisation: GenRep standardises
    each bank's distances by their mean and standard deviation over the test clips it scores;
    a back end here sees no test clip before it scores, so each bank's distances are
    standardised by those of the training clips instead, each clip measured against the bank
    without itself and the mixtures made from it."""

    def __init__(
        self,
        *,
        k: Annotated[int, "Nearest memory entries averaged, per bank (GenRep: 1)"] = 1,
        mix_neighbours: Annotated[
            int | None,
            "MemMixup: source clips each target clip is mixed with; default every one (GenRep's "
            "best, Ks = 990 on DCASE2023); 0: no MemMixup",
        ] = None,
        alpha: Annotated[
            float, "MemMixup: the target clip's weight in each mixture, in (0, 1] (GenRep: 0.9)"
        ] = 0.9,
        normalise: Annotated[
            bool, "Standardise each bank's distances (domain normalisation); false: raw distances"
        ] = True,
    ) -> None:
        if k < 1:
            raise ValueError(f"k must be at least 1, got {k}")
        if mix_neighbours is not None and mix_neighbours < 0:
            raise ValueError(f"mix_neighbours must be at least 0, got {mix_neighbours}")
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.k = k
        self.mix_neighbours = mix_neighbours
        self.alpha = alpha
        self.normalise = normalise
        self.banks: list[np.ndarray] = []
        self.scales: list[tuple[float, float]] = []

    def fit(self, embeddings: np.ndarray, domains: np.ndarray) -> GenRepBackend:
        x, domains = np.asarray(embeddings, dtype=np.float64), np.asarray(domains)
        if not len(x):
            raise ValueError("no training embeddings to fit on")
        sources, targets = np.flatnonzero(domains == SOURCE), np.flatnonzero(domains == TARGET)
        mixtures, pairs = memmixup(x[targets], x[sources], self.mix_neighbours, self.alpha)
        # each bank entry with the training clips it is made of (left out together)
        made_of = [
            [{int(i)} for i in sources],
            [{int(i)} for i in targets] + [{int(targets[t]), int(sources[s])} for t, s in pairs],
        ]
        banks = [x[sources], np.vstack([x[targets], mixtures])]
        self.banks, self.scales = [], []
        for bank, origins in zip(banks, made_of, strict=True):
            if not len(bank):
                continue
            self.banks.append(bank)
            self.scales.append(self._scale(x, bank, origins))
        return self

    def _scale(
        self, x: np.ndarray, bank: np.ndarray, origins: list[set[int]]
    ) -> tuple[float, float]:
        """The mean and standard deviation of the training clips' distances to ``bank``, each
        without the entries made from it (the mean of its ``k`` nearest others); (0, 1) when
        fewer than two clips have another entry."""
        if not self.normalise:
            return 0.0, 1.0
        distances = euclidean(x, bank)
        for entry, clips in enumerate(origins):
            distances[sorted(clips), entry] = np.inf
        others = np.isfinite(distances).sum(axis=1)
        kept = others > 0
        if kept.sum() < 2:
            return 0.0, 1.0
        nearest = np.sort(distances[kept], axis=1)[:, : self.k]  # the left-out entries last
        taken = np.minimum(others[kept], self.k)
        return standardising(np.where(np.isfinite(nearest), nearest, 0.0).sum(axis=1) / taken)

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        if not self.banks:
            raise RuntimeError("fit the backend first")
        x = np.asarray(embeddings, dtype=np.float64)
        return np.min(
            [
                (mean_nearest(euclidean(x, bank), self.k) - mean) / spread
                for bank, (mean, spread) in zip(self.banks, self.scales, strict=True)
            ],
            axis=0,
        )
