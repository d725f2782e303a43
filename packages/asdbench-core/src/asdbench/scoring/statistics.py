"""Mean and standard deviation over trials: one implementation for the cell runs' aggregates
(``<partition>/<metric>_mean``, ``_std``, ``_pstd``) and for the leaderboard, which reads the
trials back from MLflow."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

#: Standard deviation over trials: its numpy ``ddof`` and its key suffix. The paper's "mean ±
#: std" is the sample one; the released code prints the population one.
STD = {"sample": (1, "std"), "population": (0, "pstd")}


@dataclass(frozen=True)
class Stat:
    """Mean and standard deviation over ``n`` trials (std NaN when undefined)."""

    mean: float
    std: float
    n: int


def over_trials(values: Iterable[float], ddof: int) -> Stat:
    """The mean and standard deviation (``ddof``) of the values that are not NaN; the std is
    NaN unless there are more values than ``ddof``."""
    kept = np.array([v for v in values if not math.isnan(v)], dtype=float)
    if not len(kept):
        return Stat(math.nan, math.nan, 0)
    std = float(kept.std(ddof=ddof)) if len(kept) > ddof else math.nan
    return Stat(float(kept.mean()), std, len(kept))
