"""The sound models of the synthetic machine types, one per family, and their faults.

A model renders a machine's own sound (no background noise) from its operating point (the
clip's attribute values, numeric ones varied continuously within each value), its unit (the
physical constants of one specimen: teeth, blades, bearing geometry, resonances) and an
optional fault. Amplitudes are physical: a faster or more loaded machine is louder, and nothing
is normalised per clip, so the level differences between clips reach the mixer.

Faults are graded (``low``, ``mid``, ``high`` damage) and physically grounded (docs/datasets.md
has the table with sources): bearing spalls as impacts at the bearing's defect frequencies with
1-3 % slip exciting a resonance, gear faults as shaft-rate sidebands around the mesh, a bent
shaft, a damaged blade or tyre, a stone on the track, clogging, and, for the valve, faults that
change when its clicks happen rather than what they sound like.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from asdbench.synthetic.faults import Fault, bearing_frequencies, bounded, spall
from asdbench.synthetic.signals import (
    SAMPLE_RATE,
    coloured_noise,
    cycles,
    impacts,
    periodic_times,
    random_phase,
    resonance,
    ringing,
    seeded,
    shaped_noise,
    summed,
    tone,
    wander,
)

Operating = dict[str, float | str]
Unit = dict[str, float]


# -- rotor: a pump or motor whose impeller vanes set the tone --------------------------------


def _rotor_unit(rng: np.random.Generator) -> Unit:
    return {
        "vanes": int(rng.integers(5, 8)),
        "tilt": rng.uniform(0.7, 1.1),
        "profile": int(rng.integers(1 << 30)),
        "flow": rng.uniform(900, 1600),
        "structure": rng.uniform(2400, 3800),
        "balls": int(rng.integers(8, 13)),
        "ratio": rng.uniform(0.2, 0.35),
        "angle": rng.uniform(0, 15),
    }


def _rotor(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    rpm, load = float(op["vel"]), float(op["ld"])
    shaft = rpm / 60 * wander(rng, n, 0.002)
    profile = seeded("rotor", unit["profile"]).uniform(0.6, 1.4, 8)
    vane_pass = unit["vanes"] * shaft
    bend = np.zeros(n)
    s = fault.strength if fault else 0.0
    if fault and fault.kind == "bent-shaft":  # the vane pass wobbles with the shaft
        bend = bounded(0.6 * s, 0.5) * np.sin(cycles(shaft))
    wave = np.zeros(n)
    for k in range(1, 9):
        amplitude = profile[k - 1] / k ** unit["tilt"]
        wave += amplitude * np.sin(k * (cycles(vane_pass) + bend) + random_phase(rng))
    once, twice = 0.08, 0.04
    if fault and fault.kind == "imbalance":
        once += 0.5 * s
        wave *= 1 + bounded(0.15 * s, 0.8) * np.sin(cycles(shaft) + random_phase(rng))
    if fault and fault.kind == "bent-shaft":
        once, twice = once + 0.25 * s, twice + 0.35 * s
    wave += once * np.sin(cycles(shaft) + random_phase(rng))
    wave += twice * np.sin(2 * cycles(shaft) + random_phase(rng))
    flow = resonance(unit["flow"], 400)
    wave += 0.3 * (0.5 + load) * shaped_noise(rng, n, flow)
    wave += 0.1 * tone(100.0, n, random_phase(rng))  # the motor's magnetic hum
    if fault and fault.kind in ("bearing-outer", "bearing-inner"):
        rates = bearing_frequencies(rpm / 60, unit["balls"], unit["ratio"], unit["angle"])
        inner = fault.kind == "bearing-inner"
        wave += spall(
            rng,
            rates["bpfi" if inner else "bpfo"],
            n,
            unit["structure"],
            2.5 * s,
            (rpm / 60, 0.6) if inner else None,
        )
    return (rpm / 1500) ** 1.5 * (0.7 + 0.3 * load) * wave


# -- gears: a gearbox whose mesh frequency follows the motor voltage ------------------------


def _gears_unit(rng: np.random.Generator) -> Unit:
    return {
        "teeth": int(rng.integers(19, 30)),
        "eccentricity": rng.uniform(0.02, 0.05),
        "profile": int(rng.integers(1 << 30)),
        "housing": rng.uniform(2500, 4500),
        "motor": rng.uniform(3.2, 4.4),
    }


def _gears(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    volt, weight = float(op["volt"]), float(op["wt"])
    shaft = 9 * volt * wander(rng, n, 0.003)
    turn = cycles(shaft) + random_phase(rng)
    depth = unit["eccentricity"] + 0.0002 * weight
    s = fault.strength if fault else 0.0
    envelope = 1 + depth * np.cos(turn)
    mesh_phase = unit["teeth"] * cycles(shaft)
    if fault and fault.kind == "tooth":  # a damaged tooth: a dip once per turn
        envelope -= bounded(0.5 * s, 0.8) * np.exp(
            -((np.angle(np.exp(1j * turn))) ** 2) / (2 * 0.15**2)
        )
    if fault and fault.kind == "eccentric":  # a deformed gear: the mesh wobbles
        envelope += bounded(0.2 * s, 0.8) * np.cos(turn + 1.0)
        mesh_phase = mesh_phase + bounded(1.2 * s, 1.0) * np.sin(turn)
    profile = seeded("gears", unit["profile"]).uniform(0.4, 1.0, 3)
    wave = np.zeros(n)
    for h in range(1, 4):
        wave += profile[h - 1] / h * np.sin(h * mesh_phase + random_phase(rng))
    wave *= envelope
    wave += 0.15 * np.sin(unit["motor"] * cycles(shaft) + random_phase(rng))  # motor whine
    wave += 0.15 * shaped_noise(rng, n, resonance(unit["housing"], 800))
    if fault and fault.kind == "tooth":
        wave += spall(rng, float(np.mean(shaft)), n, unit["housing"], 1.5 * s)
    return volt**1.2 * (0.8 + 0.002 * weight) * wave


# -- bearing: a bearing test rig, heard from several places ---------------------------------


def _bearing_unit(rng: np.random.Generator) -> Unit:
    return {
        "balls": int(rng.integers(8, 13)),
        "ratio": rng.uniform(0.2, 0.35),
        "angle": rng.uniform(0, 15),
        "housing": rng.uniform(1500, 3000),
        "race": rng.uniform(3500, 6000),
    }


def _bearing(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    speed = float(op["vel"])
    shaft = speed * wander(rng, n, 0.003)
    rates = bearing_frequencies(speed, unit["balls"], unit["ratio"], unit["angle"])
    rolling = shaped_noise(
        rng,
        n,
        lambda f: (
            resonance(unit["housing"], 500)(f)
            + 0.7 * resonance(unit["race"], 900)(f)
            + 0.2 * np.maximum(f, 50.0) ** -0.5
        ),
    )
    wave = (
        0.6 * rolling * (1 + 0.05 * np.sin(2 * np.pi * rates["ftf"] * np.arange(n) / SAMPLE_RATE))
    )
    for k, amplitude in ((1, 0.3), (2, 0.15), (6, 0.1)):
        wave += amplitude * np.sin(k * cycles(shaft) + random_phase(rng))
    s = fault.strength if fault else 0.0
    if fault and fault.kind == "outer-race":
        wave += spall(rng, rates["bpfo"], n, unit["race"], 2.0 * s)
    if fault and fault.kind == "inner-race":
        wave += spall(rng, rates["bpfi"], n, unit["race"], 2.0 * s, (speed, 0.6))
    if fault and fault.kind == "ball":
        wave += spall(rng, 2 * rates["bsf"], n, unit["housing"], 2.0 * s, (rates["ftf"], 0.5))
    return (speed / 10) ** 1.3 * wave


# -- valve: a solenoid valve opening and closing in a pattern --------------------------------


def _valve_unit(rng: np.random.Generator) -> Unit:
    return {
        "body": rng.uniform(2500, 4500),
        "seat": rng.uniform(600, 1200),
        "decay": rng.uniform(0.003, 0.006),
    }


def valve_cycle(pattern: str) -> list[tuple[float, float]]:
    """The (open, closed) durations in seconds of one cycle of pattern ``pattern``: 2 to 4
    openings between 60 and 300 ms, fixed by the pattern's name."""
    rng = seeded("valve pattern", pattern)
    return [
        (float(rng.uniform(0.06, 0.2)), float(rng.uniform(0.08, 0.3)))
        for _ in range(int(rng.integers(2, 5)))
    ]


