"""What the synthetic dataset holds: its machine types, their attributes and domain shifts,
the sizes, and the draw of every clip (attribute values, operating point, specimen, fault,
background noise, signal-to-noise ratio, microphone) from its seed.

The design follows the real data (docs/datasets.md has each fact and its source): source
attribute combinations that are many, evenly filled and close to their neighbours; targets
that interpolate, extrapolate, change only the noise, move the microphone or bring another
specimen; 10 target training clips per section; 50 + 50 test clips per domain at full size,
some eval sections unbalanced as DCASE2023's are; clip lengths that differ between types.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Literal

import numpy as np

from asdbench.synthetic.faults import DAMAGE, Fault
from asdbench.synthetic.machines import FAMILIES
from asdbench.synthetic.noise import KINDS
from asdbench.synthetic.signals import seeded

Size = Literal["tiny", "small", "bench", "full"]
Layout = Literal["2023", "2022"]

#: What a target domain changes: its attributes' target values (interpolated, extrapolated, a
#: new model or location), the microphone's place, the factory noise, or the specimen.
Shift = Literal["values", "mic", "noise", "unit"]


@dataclass(frozen=True)
class Attribute:
    """A named attribute (it appears in file names): its source and target values. The values
    of an operating point (``continuous``: a speed, a load) are numbers, each varied
    continuously from clip to clip within the value; the others name things (a pattern, a
    panel, a microphone location, a model)."""

    key: str
    source: tuple[str, ...]
    target: tuple[str, ...]
    continuous: bool


@dataclass(frozen=True)
class MachineType:
    name: str
    family: str
    attributes: tuple[Attribute, ...]
    shift: tuple[Shift, ...]
    #: Clip length at full size (DCASE2023's clips last 6 to 18 s).
    seconds: float
    one_based: bool = False
    #: Its eval test clips are unbalanced, as three of DCASE2023's eval sections are.
    unbalanced: bool = False

    def combinations(self, domain: str, shift: tuple[Shift, ...]) -> list[dict[str, str]]:
        """The attribute combinations of ``domain`` under ``shift``: the target's own values
        only when the shift is in its values; otherwise the source's."""
        own = domain == "target" and "values" in shift
        values = [a.target if own else a.source for a in self.attributes]
        keys = [a.key for a in self.attributes]
        return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def _a(key: str, source: str, target: str) -> Attribute:
    """An operating point: numeric values."""
    return Attribute(key, tuple(source.split()), tuple(target.split()), continuous=True)


def _named(key: str, source: str, target: str) -> Attribute:
    return Attribute(key, tuple(source.split()), tuple(target.split()), continuous=False)


#: Dev machine types, in order: "tiny" and "small" take the first two, "bench" six, "full"
#: seven. Eval types are other machines of the same families, as DCASE2023's are others.
DEV_TYPES = (
    MachineType(
        "rotor",
        "rotor",
        (_a("vel", "1200 1320 1440 1560 1680", "1800 1920"), _a("ld", "0.8 1.0", "0.8 1.0")),
        ("values",),
        10.0,
    ),
    MachineType(
        "gears",
        "gears",
        (
            _a("volt", "1.0 1.5 2.0 2.5 3.0", "1.25 1.75 2.75"),
            _a("wt", "0 50 100 150 200", "70 170"),
        ),
        ("values",),
        12.0,
        one_based=True,
    ),
    MachineType(
        "bearing",
        "bearing",
        (_a("vel", "8 11 14 17", "8 11 14 17"), _named("loc", "A B C D", "E F")),
        ("values",),
        10.0,
    ),
    MachineType(
        "stamper",
        "valve",
        (_named("pat", "00 01 02", "05"), _named("panel", "open bs-c", "open bs-c")),
        ("values",),
        16.0,
    ),
    MachineType(
        "fan",
        "blower",
        (
            _named("m-n", "W X Y", "W X Y"),
            _named("f-n", "A B", "D"),
            _named("n-lv", "L1 L2", "L1 L2"),
        ),
        ("values",),
        6.0,
    ),
    MachineType(
        "toycar",
        "toycar",
        (_named("car", "A B C", "E"), _a("spd", "2.8 3.1 3.4 3.7", "3.1 4.0")),
        ("values",),
        12.0,
    ),
    MachineType(
        "pump",
        "rotor",
        (
            _a("vel", "900 990 1080 1170 1260 1350", "900 990 1080 1170 1260 1350"),
            _a("ld", "0.5 0.8 1.1", "0.5 0.8 1.1"),
        ),
        ("mic",),
        10.0,
    ),
)
EVAL_TYPES = (
    MachineType(
        "valve",
        "valve",
        (_named("pat", "00 01 02 03", "00 01 02 03"), _named("panel", "open bs-c", "b-c s-c")),
        ("values",),
        16.0,
        unbalanced=True,
    ),
    MachineType(
        "blower",
        "blower",
        (_named("m-n", "V W", "V W"), _named("n-lv", "L1 L2 L3", "L4")),
        ("values",),
        8.0,
        one_based=True,
    ),
    MachineType(
        "turbine",
        "rotor",
        (_a("vel", "2400 2600 2800 3000 3200", "2500 2900 3100"), _a("ld", "0.7 1.0", "0.7 1.0")),
        ("values",),
        10.0,
        unbalanced=True,
    ),
    MachineType(
        "gearmotor",
        "gears",
        (
            _a("volt", "1.2 1.6 2.0 2.4", "1.2 1.6 2.0 2.4"),
            _a("wt", "0 40 80 120 160", "0 40 80 120 160"),
        ),
        ("unit",),
        12.0,
    ),
    MachineType(
        "spindle",
        "bearing",
        (_a("vel", "8 11 14 17 20", "5 12.5 18.5 23"), _named("loc", "A B", "C D")),
        ("values",),
        10.0,
        unbalanced=True,
    ),
    MachineType(
        "toytrain",
        "toycar",
        (_named("car", "B C D", "A E"), _a("spd", "2.9 3.3 3.7", "2.7 3.5")),
        ("values", "mic"),
        12.0,
    ),
    MachineType(
        "press",
        "valve",
        (_named("pat", "10 11 12", "10 11 12"), _named("panel", "s-c b-c", "s-c b-c")),
        ("noise",),
        14.0,
    ),
)
#: Sections of one type in the 2022 layout bring other shifts, as DCASE2022's sections do.
SECTION_SHIFTS: tuple[tuple[Shift, ...] | None, ...] = (None, ("noise",), ("mic",))


