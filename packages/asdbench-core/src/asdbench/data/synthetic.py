"""The built-in synthetic machine-sound dataset, written in the real DCASE2023 layout.

Four sound models (rotating harmonics, gear meshing with sidebands, impulsive valve cycles,
broadband fan noise with blade-pass tones) are instantiated as machine types. Each has two
attributes that change the sound; the target domain uses attribute values the source never has
and a different background noise. Anomalies (bearing impulses, imbalance, a missing harmonic,
a damaged tooth, detuning, rattle, rubbing) are mixed in at a random, moderate severity, so that
a good system scores well above chance but not perfectly.

With ``microphones=2`` the clips are stereo as DCASE2026 records them: the near microphone in
the left channel (the mono clip itself) and a far one in the right, which hears the machine
later, duller and quieter, in more background noise of its own.

Everything is seeded per clip from (seed, machine, split, domain, label, index), so the same
options always write the same files. The tree holds ``dev_data/`` (labelled test names),
``eval_data/`` (anonymised test names, shuffled) and ``ground_truth/`` in the official
evaluator's format, so the DCASE reader serves it like real data.

With ``layout=<dataset>`` (``--set dataset.layout=dcase2021``) the same clips are also laid out
as that dataset writes its year (its ``write_layout``: its folders, names and ground-truth
files), read back by that dataset and scored by its rule, so that every year's path runs on
data that needs no download.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Annotated, ClassVar, Literal

import numpy as np

from asdbench.contracts import ScoreRule
from asdbench.data.audio import to_int16
from asdbench.data.clips import ClipTable
from asdbench.data.datasets import (
    DCASE2022_RULE,
    DCASE2023_RULE,
    ClassAttributesOption,
    ClassDomainOption,
    ClassesOption,
    ClipSecondsOption,
    DcaseLayoutDataset,
    ResampleOption,
    SkipBadFilesOption,
    StereoOption,
)
from asdbench.data.ground_truth import Truth, write_ground_truth
from asdbench.errors import AsdbenchError, DataError
from asdbench.paths import atomic_directory, cache_dir

GENERATOR_VERSION = 7
MARKER = "asdbench-synthetic.json"
SAMPLE_RATE = 16000
Size = Literal["tiny", "small", "full"]


@dataclass(frozen=True)
class MachineType:
    """A machine type: a sound model, a variant (shifts its frequencies), its attributes
    (key -> (source values, target values)) and its anomaly kinds."""

    name: str
    family: str
    #: Shifts the sound's frequencies by 17 % per unit (sections of a 2022-layout type differ
    #: by a fraction of a unit).
    variant: float
    attributes: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]
    anomalies: tuple[str, ...]
    one_based: bool = False


_FAMILIES: dict[
    str, tuple[tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...], tuple[str, ...]]
] = {
    "rotor": (
        (
            ("load", ("0.4", "0.6", "0.8", "1.0", "1.2"), ("1.5", "1.7")),
            ("mic", ("1", "2"), ("1", "2")),
        ),
        ("bearing", "imbalance", "missing-harmonic"),
    ),
    "gears": (
        (
            ("volt", ("1.0", "1.3", "1.6", "1.9"), ("2.3", "2.6")),
            ("wt", ("0", "50", "100"), ("200",)),
        ),
        ("tooth", "detuning"),
    ),
    "valve": (
        (("pat", ("00", "01", "03"), ("02",)), ("panel", ("bs-c", "s-c"), ("b-c", "bs-b"))),
        ("rattle", "detuning"),
    ),
    "blower": (
        (("m-n", ("V", "W", "X"), ("Y", "Z")), ("n-lv", ("L1", "L2"), ("L3",))),
        ("imbalance", "rub", "missing-harmonic"),
    ),
}
_FAMILY_ORDER = ("rotor", "gears", "valve", "blower")
_DEV_NAMES = ("rotor", "gears", "compressor", "conveyor", "stamper", "pump", "spindle")
_EVAL_NAMES = ("valve", "blower", "turbine", "injector", "press", "extractor", "gearmotor")


Layout = Literal["2023", "2022"]
#: The sections of each partition in the 2022 layout (the 2023 layout has section 00 only).
SECTIONS_2022: dict[str, dict[str, tuple[str, ...]]] = {
    "tiny": {"dev": ("00",), "eval": ("03",)},
    "small": {"dev": ("00", "01"), "eval": ("03", "04")},
    "full": {"dev": ("00", "01", "02"), "eval": ("03", "04", "05")},
}


def machine_types(size: Size, layout: Layout = "2023") -> dict[str, list[MachineType]]:
    """dev and eval machine types: 2 + 2 for "tiny" and "small", 7 + 7 (as DCASE2023) for
    "full"; in the 2022 layout the dev machine types serve both partitions (as DCASE2022)."""
    count = 7 if size == "full" else 2
    found: dict[str, list[MachineType]] = {"dev": [], "eval": []}
    eval_names, eval_start = (_DEV_NAMES, 0) if layout == "2022" else (_EVAL_NAMES, 2)
    for partition, names, start in (("dev", _DEV_NAMES, 0), ("eval", eval_names, eval_start)):
        for position, name in enumerate(names[:count]):
            family = _FAMILY_ORDER[(start + position) % 4]
            attributes, anomalies = _FAMILIES[family]
            found[partition].append(
                MachineType(
                    name,
                    family,
                    position // 2,
                    attributes,
                    anomalies,
                    one_based=(name in ("gears", "blower")),
                )
            )
    return found


@dataclass(frozen=True)
class Counts:
    train_source: int
    train_target: int
    #: Test clips per (domain, label) group; one eval machine gets an unbalanced split.
    test_per_group: int


#: "tiny" is for tests (seconds to write and train), "small" the default demo, "full" DCASE scale.
SIZES: dict[str, Counts] = {
    "tiny": Counts(16, 4, 4),
    "small": Counts(100, 10, 20),
    "full": Counts(990, 10, 50),
}
DEFAULT_CLIP_SECONDS = {"tiny": 1.0, "small": 2.0, "full": 10.0}


def _rng(seed: int, *key: object) -> np.random.Generator:
    digest = hashlib.sha256(repr((seed, *key)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _colored_noise(rng: np.random.Generator, n: int, slope: float) -> np.ndarray:
    """Noise whose power falls as f^-slope (0: white, 1: pink, 2: brown), unit RMS."""
    spectrum = np.fft.rfft(rng.standard_normal(n))
    freqs = np.arange(len(spectrum), dtype=np.float64)
    freqs[0] = 1.0
    noise = np.fft.irfft(spectrum / freqs ** (slope / 2), n)
    return noise / (np.sqrt(np.mean(noise**2)) + 1e-12)


def _resonant_clicks(
    rng: np.random.Generator, times: np.ndarray, n: int, freq: float, decay_s: float
) -> np.ndarray:
    """Damped sinusoids at resonance ``freq`` starting at ``times`` (seconds)."""
    length = min(n, int(decay_s * 6 * SAMPLE_RATE))
    t = np.arange(length) / SAMPLE_RATE
    kernel = np.exp(-t / decay_s) * np.sin(2 * np.pi * freq * t)
    out = np.zeros(n + length)
    for start in (times * SAMPLE_RATE).astype(int):
        if 0 <= start < n:
            out[start : start + length] += kernel * rng.uniform(0.7, 1.3)
    return out[:n]


def _tone(t: np.ndarray, freq: float | np.ndarray, phase: float) -> np.ndarray:
    if np.ndim(freq):  # instantaneous frequency
        return np.sin(2 * np.pi * np.cumsum(freq) / SAMPLE_RATE + phase)
    return np.sin(2 * np.pi * freq * t + phase)


def _render(
    machine: MachineType,
    attributes: dict[str, str],
    anomaly: str | None,
    rng: np.random.Generator,
    n: int,
) -> np.ndarray:
    """One clip of ``machine`` (float, roughly unit scale) before background noise."""
    t = np.arange(n) / SAMPLE_RATE
    severity = rng.uniform(1.5, 2.5)
    jitter = 1 + rng.normal(0, 0.01)
    shift = 1 + 0.17 * machine.variant
    family = machine.family
    wave = np.zeros(n)
    if family == "rotor":
        f0 = 55 * shift * (1 + 0.35 * float(attributes["load"])) * jitter
        wander = f0 * (1 + 0.004 * np.sin(2 * np.pi * rng.uniform(0.1, 0.4) * t))
        missing = rng.integers(2, 5) if anomaly == "missing-harmonic" else None
        for k in range(1, 11):
            amp = 1 / k**0.8
            if k == missing:
                amp *= 1 - 0.85 * min(severity, 1.0)
            wave += amp * _tone(t, k * wander, rng.uniform(0, 2 * np.pi))
        if attributes["mic"] == "2":
            wave = np.convolve(wave, [0.5, 0.5], mode="same")
        if anomaly == "imbalance":
            wave *= 1 + 0.3 * severity * np.sin(2 * np.pi * f0 * t / 2 + rng.uniform(0, 6))
        if anomaly == "bearing":
            period = 1 / (f0 * 3.1)
            times = np.arange(rng.uniform(0, period), n / SAMPLE_RATE, period)
            wave += 0.5 * severity * _resonant_clicks(rng, times, n, 3100 * shift, 0.0006)
    elif family == "gears":
        shaft = 9 * shift * float(attributes["volt"]) * jitter
        mesh = 23 * shaft
        if anomaly == "detuning":
            mesh *= 1 + 0.04 * severity
        depth = 0.25 + 0.002 * float(attributes["wt"])
        envelope = 1 + depth * np.sin(2 * np.pi * shaft * t + rng.uniform(0, 6))
        for k, amp in ((1, 1.0), (2, 0.5), (3, 0.25)):
            wave += amp * _tone(t, k * mesh, rng.uniform(0, 6))
        wave *= envelope
        if anomaly == "tooth":
            times = np.arange(rng.uniform(0, 1 / shaft), n / SAMPLE_RATE, 1 / shaft)
            wave += 0.9 * severity * _resonant_clicks(rng, times, n, 1.7 * mesh, 0.002)
    elif family == "valve":
        pattern = {"00": (0.25,), "01": (0.2, 0.35), "02": (0.15, 0.15, 0.4), "03": (0.3, 0.12)}[
            attributes["pat"]
        ]
        resonance = {"bs-c": 2200, "s-c": 1600, "b-c": 2900, "bs-b": 1900}[
            attributes["panel"]
        ] * shift
        if anomaly == "detuning":
            resonance *= 1 + 0.02 * severity
        times, clock, step = [], rng.uniform(0, 0.1), 0
        while clock < n / SAMPLE_RATE:
            times.append(clock)
            clock += pattern[step % len(pattern)] * jitter
            step += 1
        wave += _resonant_clicks(rng, np.array(times), n, resonance, 0.004)
        wave += 0.3 * _resonant_clicks(rng, np.array(times) + 0.03, n, resonance / 2.3, 0.01)
        if anomaly == "rattle":
            count = int(rng.poisson(6 * severity * n / SAMPLE_RATE)) + 1
            rattle_times = rng.uniform(0, n / SAMPLE_RATE, count)
            wave += 0.1 * severity * _resonant_clicks(rng, rattle_times, n, 4100 * shift, 0.0015)
    elif family == "blower":
        rotation = {"V": 19, "W": 22, "X": 27, "Y": 33, "Z": 38}[attributes["m-n"]] * shift * jitter
        level = {"L1": 0.6, "L2": 0.9, "L3": 1.3}[attributes["n-lv"]]
        broadband = _colored_noise(rng, n, 0.8)
        wave += level * broadband
        blade_pass = 7 * rotation
        missing = 2 if anomaly == "missing-harmonic" else None
        for k in (1, 2, 3):
            amp = 0.8 / k
            if k == missing:
                amp *= 1 - 0.8 * min(severity, 1.0)
            wave += amp * _tone(t, k * blade_pass, rng.uniform(0, 6))
        if anomaly == "imbalance":
            wave *= 1 + 0.5 * severity * np.sin(2 * np.pi * rotation * t)
        if anomaly == "rub":
            bursts = (np.sin(2 * np.pi * rotation * t) > 0.93).astype(float)
            wave += 1.2 * severity * bursts * _colored_noise(rng, n, 0.0)
    return wave / (np.sqrt(np.mean(wave**2)) + 1e-12)


def render_clip(
    machine: MachineType,
    domain: str,
    attributes: dict[str, str],
    anomaly: str | None,
    seed_key: tuple[object, ...],
    n: int,
    microphones: int = 1,
) -> np.ndarray:
    """A finished clip: machine sound, domain-dependent background noise, level variation;
    ``[n]``, or ``[n, 2]`` with the far microphone on the right for ``microphones=2``."""
    rng = _rng(*seed_key)
    wave = _render(machine, attributes, anomaly, rng, n)
    if domain == "source":
        slope, snr_db = 1.0, 12.0
    else:  # the target domain: varied, darker and louder background noise
        slope, snr_db = rng.uniform(1.4, 1.8), rng.uniform(6.0, 9.0)
    noise = _colored_noise(rng, n, slope) * 10 ** (-snr_db / 20)
    gain = 0.1 * 10 ** (rng.uniform(-3, 3) / 20)
    near = gain * (wave + noise)
    if microphones == 1:
        return near
    return np.stack([near, gain * _far_microphone(wave, slope, snr_db, _rng(*seed_key, "far"))], 1)


#: The far microphone: the machine sound's delay (3 ms, about a metre) and level (-8 dB), and
#: how much lower its signal-to-noise ratio is than the near one's.
FAR_DELAY, FAR_LEVEL_DB, FAR_SNR_LOSS_DB = 48, -8.0, 9.0


def _far_microphone(
    wave: np.ndarray, slope: float, snr_db: float, rng: np.random.Generator
) -> np.ndarray:
    """The machine sound as a far microphone hears it: delayed, its highs damped (a 3-tap
    smoothing), quieter, in background noise of its own at a lower signal-to-noise ratio."""
    damped = np.convolve(wave, [0.25, 0.5, 0.25], mode="same")
    delayed = np.concatenate([np.zeros(FAR_DELAY), damped[:-FAR_DELAY]])
    level = 10 ** (FAR_LEVEL_DB / 20)
    noise = _colored_noise(rng, len(wave), slope) * 10 ** (-(snr_db - FAR_SNR_LOSS_DB) / 20)
    return level * delayed + noise


@dataclass(frozen=True)
class SynthesisPlan:
    """Everything that determines the written files (stored in the tree's marker file)."""

    size: str
    seed: int
    clip_seconds: float
    version: int = GENERATOR_VERSION
    layout: str = "2023"
    microphones: int = 1

    def fields(self) -> dict[str, object]:
        """What the marker file records: a mono plan as before microphones were an option, so
        trees written then are still found and reused."""
        fields = asdict(self)
        if self.microphones == 1:
            del fields["microphones"]
        return fields

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.fields(), sort_keys=True).encode()).hexdigest()[:12]


