"""Faults of the synthetic machines: graded damage, the one constant that scales every fault's
strength (calibrated against the published difficulty, docs/datasets.md), and the pieces faults
share, a bearing's defect frequencies and a spall's train of impacts."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from asdbench.synthetic.signals import (
    SAMPLE_RATE,
    impacts,
    periodic_times,
    random_phase,
    ringing,
)

#: The share of a fault's full strength at each damage level.
DAMAGE = {"low": 1 / 3, "mid": 2 / 3, "high": 1.0}
#: Every fault's strength is multiplied by this: the one constant calibrated against the
#: published difficulty (docs/datasets.md), the same for every machine type.
SEVERITY = 3.0


@dataclass(frozen=True)
class Fault:
    kind: str
    damage: str  # low, mid or high

    @property
    def strength(self) -> float:
        return DAMAGE[self.damage] * SEVERITY


def bounded(value: float, limit: float) -> float:
    """``value``, saturating smoothly at ``limit``: a modulation depth stays below 1 and a
    phase wobble below a fraction of a tooth or vane however strong the fault, and a higher
    damage is always the stronger one."""
    return limit * math.tanh(value / limit)


def bearing_frequencies(shaft: float, balls: float, ratio: float, angle: float) -> dict[str, float]:
    """The defect frequencies of a rolling bearing (``ratio`` = ball / pitch diameter,
    ``angle`` the contact angle in degrees): outer race (BPFO), inner race (BPFI), ball spin
    (BSF) and cage (FTF)."""
    c = ratio * math.cos(math.radians(angle))
    return {
        "bpfo": balls / 2 * (1 - c) * shaft,
        "bpfi": balls / 2 * (1 + c) * shaft,
        "bsf": (1 / (2 * ratio)) * (1 - c * c) * shaft,
        "ftf": shaft / 2 * (1 - c),
    }


def spall(
    rng: np.random.Generator,
    rate: float,
    n: int,
    resonance_hz: float,
    strength: float,
    modulation: tuple[float, float] | None = None,
) -> np.ndarray:
    """A spall's impacts: one per defect passage at ``rate`` with 1-3 % slip, each ringing the
    structure at ``resonance_hz``; ``modulation`` (rate, depth) varies their force as the
    defect turns in and out of the load zone."""
    times = periodic_times(rng, rate, n / SAMPLE_RATE, rng.uniform(0.01, 0.03))
    force = rng.uniform(0.8, 1.2, len(times))
    if modulation is not None:
        rate_hz, depth = modulation
        force *= 1 - depth + depth * np.cos(2 * np.pi * rate_hz * times + random_phase(rng)) ** 2
    kernel = ringing(resonance_hz * rng.uniform(0.97, 1.03), rng.uniform(0.001, 0.002), n)
    return strength * impacts(times, force, kernel, n)
