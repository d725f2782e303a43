"""Ensembles: ``combine(trials, sections, train)`` -> one score per clip.

``trials`` is a list of per-trial score arrays aligned on the same clips; ``sections`` gives each
clip's section and ``train`` marks training clips (whose statistics ``zscore`` uses), so that
every method is defined per section, like the backend that produced the scores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np


def _stack(trials: Sequence[np.ndarray]) -> np.ndarray:
    if not trials:
        raise ValueError("an ensemble needs at least one trial")
    stacked = np.vstack([np.asarray(t, dtype=float) for t in trials])
    if np.isnan(stacked).any():
        raise ValueError("trial scores contain NaN")
    return stacked


class MeanEnsemble:
    """The mean of the trials' scores."""

    def combine(
        self, trials: Sequence[np.ndarray], sections: np.ndarray, train: np.ndarray
    ) -> np.ndarray:
        return _stack(trials).mean(axis=0)


class SumEnsemble:
    """The sum of the trials' scores (ranks like the mean)."""

    def combine(
        self, trials: Sequence[np.ndarray], sections: np.ndarray, train: np.ndarray
    ) -> np.ndarray:
        return _stack(trials).sum(axis=0)


def _per_section(
    trials: Sequence[np.ndarray],
    sections: np.ndarray,
    transform: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> np.ndarray:
    """Apply ``transform(scores [trials, clips], members mask)`` within each section, then
    average over trials."""
    stacked = _stack(trials)
    out = np.empty_like(stacked)
    for section in np.unique(sections):
        members = sections == section
        out[:, members] = transform(stacked[:, members], members)
    return out.mean(axis=0)


class ZscoreEnsemble:
    """Per section, each trial's scores minus the mean of its training-clip scores, divided by
    their standard deviation; then the mean over trials. Puts trials whose score scales differ
    on an equal footing."""

    def combine(
        self, trials: Sequence[np.ndarray], sections: np.ndarray, train: np.ndarray
    ) -> np.ndarray:
        def standardise(scores: np.ndarray, members: np.ndarray) -> np.ndarray:
            reference = train[members] if train[members].any() else np.ones(len(scores[0]), bool)
            mean = scores[:, reference].mean(axis=1, keepdims=True)
            std = scores[:, reference].std(axis=1, keepdims=True)
            return (scores - mean) / np.maximum(std, 1e-12)

        return _per_section(trials, sections, standardise)


class RankEnsemble:
    """Per section, each trial's scores replaced by their normalised rank in [0, 1] (ties get
    their mean rank); then the mean over trials."""

    def combine(
        self, trials: Sequence[np.ndarray], sections: np.ndarray, train: np.ndarray
    ) -> np.ndarray:
        from scipy.stats import rankdata

        def rank(scores: np.ndarray, members: np.ndarray) -> np.ndarray:
            return (rankdata(scores, axis=1) - 1) / max(scores.shape[1] - 1, 1)

        return _per_section(trials, sections, rank)