def _attribute_values(
    machine: MachineType, domain: str, rng: np.random.Generator
) -> dict[str, str]:
    return {
        key: str(rng.choice(source if domain == "source" else target))
        for key, source, target in machine.attributes
    }


def sections_of(plan: SynthesisPlan) -> dict[str, tuple[str, ...]]:
    """The sections of each partition."""
    if plan.layout == "2022":
        return SECTIONS_2022[plan.size]
    return {"dev": ("00",), "eval": ("00",)}


def _file_name(
    machine: MachineType,
    section: str,
    domain: str,
    split: str,
    label: str,
    index: int,
    attrs: dict[str, str],
) -> str:
    number = f"{index + 1 if machine.one_based else index:04d}"
    tokens = "_".join(f"{k}_{v}" for k, v in attrs.items())
    return f"section_{section}_{domain}_{split}_{label}_{number}_{tokens}.wav"


def write_tree(root: Path, plan: SynthesisPlan, *, progress: bool = True) -> None:
    """Write the whole dataset under ``root`` (which must not exist yet), atomically."""
    from tqdm.auto import tqdm

    counts = SIZES[plan.size]
    types = machine_types(plan.size, plan.layout)  # type: ignore[arg-type]
    sections = sections_of(plan)
    total = sum(
        (counts.train_source + counts.train_target + 4 * counts.test_per_group)
        * len(machines)
        * len(sections[partition])
        for partition, machines in types.items()
    )
    bar = tqdm(total=total, desc="writing synthetic dataset", unit="clip", disable=not progress)
    with atomic_directory(root) as out:
        for partition, machines in types.items():
            for position, machine in enumerate(machines):
                for number, section in enumerate(sections[partition]):
                    _write_section(
                        out,
                        plan,
                        partition,
                        # Sections of one type (2022 layout) sound alike but not the same.
                        replace(machine, variant=machine.variant + 0.3 * number),
                        section,
                        unbalanced=partition == "eval" and position == 0 and number == 0,
                        on_clip=bar.update,
                    )
        (out / MARKER).write_text(json.dumps(plan.fields(), indent=1))
    bar.close()


