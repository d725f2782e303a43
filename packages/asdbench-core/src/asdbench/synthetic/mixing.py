"""How a clip is put together, as DCASE's datasets were: the machine's own sound as a
microphone at its place hears it, plus a factory noise recording set to a signal-to-noise
ratio against the machine type's *mean* level (as ToyADMOS2's mixer does), so that the level
differences between clips (speed, load, damage) survive the mix. Nothing is normalised per
clip. With two microphones the second is farther: later, duller, quieter, in noise of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from asdbench.synthetic.design import (
    SPECIMENS,
    ClipDraw,
    MachineType,
    Shift,
    draw_clip,
    noise_pool,
)
from asdbench.synthetic.machines import FAMILIES, Unit
from asdbench.synthetic.noise import noise_stem
from asdbench.synthetic.signals import SAMPLE_RATE, rms, seeded

#: The level of a machine type's mean clean sound in the files (about -30 dBFS), leaving room
#: for noise 6 dB louder and for impacts.
MEAN_LEVEL = 0.03
#: Relative variation of a specimen's continuous constants (resonances, tilts) around its
#: type's: units of one model are alike, not the same.
SPECIMEN_SPREAD = 0.03
#: The far microphone: the machine's delay (3 ms, about a metre) and level (-8 dB), and how
#: much lower its signal-to-noise ratio is than the near one's.
FAR_DELAY, FAR_LEVEL_DB, FAR_SNR_LOSS_DB = 48, -8.0, 9.0


@dataclass(frozen=True)
class Microphone:
    """A microphone's place: its distance (gain), the damping of highs on the way (dB per
    octave above 1 kHz) and a reflection off a nearby surface (delay, relative gain)."""

    gain_db: float
    tilt_db: float
    delay: int
    reflection: float

    def hear(self, wave: np.ndarray) -> np.ndarray:
        spectrum = np.fft.rfft(wave)
        frequencies = np.fft.rfftfreq(len(wave), 1 / SAMPLE_RATE)
        octaves = np.log2(np.maximum(frequencies, 1000.0) / 1000.0)
        heard = np.fft.irfft(spectrum * 10 ** (self.tilt_db * octaves / 20), len(wave))
        heard[self.delay :] += self.reflection * heard[: len(wave) - self.delay].copy()
        return 10 ** (self.gain_db / 20) * heard


def microphone(key: tuple[object, ...], name: str) -> Microphone:
    rng = seeded(*key, "microphone", name)
    return Microphone(
        float(rng.uniform(-3, 3)),
        float(rng.uniform(-4, 0.5)),
        int(rng.integers(10, 64)),  # 0.6 to 4 ms
        float(rng.uniform(0.2, 0.6)),
    )


@dataclass(frozen=True)
class Stems:
    """A clip's parts as written: the machine as the microphone hears it and the noise, each
    at its level in the file; ``far`` is the second microphone's clip, when there is one."""

    machine: np.ndarray
    noise: np.ndarray
    far: np.ndarray | None = None

    @property
    def near(self) -> np.ndarray:
        return self.machine + self.noise

    def clip(self) -> np.ndarray:
        """``[n]``, or ``[n, 2]`` with the far microphone on the right."""
        return self.near if self.far is None else np.stack([self.near, self.far], 1)


class SectionSound:
    """The sound of one section of a machine type: its specimens, microphones, noise pool and
    mean level; renders its clips."""

    def __init__(
        self, machine: MachineType, shift: tuple[Shift, ...], key: tuple[object, ...]
    ) -> None:
        self.machine = machine
        self.family = FAMILIES[machine.family]
        self.shift = shift
        self.key = key
        self.pool = noise_pool(machine, key)
        self.specimens = {domain: self._specimens(domain) for domain in ("source", "target")}
        self.mean_level = self._mean_level()

    def _specimens(self, domain: str) -> list[Unit]:
        """The section's specimens: alike, each constant a few percent off its model's; a
        target with a unit shift hears specimens of another model."""
        new = domain == "target" and "unit" in self.shift
        model = self.family.unit(seeded(*self.key, "model", new))
        specimens = []
        for number in range(SPECIMENS):
            rng = seeded(*self.key, "specimen", new, number)
            specimens.append(
                {
                    name: value
                    if isinstance(value, int)
                    else value * (1 + SPECIMEN_SPREAD * rng.standard_normal())
                    for name, value in model.items()
                }
            )
        return specimens

    def _mean_level(self) -> float:
        """The mean RMS of the machine's normal source sound at its microphone: one second of
        every source attribute combination, from its first specimen."""
        levels = []
        for number, attributes in enumerate(self.machine.combinations("source", self.shift)):
            rng = seeded(*self.key, "mean level", number)
            draw = draw_clip(
                self.machine, self.shift, self.pool, "source", "normal", attributes, rng
            )
            levels.append(rms(self.machine_sound(replace(draw, specimen=0), SAMPLE_RATE, rng)))
        return float(np.mean(levels))

    def draw(
        self, domain: str, label: str, attributes: dict[str, str], rng: np.random.Generator
    ) -> ClipDraw:
        return draw_clip(self.machine, self.shift, self.pool, domain, label, attributes, rng)

    def machine_sound(self, draw: ClipDraw, n: int, rng: np.random.Generator) -> np.ndarray:
        """The machine's own sound as the clip's microphone hears it, before the file's gain."""
        unit = self.specimens[draw.domain][draw.specimen]
        sound = self.family.sound(draw.operating, unit, draw.fault, rng, n)
        return microphone(self.key, draw.mic).hear(sound)

    def render(
        self, draw: ClipDraw, n: int, rng: np.random.Generator, microphones: int = 1
    ) -> Stems:
        """The clip's stems: the machine at a gain that puts the type's mean level at
        ``MEAN_LEVEL``, and the noise at the draw's signal-to-noise ratio against that mean.
        The noise recording is drawn first, so that the same clip with a fault (or in another
        condition) has the same noise."""
        noise_rng = np.random.default_rng(rng.integers(1 << 62))  # whatever a fault draws
        machine = MEAN_LEVEL / self.mean_level * self.machine_sound(draw, n, rng)
        noise = MEAN_LEVEL * 10 ** (-draw.snr_db / 20) * noise_stem(noise_rng, draw.noise, n)
        if microphones == 1:
            return Stems(machine, noise)
        far_rng = seeded(*self.key, "far", rng.integers(1 << 62))
        damped = np.convolve(machine, [0.25, 0.5, 0.25], mode="same")
        delayed = np.concatenate([np.zeros(FAR_DELAY), damped[:-FAR_DELAY]])
        far_noise = noise_stem(far_rng, draw.noise, n)
        far_snr = draw.snr_db - FAR_SNR_LOSS_DB
        far = 10 ** (FAR_LEVEL_DB / 20) * delayed + MEAN_LEVEL * 10 ** (-far_snr / 20) * far_noise
        return Stems(machine, noise, far)