@dataclass(frozen=True)
class Counts:
    types: int
    train_source: int
    train_target: int
    #: Test clips per (domain, label) group of a balanced section.
    test_per_group: int


#: "tiny" is for tests (seconds), "small" the main job (minutes), "bench" the size on which the
#: benchmark is judged (1,500 training steps of 64 clips in 10 epochs), "full" DCASE2023's.
SIZES: dict[str, Counts] = {
    "tiny": Counts(2, 16, 4, 4),
    "small": Counts(4, 200, 10, 25),
    "bench": Counts(6, 790, 10, 50),
    "full": Counts(7, 990, 10, 50),
}
#: The clip length the embedder takes, by size; the files themselves last a tenth of their
#: type's full-size length below full size (at least 1 s).
DEFAULT_CLIP_SECONDS = {"tiny": 1.0, "small": 1.0, "bench": 1.0, "full": 10.0}
#: DCASE2023's unbalanced eval sections as shares of a balanced group (source normal, source
#: anomaly, target normal, target anomaly): bandsaw 67/40/60/33, grinder 107/27/36/30, shaker
#: 49/53/52/46 of 50.
UNBALANCED = ((1.34, 0.8, 1.2, 0.66), (2.14, 0.54, 0.72, 0.6), (0.98, 1.06, 1.04, 0.92))
#: The 2022 layout's sections of each partition.
SECTIONS_2022: dict[str, dict[str, tuple[str, ...]]] = {
    "tiny": {"dev": ("00",), "eval": ("03",)},
    "small": {"dev": ("00", "01"), "eval": ("03", "04")},
    "bench": {"dev": ("00", "01", "02"), "eval": ("03", "04", "05")},
    "full": {"dev": ("00", "01", "02"), "eval": ("03", "04", "05")},
}
#: Signal-to-noise ratio of a clip against its machine type's mean level, in dB (MIMII and
#: ToyADMOS2 mix at -6 to +6 dB); a noise-level attribute narrows it to its quarter.
SNR_DB = (-6.0, 6.0)
NOISE_LEVELS = {"L1": (3.0, 6.0), "L2": (0.0, 3.0), "L3": (-3.0, 0.0), "L4": (-6.0, -3.0)}
#: The factory noises of a noise attribute (``f-n``), as DCASE2022's fan names them.
FACTORY_NOISES = {
    "A": ("hum", "ventilation"),
    "B": ("impacts", "ventilation"),
    "C": ("traffic", "hum"),
    "D": ("bursts", "traffic"),
}
#: Relative spread of a numeric attribute's operating point within its value.
OPERATING_SPREAD = 0.015
#: Specimens of a machine type heard within one section (DCASE's units of one model).
SPECIMENS = 3