def _test_counts(per: int, unbalanced: bool) -> dict[tuple[str, str], int]:
    """Test clips per (domain, label); an unbalanced section as the real 2023 eval set has."""
    if not unbalanced:
        return dict.fromkeys(
            [(d, lab) for d in ("source", "target") for lab in ("normal", "anomaly")], per
        )
    return {
        ("source", "normal"): round(per * 1.34),
        ("source", "anomaly"): round(per * 0.8),
        ("target", "normal"): round(per * 1.2),
        ("target", "anomaly"): round(per * 0.66),
    }


def _write_section(
    out: Path,
    plan: SynthesisPlan,
    partition: str,
    machine: MachineType,
    section: str,
    *,
    unbalanced: bool,
    on_clip: Callable[[], object],
) -> None:
    """One section of a machine type: training clips, test clips (labelled names in dev,
    anonymised ones with ground truth in eval) and its attribute CSV."""
    import soundfile

    counts = SIZES[plan.size]
    n = round(plan.clip_seconds * SAMPLE_RATE)
    folder = out / f"{partition}_data" / machine.name
    (folder / "train").mkdir(parents=True, exist_ok=True)
    (folder / "test").mkdir(exist_ok=True)
    groups = [
        ("source", "train", "normal", counts.train_source),
        ("target", "train", "normal", counts.train_target),
        *(
            (domain, "test", label, count)
            for (domain, label), count in _test_counts(counts.test_per_group, unbalanced).items()
        ),
    ]
    # The 2023 layout keeps the keys it always had, so its files stay the same.
    where = (
        (partition, machine.name) if plan.layout == "2023" else (partition, machine.name, section)
    )
    csv_rows, test_files = [], []
    for domain, split, label, count in groups:
        for index in range(count):
            key = (plan.seed, *where, split, domain, label, index)
            choice_rng = _rng(*key, "choices")
            attrs = _attribute_values(machine, domain, choice_rng)
            anomaly = str(choice_rng.choice(machine.anomalies)) if label == "anomaly" else None
            wave = to_int16(render_clip(machine, domain, attrs, anomaly, key, n, plan.microphones))
            name = _file_name(machine, section, domain, split, label, index, attrs)
            if split == "train" or partition == "dev":
                soundfile.write(str(folder / split / name), wave, SAMPLE_RATE, subtype="PCM_16")
                values = [v for pair in attrs.items() for v in pair]
                csv_rows.append(",".join([f"{machine.name}/{split}/{name}", *values]))
            else:
                test_files.append((name, wave, Truth(label, domain)))
            on_clip()
    columns = ",".join(f"d{i + 1}p,d{i + 1}v" for i in range(len(machine.attributes)))
    (folder / f"attributes_{section}.csv").write_text(
        f"file_name,{columns}\n" + "".join(r + "\n" for r in csv_rows)
    )
    if test_files:
        shuffle = (plan.seed, machine.name) if plan.layout == "2023" else (plan.seed, *where)
        _write_anonymised(out, folder, machine.name, section, test_files, shuffle)