def valve_events(
    pattern: str, seconds: float, fault: Fault | None, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Opening and closing times over ``seconds``. A fault moves them and nothing else: a
    sticking valve closes late on some cycles, a worn one keeps poor time. No event moves by
    more than 40 % of the shorter interval beside it, so the clicks keep their order and
    their count."""
    cycle = valve_cycle(pattern)
    s = fault.strength if fault else 0.0
    jitter = 0.002 + (0.01 * s if fault and fault.kind == "irregular" else 0.0)
    opens, closes, clock, step = [], [], rng.uniform(0, 0.1), 0
    while clock < seconds:
        open_s, closed_s = cycle[step % len(cycle)]
        bound = 0.4 * min(open_s, closed_s)
        late = 0.0
        if fault and fault.kind == "sticking" and rng.random() < 0.5:
            late = 0.03 * s
        opens.append(clock + np.clip(jitter * rng.standard_normal(), -bound, bound))
        moved = np.clip(late + jitter * rng.standard_normal(), -bound, bound)
        closes.append(clock + open_s + moved)
        clock += open_s + closed_s
        step += 1
    return np.array(opens), np.array(closes)


def _valve(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    panel = float(seeded("valve panel", op["panel"]).uniform(1200, 3200))
    pressure = float(op["pressure"])
    decay = unit["decay"] * (0.9 + 0.1 * pressure)
    opening = summed(ringing(unit["body"], decay, n), 0.6 * ringing(panel, 2 * decay, n))
    closing = summed(0.7 * ringing(unit["seat"], 3 * decay, n), 0.5 * ringing(panel, 2 * decay, n))
    opens, closes = valve_events(str(op["pat"]), n / SAMPLE_RATE, fault, rng)
    wave = impacts(opens, rng.uniform(0.9, 1.1, len(opens)), opening, n)
    wave += impacts(closes, rng.uniform(0.9, 1.1, len(closes)), closing, n)
    return pressure * wave


# -- blower: a fan, broadband air noise with blade-pass tones --------------------------------


def _blower_unit(rng: np.random.Generator) -> Unit:
    return {"duct": rng.uniform(300, 1200), "slope": rng.uniform(0.8, 1.4)}


def blower_model(model: str) -> tuple[int, float]:
    """A fan model's blade count and nominal speed (revolutions per second)."""
    rng = seeded("blower model", model)
    return int(rng.integers(5, 10)), float(rng.uniform(15, 35))


def _blower(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    blades, nominal = blower_model(str(op["m-n"]))
    speed = nominal * float(op["speed"])
    shaft = speed * wander(rng, n, 0.003)
    s = fault.strength if fault else 0.0
    air = shaped_noise(
        rng,
        n,
        lambda f: (
            np.maximum(f, 30.0) ** (-unit["slope"] / 2) * 30
            + resonance(unit["duct"], unit["duct"])(f)
        ),
    )
    if fault and fault.kind == "clogging":  # less air through: duller and weaker
        lost = bounded(0.3 * s, 0.8)
        air = (1 - lost) * air + 1.5 * lost * coloured_noise(rng, n, 2.5)
    turn = cycles(shaft) + random_phase(rng)
    blade_envelope = 1 + 0.03 * np.cos(turn)
    if fault and fault.kind == "blade":  # one damaged blade: the blade pass varies per turn
        blade_envelope += bounded(0.5 * s, 0.8) * np.cos(turn)
    wave = air.copy()
    for h in range(1, 4):
        wave += 0.5 / h * blade_envelope * np.sin(h * blades * cycles(shaft) + random_phase(rng))
    once = 0.1 + (0.4 * s if fault and fault.kind in ("blade", "imbalance") else 0.0)
    wave += once * np.sin(turn)
    if fault and fault.kind == "imbalance":
        wave *= 1 + bounded(0.15 * s, 0.8) * np.sin(turn)
    return (speed / 25) ** 2.5 * wave


# -- toycar: a toy car on a track, as ToyADMOS2 records it ---------------------------------


def toycar_model(model: str) -> Unit:
    """A car model's make-up (ToyADMOS2 varies chassis, motor, gear ratio, bearing, tyre)."""
    rng = seeded("toycar model", model)
    return {
        "poles": int(rng.integers(2, 6)),
        "pinion": int(rng.integers(8, 14)),
        "ratio": rng.uniform(12, 20),
        "treads": int(rng.integers(12, 30)),
        "chassis": rng.uniform(600, 1500),
    }


def _toycar_unit(rng: np.random.Generator) -> Unit:
    return {"wheel": rng.uniform(150, 300), "profile": int(rng.integers(1 << 30))}


def _toycar(op: Operating, unit: Unit, fault: Fault | None, rng, n: int) -> np.ndarray:
    car = toycar_model(str(op["car"]))
    volt = float(op["spd"])
    motor = 45 * volt * wander(rng, n, 0.004)
    wheel = motor / car["ratio"]
    s = fault.strength if fault else 0.0
    turn = cycles(wheel) + random_phase(rng)
    wobble = bounded(0.6 * s, 1.0) * np.sin(turn) if fault and fault.kind == "bent-shaft" else 0.0
    profile = seeded("toycar", unit["profile"]).uniform(0.5, 1.0, 4)
    wave = np.zeros(n)
    for k in range(1, 5):  # the motor's commutation
        wave += profile[k - 1] / k * np.sin(k * car["poles"] * cycles(motor) + random_phase(rng))
    mesh = np.sin(car["pinion"] * (cycles(motor) + wobble / car["pinion"]) + random_phase(rng))
    if fault and fault.kind == "gear":
        mesh *= 1 + 0.6 * s * np.cos(turn) ** 8
    wave += 0.6 * mesh
    rolling = shaped_noise(rng, n, resonance(car["chassis"], 600))
    wave += 0.5 * rolling * (1 + 0.2 * np.sin(car["treads"] * turn))
    if fault and fault.kind == "bent-shaft":
        wave *= 1 + bounded(0.3 * s, 0.8) * np.sin(turn)
    if fault and fault.kind == "tyre":  # a flat spot thumps once per wheel turn
        thump = ringing(unit["wheel"], 0.012, n)
        times = periodic_times(rng, float(np.mean(wheel)), n / SAMPLE_RATE, 0.005)
        wave += 3.0 * s * impacts(times, np.ones(len(times)), thump, n)
    if fault and fault.kind == "obstruction":
        wave += _stone(rng, n, 0.05 * 3.4 / volt, car["chassis"], unit["wheel"], 3.0 * s)
    return (volt / 3.4) ** 2 * wave


def _stone(
    rng: np.random.Generator, n: int, axles_s: float, chassis: float, wheel: float, strength: float
) -> np.ndarray:
    """A stone on the track (ToyADMOS2's obstructing stone): once or twice in the clip the
    front and then the rear axle, ``axles_s`` later, run over it, each a thump of the wheel and
    a rattle of the chassis."""
    hits = rng.uniform(0, n / SAMPLE_RATE, int(rng.integers(1, 3)))
    times = np.concatenate([hits, hits + axles_s])
    kernel = summed(ringing(wheel, 0.015, n), 0.6 * ringing(chassis, 0.008, n))
    return strength * impacts(times, rng.uniform(0.8, 1.2, len(times)), kernel, n)


@dataclass(frozen=True)
class Family:
    """A sound model: how a specimen (unit) is drawn, how it sounds, what can break."""

    name: str
    faults: tuple[str, ...]
    unit: Callable[[np.random.Generator], Unit]
    sound: Callable[[Operating, Unit, Fault | None, np.random.Generator, int], np.ndarray]
    #: Hidden operating values that vary from clip to clip (supply pressure, fan speed), each
    #: drawn uniformly within this relative spread of 1.
    hidden: tuple[tuple[str, float], ...] = ()
    #: Its faults change when its events happen, not its time-mean spectrum.
    timing_faults: bool = False


FAMILIES = {
    family.name: family
    for family in (
        Family(
            "rotor",
            ("bearing-outer", "bearing-inner", "imbalance", "bent-shaft"),
            _rotor_unit,
            _rotor,
        ),
        Family("gears", ("tooth", "eccentric"), _gears_unit, _gears),
        Family("bearing", ("outer-race", "inner-race", "ball"), _bearing_unit, _bearing),
        Family(
            "valve",
            ("sticking", "irregular"),
            _valve_unit,
            _valve,
            hidden=(("pressure", 0.15),),
            timing_faults=True,
        ),
        Family(
            "blower",
            ("blade", "clogging", "imbalance"),
            _blower_unit,
            _blower,
            hidden=(("speed", 0.03),),
        ),
        Family("toycar", ("bent-shaft", "tyre", "gear", "obstruction"), _toycar_unit, _toycar),
    )
}
