"""Putting a back end's scores on one scale: the mean and standard deviation of reference
scores (``genrep``'s banks, ``fusion``'s members)."""

from __future__ import annotations

import numpy as np


def standardising(values: np.ndarray) -> tuple[float, float]:
    """The mean and standard deviation of ``values``; a spread within rounding of zero (all
    values equal) is 1, so scores are shifted by the mean and not blown up."""
    mean, spread = float(values.mean()), float(values.std())
    return mean, spread if spread > 1e-9 * abs(mean) else 1.0