def _write_anonymised(
    root: Path,
    folder: Path,
    machine: str,
    section: str,
    files: list[tuple[str, np.ndarray, Truth]],
    shuffle: tuple[object, ...],
) -> None:
    """Eval test clips under shuffled anonymised names; their truth goes to ground_truth/."""
    import soundfile

    order = _rng(*shuffle, "shuffle").permutation(len(files))
    rows = []
    for number, position in enumerate(order):
        labelled, wave, truth = files[position]
        anonymous = f"section_{section}_{number:04d}.wav"
        soundfile.write(str(folder / "test" / anonymous), wave, SAMPLE_RATE, subtype="PCM_16")
        rows.append((anonymous, truth, labelled))
    write_ground_truth(root / "ground_truth", machine, section, rows)


def ensure_tree(root: Path | None, plan: SynthesisPlan, *, progress: bool = True) -> Path:
    """The synthetic tree for ``plan``: reused when already written, else written now."""
    root = Path(root) if root is not None else cache_dir() / "synthetic" / plan.key()
    marker = root / MARKER
    if marker.exists():
        written = {"layout": "2023", **json.loads(marker.read_text())}  # older trees: 2023
        if written != plan.fields():
            raise DataError(
                f"{root}: holds a synthetic dataset written with other options ({written}); "
                "choose another --data-dir"
            )
        return root
    if root.exists() and any(root.iterdir()):
        raise DataError(f"{root}: exists and is not a synthetic dataset; choose an empty folder")
    if root.exists():
        root.rmdir()
    try:
        write_tree(root, plan, progress=progress)
    except (OSError, RuntimeError) as exc:  # a full disk, a file-size limit (soundfile's
        # errors are RuntimeErrors): atomic_directory has removed the partial tree
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "a write failed"
        raise DataError(
            f"{root}: the synthetic dataset cannot be written ({reason}; is the disk full?); "
            "free space, or choose another --data-dir or ASDBENCH_CACHE_DIR"
        ) from exc
    return root