def machine_types(size: Size, layout: Layout = "2023") -> dict[str, list[MachineType]]:
    """The dev and eval machine types; in the 2022 layout the dev types serve both
    partitions (as DCASE2022)."""
    count = SIZES[size].types
    dev = list(DEV_TYPES[:count])
    return {"dev": dev, "eval": dev if layout == "2022" else list(EVAL_TYPES[:count])}


def sections_of(size: str, layout: str) -> dict[str, tuple[str, ...]]:
    if layout == "2022":
        return SECTIONS_2022[size]
    return {"dev": ("00",), "eval": ("00",)}


def section_shift(machine: MachineType, number: int) -> tuple[Shift, ...]:
    """The domain shift of a type's ``number``-th section (its own for the first)."""
    return SECTION_SHIFTS[number % len(SECTION_SHIFTS)] or machine.shift


def file_seconds(machine: MachineType, size: str) -> float:
    return machine.seconds if size == "full" else max(1.0, machine.seconds / 10)


def clips_per_test_group(size: str, unbalanced: int | None) -> dict[tuple[str, str], int]:
    """Test clips per (domain, label); ``unbalanced`` picks one of DCASE2023's imbalances."""
    per = SIZES[size].test_per_group
    groups = [(d, lab) for d in ("source", "target") for lab in ("normal", "anomaly")]
    if unbalanced is None:
        return dict.fromkeys(groups, per)
    shares = UNBALANCED[unbalanced % len(UNBALANCED)]
    return {group: max(1, round(per * share)) for group, share in zip(groups, shares, strict=True)}


@dataclass(frozen=True)
class ClipDraw:
    """Everything random about one clip, drawn from its seed before a sample is rendered."""

    domain: str
    attributes: dict[str, str]
    operating: dict[str, float | str]
    specimen: int
    fault: Fault | None
    noise: tuple[str, ...]
    snr_db: float
    mic: str


def spread_combinations(
    combos: list[dict[str, str]], count: int, rng: np.random.Generator
) -> list[dict[str, str]]:
    """``count`` combinations, every one as often as the others (to one), in random order:
    DCASE's source combinations are evenly filled."""
    order = [combos[i % len(combos)] for i in range(count)]
    return [order[i] for i in rng.permutation(count)]


def draw_clip(
    machine: MachineType,
    shift: tuple[Shift, ...],
    pool: tuple[str, ...],
    domain: str,
    label: str,
    attributes: dict[str, str],
    rng: np.random.Generator,
) -> ClipDraw:
    """The random make-up of one clip of ``machine`` with ``attributes``: its operating point
    around the attribute values, specimen, fault (an anomaly's kind and damage), background
    noise (one or two of the section's kinds; a noise shift brings one the source never has),
    signal-to-noise ratio and microphone."""
    family = FAMILIES[machine.family]
    operating: dict[str, float | str] = {}
    for attribute in machine.attributes:
        value = attributes[attribute.key]
        if attribute.continuous:
            operating[attribute.key] = float(value) * (1 + OPERATING_SPREAD * rng.standard_normal())
        else:
            operating[attribute.key] = value
    for key, spread in family.hidden:
        operating[key] = 1 + spread * rng.uniform(-1, 1)
    fault = None
    if label == "anomaly":
        fault = Fault(str(rng.choice(family.faults)), str(rng.choice(list(DAMAGE))))
    target = domain == "target"
    if target and "noise" in shift:
        unseen = [kind for kind in KINDS if kind not in pool]
        noise = (str(rng.choice(unseen)), *([str(rng.choice(pool))] if rng.random() < 0.5 else []))
    elif "f-n" in attributes:
        noise = FACTORY_NOISES[attributes["f-n"]]
    else:
        noise = tuple(str(k) for k in rng.choice(pool, size=int(rng.integers(1, 3)), replace=False))
    low, high = NOISE_LEVELS.get(attributes.get("n-lv", ""), SNR_DB)
    mic = attributes.get("loc", "0")
    if target and "mic" in shift:  # the microphone at another place
        mic = "1" if mic == "0" else f"{mic}, moved"
    return ClipDraw(
        domain,
        attributes,
        operating,
        int(rng.integers(SPECIMENS)),
        fault,
        noise,
        float(rng.uniform(low, high)),
        mic,
    )


def noise_pool(machine: MachineType, key: tuple[object, ...]) -> tuple[str, ...]:
    """The factory noise kinds heard at a section's source recordings: those its noise
    attribute names (``f-n``), else three drawn for the section."""
    named = [a.source for a in machine.attributes if a.key == "f-n"]
    if named:
        return tuple(sorted({kind for value in named[0] for kind in FACTORY_NOISES[value]}))
    rng = seeded(*key, "noise pool")
    return tuple(str(k) for k in rng.choice(list(KINDS), size=3, replace=False))
