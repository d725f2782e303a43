"""Signal building blocks of the synthetic sounds: tones that follow a varying frequency,
shaped noise, trains of impacts that excite a resonance, and frequency responses applied with
the FFT. Everything is float64 numpy at ``SAMPLE_RATE``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

SAMPLE_RATE = 16000


def seeded(*key: object) -> np.random.Generator:
    """A generator seeded from ``key`` (any reprs), so that each clip, unit and microphone
    draws the same values whatever else is written."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def rms(wave: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(wave))))


def random_phase(rng: np.random.Generator) -> float:
    return rng.uniform(0, 2 * np.pi)


def cycles(frequency: np.ndarray) -> np.ndarray:
    """The running phase (radians) of a varying frequency."""
    return 2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE


def tone(frequency: float | np.ndarray, n: int, phase: float) -> np.ndarray:
    """A sine at ``frequency`` Hz: a constant, or ``[n]`` instantaneous frequencies."""
    if np.ndim(frequency):
        return np.sin(2 * np.pi * np.cumsum(frequency) / SAMPLE_RATE + phase)
    return np.sin(2 * np.pi * frequency * np.arange(n) / SAMPLE_RATE + phase)


def wander(rng: np.random.Generator, n: int, depth: float) -> np.ndarray:
    """``[n]`` factors around 1: a slow random drift of relative size ``depth`` (a speed that
    is never quite constant), the sum of two slow sines of random rate and phase."""
    t = np.arange(n) / SAMPLE_RATE
    drift = np.zeros(n)
    for _ in range(2):
        drift += np.sin(2 * np.pi * rng.uniform(0.1, 0.8) * t + rng.uniform(0, 2 * np.pi))
    return 1 + depth * drift / 2


def shaped_noise(
    rng: np.random.Generator, n: int, response: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """White noise through the amplitude response ``response(frequencies in Hz)``, unit RMS."""
    return unit(filtered(rng.standard_normal(n), response))


def coloured_noise(rng: np.random.Generator, n: int, slope: float) -> np.ndarray:
    """Noise whose power falls as f^-slope (0 white, 1 pink, 2 brown), unit RMS."""
    return shaped_noise(rng, n, lambda f: np.maximum(f, 20.0) ** (-slope / 2))


def unit(wave: np.ndarray) -> np.ndarray:
    return wave / (rms(wave) + 1e-12)


def filtered(wave: np.ndarray, response: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``wave`` through the zero-phase amplitude response ``response(frequencies in Hz)``."""
    spectrum = np.fft.rfft(wave)
    frequencies = np.fft.rfftfreq(len(wave), 1 / SAMPLE_RATE)
    return np.fft.irfft(spectrum * response(frequencies), len(wave))


def resonance(centre: float, width: float) -> Callable[[np.ndarray], np.ndarray]:
    """The amplitude response of a resonance at ``centre`` Hz, ``width`` Hz wide (-3 dB)."""
    return lambda f: 1 / np.sqrt(1 + ((f - centre) / (width / 2)) ** 2)


def ringing(frequency: float, decay_s: float, n: int) -> np.ndarray:
    """A damped sinusoid: what one impact on a structure resonating at ``frequency`` sounds
    like; ``decay_s`` is its time constant."""
    t = np.arange(min(n, max(1, int(decay_s * 6 * SAMPLE_RATE)))) / SAMPLE_RATE
    return np.exp(-t / decay_s) * np.sin(2 * np.pi * frequency * t)


def summed(*kernels: np.ndarray) -> np.ndarray:
    """Kernels of different lengths added, each padded with zeros to the longest."""
    out = np.zeros(max(len(k) for k in kernels))
    for kernel in kernels:
        out[: len(kernel)] += kernel
    return out


def impacts(times: np.ndarray, amplitudes: np.ndarray, kernel: np.ndarray, n: int) -> np.ndarray:
    """``kernel`` placed at ``times`` (seconds) with ``amplitudes``, cut to ``n`` samples."""
    out = np.zeros(n + len(kernel))
    for start, amplitude in zip(
        (np.asarray(times) * SAMPLE_RATE).astype(int), amplitudes, strict=True
    ):
        if 0 <= start < n:
            out[start : start + len(kernel)] += amplitude * kernel
    return out[:n]


def periodic_times(
    rng: np.random.Generator, rate: float, seconds: float, jitter: float
) -> np.ndarray:
    """Event times at ``rate`` per second from a random phase, each interval varied by the
    relative ``jitter`` (a rolling element's 1-3 % slip, say)."""
    period = 1 / rate
    count = int(seconds * rate) + 2
    intervals = period * (1 + jitter * rng.standard_normal(count))
    return rng.uniform(0, period) + np.concatenate([[0.0], np.cumsum(intervals[:-1])])