def _emitter(layout: str | None, **options: object) -> DcaseLayoutDataset | None:
    """The dataset whose layout the synthetic clips are also written in, built with the
    synthetic dataset's options; a ``ValueError`` (a refused option) when it cannot be."""
    if layout is None:
        return None
    from asdbench.plugins.registry import create

    try:
        emitter = create("dataset", layout, **options)
    except AsdbenchError as exc:
        raise ValueError(f"layout {layout!r}: {exc}") from exc
    if not isinstance(emitter, DcaseLayoutDataset) or isinstance(emitter, SyntheticDataset):
        raise ValueError(
            f"layout {layout!r}: not a dataset read from a DCASE tree of its own (dcase2020 ... "
            "dcase2026, or a DcaseLayoutDataset of a plugin)"
        )
    return emitter


class SyntheticDataset(DcaseLayoutDataset):
    """Synthetic machine sounds in the DCASE2023 layout, generated on first use."""

    name: ClassVar[str] = "synthetic"
    default_clip_seconds: ClassVar[float] = 2.0
    official_score: ClassVar[ScoreRule] = DCASE2023_RULE
    how_to_obtain: ClassVar[str] = "It is generated on first use (or with `asdbench data synth`)."
    generator_layout: ClassVar[Layout] = "2023"
    #: Its own tree's ground truth is in the 2022-2026 form, whichever layout it also emits.
    ground_truth_files: ClassVar[str] = "section"  # type: ignore[misc]

    def __init__(
        self,
        *,
        size: Annotated[
            Size, "tiny (tests), small (the main job) or full (DCASE's clip counts)"
        ] = "small",
        seed: Annotated[int, "Seed of the generated sounds (another seed, another dataset)"] = 0,
        microphones: Annotated[
            int,
            "1: mono clips; 2: stereo as DCASE2026, the near microphone left, a far one right "
            "(read as the stereo option says: both keeps the two channels)",
        ] = 1,
        clip_seconds: ClipSecondsOption = None,
        classes: ClassesOption = "train",
        class_attributes: ClassAttributesOption = True,
        class_domain: ClassDomainOption = True,
        stereo: StereoOption = "mean",
        resample: ResampleOption = True,
        skip_bad_files: SkipBadFilesOption = False,
        layout: Annotated[
            str | None,
            "Also lay the clips out as this dataset writes its year (dcase2020 ... dcase2026) and "
            "score them by its rule; default: the synthetic layout",
        ] = None,
    ) -> None:
        if size not in SIZES:
            raise ValueError(f"size must be one of {', '.join(SIZES)}, got {size!r}")
        if microphones not in (1, 2):
            raise ValueError(f"microphones must be 1 or 2, got {microphones}")
        if clip_seconds is None:
            clip_seconds = DEFAULT_CLIP_SECONDS[size]
        super().__init__(
            clip_seconds=clip_seconds,
            classes=classes,
            class_attributes=class_attributes,
            class_domain=class_domain,
            stereo=stereo,
            resample=resample,
            skip_bad_files=skip_bad_files,
        )
        self.plan = SynthesisPlan(
            size, seed, self.clip_seconds, layout=self.generator_layout, microphones=microphones
        )
        types = machine_types(size, self.generator_layout)
        self.machine_types = {p: tuple(m.name for m in ms) for p, ms in types.items()}
        self.sections = sections_of(self.plan)
        self.emitter = _emitter(
            layout,
            clip_seconds=self.clip_seconds,
            classes=classes,
            class_attributes=class_attributes,
            class_domain=class_domain,
            resample=resample,
            skip_bad_files=skip_bad_files,
        )
        if self.emitter is not None:
            self.official_score = self.emitter.official_score

    def data_dir(self, data_dir: Path | None, *, progress: bool = True) -> Path:
        return ensure_tree(data_dir, self.plan, progress=progress)

    def load(
        self,
        data_dir: Path | None = None,
        *,
        ground_truth: Path | None = None,
        progress: bool = True,
    ) -> ClipTable:
        root = self.data_dir(data_dir, progress=progress)
        table = super().load(
            root, ground_truth=ground_truth or root / "ground_truth", progress=progress
        )
        if self.emitter is None:
            return table
        emitter = self.emitter
        target = root.parent / f"{root.name}-{emitter.name}"
        if not (target / MARKER).exists():
            with atomic_directory(target) as folder:
                emitter.write_layout(table, folder)
                (folder / MARKER).write_text(json.dumps({"layout": emitter.name}))
        emitted = emitter.load(target, ground_truth=target / "ground_truth", progress=progress)
        # The clips are this dataset's, its machine types and sections not the year's.
        theirs = set(emitter.check(emitted))
        problems = [p for p in emitted.problems if p not in theirs] + self.check(emitted)
        clips = [replace(c, dataset=self.name) for c in emitted]
        return ClipTable(clips, emitted.classes, problems)


class Synthetic2022Dataset(SyntheticDataset):
    """Synthetic machine sounds in the DCASE2022 layout: the same machine types in dev and
    eval, told apart by section (00-02 dev, 03-05 eval at full size), scored by the 2022 rule.
    Beside ``synthetic`` it gives the paper's two-dataset Table 1 on synthetic data."""

    name: ClassVar[str] = "synthetic2022"
    official_score: ClassVar[ScoreRule] = DCASE2022_RULE
    generator_layout: ClassVar[Layout] = "2022"
