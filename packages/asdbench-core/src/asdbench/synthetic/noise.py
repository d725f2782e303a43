"""Factory background noise as DCASE mixes it in: recordings of the factory, not of the
machine, that are non-stationary and of several kinds. Each kind here is one such recording's
make-up; a clip's noise stem mixes one or two kinds, drawn per clip, at unit RMS (the mixer
sets its level).

- ``hum``: other machines running nearby: a mains-locked motor and a second machine's
  harmonics, each slowly swelling and fading.
- ``impacts``: hammering, stamping, dropped parts: ringing hits at random times.
- ``bursts``: compressed air and grinding: band-limited noise switched on and off.
- ``ventilation``: air handling: coloured noise whose level breathes slowly.
- ``traffic``: forklifts and conveyors passing: low rumble with an engine tone that glides.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from asdbench.synthetic.signals import (
    SAMPLE_RATE,
    coloured_noise,
    impacts,
    resonance,
    ringing,
    shaped_noise,
    summed,
    tone,
    unit,
    wander,
)


def _hum(rng: np.random.Generator, n: int) -> np.ndarray:
    wave = np.zeros(n)
    for fundamental, count in ((rng.choice([50.0, 60.0]), 6), (rng.uniform(70, 240), 4)):
        swell = wander(rng, n, rng.uniform(0.2, 0.6))
        for k in range(1, count + 1):
            amplitude = rng.uniform(0.3, 1.0) / k
            wave += amplitude * swell * tone(k * fundamental, n, rng.uniform(0, 2 * np.pi))
    return wave + 0.2 * coloured_noise(rng, n, 1.0)


def _impacts(rng: np.random.Generator, n: int) -> np.ndarray:
    seconds = n / SAMPLE_RATE
    wave = 0.05 * coloured_noise(rng, n, 1.0)
    for _ in range(int(rng.integers(1, 4))):  # up to three sources of hits
        count = int(rng.poisson(rng.uniform(0.8, 4.0) * seconds)) + 1
        kernel = summed(
            ringing(rng.uniform(400, 5000), rng.uniform(0.004, 0.03), n),
            0.5 * ringing(rng.uniform(150, 900), rng.uniform(0.01, 0.05), n),
        )
        wave += impacts(rng.uniform(0, seconds, count), rng.uniform(0.3, 1.0, count), kernel, n)
    return wave


def _bursts(rng: np.random.Generator, n: int) -> np.ndarray:
    seconds = n / SAMPLE_RATE
    low = rng.uniform(500, 3000)
    high = low * rng.uniform(1.5, 3.0)
    band = shaped_noise(rng, n, lambda f: ((f > low) & (f < high)) * 1.0)
    gate = np.zeros(n)
    for _ in range(int(rng.poisson(1.5 * seconds)) + 1):
        start = int(rng.uniform(-0.2, seconds) * SAMPLE_RATE)
        length = int(rng.uniform(0.05, 0.5) * SAMPLE_RATE)
        gate[max(start, 0) : max(start + length, 0)] = rng.uniform(0.5, 1.0)
    ramp = np.hanning(161)
    gate = np.convolve(gate, ramp / ramp.sum(), mode="same")  # 10 ms on and off
    return band * gate + 0.03 * coloured_noise(rng, n, 0.5)


def _ventilation(rng: np.random.Generator, n: int) -> np.ndarray:
    centre = rng.uniform(150, 600)
    slope = rng.uniform(0.6, 1.4)
    noise = shaped_noise(
        rng, n, lambda f: np.maximum(f, 20.0) ** (-slope / 2) + 2 * resonance(centre, centre)(f)
    )
    return noise * wander(rng, n, rng.uniform(0.3, 0.6))


def _traffic(rng: np.random.Generator, n: int) -> np.ndarray:
    engine = rng.uniform(25, 45) * wander(rng, n, 0.15)
    wave = coloured_noise(rng, n, 2.0)
    for k in range(1, 5):
        wave += rng.uniform(0.2, 0.5) / k * tone(k * engine, n, rng.uniform(0, 2 * np.pi))
    return wave * wander(rng, n, 0.5)


KINDS: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
    "hum": _hum,
    "impacts": _impacts,
    "bursts": _bursts,
    "ventilation": _ventilation,
    "traffic": _traffic,
}


def noise_stem(rng: np.random.Generator, kinds: tuple[str, ...], n: int) -> np.ndarray:
    """A factory noise recording made of ``kinds``, each at a random share, unit RMS."""
    wave = np.zeros(n)
    for kind in kinds:
        wave += 10 ** (rng.uniform(-6, 0) / 20) * unit(KINDS[kind](rng, n))
    return unit(wave)
