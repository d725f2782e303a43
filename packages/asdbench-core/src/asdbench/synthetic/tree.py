"""Writing the synthetic dataset as a DCASE tree: ``dev_data/`` with labelled test names,
``eval_data/`` with anonymised, shuffled ones, and ``ground_truth/`` in the official
evaluator's format. Every clip is seeded from (seed, partition, machine[, section], split,
domain, label, index), so the same plan always writes the same bytes; a tree is written once,
atomically, and reused while its plan (recorded in its marker file) is the same."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from asdbench.data.audio import to_int16
from asdbench.data.ground_truth import Truth, write_ground_truth
from asdbench.errors import DataError
from asdbench.files import atomic_directory
from asdbench.paths import cache_dir
from asdbench.synthetic.design import (
    SIZES,
    MachineType,
    clips_per_test_group,
    file_seconds,
    machine_types,
    section_shift,
    sections_of,
    spread_combinations,
)
from asdbench.synthetic.mixing import SectionSound, Stems
from asdbench.synthetic.signals import SAMPLE_RATE, seeded

#: Bumped whenever the same plan would write other audio: trees of another version are not
#: reused. 8: the generator rebuilt from the documented properties of the real data.
GENERATOR_VERSION = 9
MARKER = "asdbench-synthetic.json"


@dataclass(frozen=True)
class SynthesisPlan:
    """Everything that determines the written files (stored in the tree's marker file)."""

    size: str
    seed: int
    version: int = GENERATOR_VERSION
    layout: str = "2023"
    microphones: int = 1

    def fields(self) -> dict[str, object]:
        return asdict(self)

    def key(self) -> str:
        return hashlib.sha256(json.dumps(self.fields(), sort_keys=True).encode()).hexdigest()[:12]

    def sections(self) -> dict[str, tuple[str, ...]]:
        return sections_of(self.size, self.layout)

    def clips(self) -> int:
        """How many clips the tree holds."""
        counts = SIZES[self.size]
        total = 0
        for partition, machines in machine_types(self.size, self.layout).items():  # type: ignore[arg-type]
            for position in range(len(machines)):
                for number, _ in enumerate(self.sections()[partition]):
                    tests = clips_per_test_group(
                        self.size, _imbalance(partition, machines, position, number)
                    )
                    total += counts.train_source + counts.train_target + sum(tests.values())
        return total


def _imbalance(
    partition: str, machines: list[MachineType], position: int, number: int
) -> int | None:
    """Which of DCASE2023's imbalances an eval section's test clips take, if any: the first
    unbalanced type the first, and so on."""
    machine = machines[position]
    if partition != "eval" or not machine.unbalanced or number:
        return None
    return sum(m.unbalanced for m in machines[:position])


def write_tree(root: Path, plan: SynthesisPlan, *, progress: bool = True) -> None:
    """Write the whole dataset under ``root`` (which must not exist yet), atomically."""
    from tqdm.auto import tqdm

    types = machine_types(plan.size, plan.layout)  # type: ignore[arg-type]
    bar = tqdm(
        total=plan.clips(), desc="writing synthetic dataset", unit="clip", disable=not progress
    )
    with atomic_directory(root) as out:
        for partition, machines in types.items():
            for machine in machines:
                for number in range(len(plan.sections()[partition])):
                    _write_section(out, plan, partition, machine, number, bar.update)
        (out / MARKER).write_text(json.dumps(plan.fields(), indent=1))
    bar.close()


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


@dataclass(frozen=True)
class SectionClip:
    """One clip of a section as the tree holds it: where it belongs, its attribute values and
    its stems (``stems.clip()`` is what its file holds, before 16-bit rounding)."""

    domain: str
    split: str
    label: str
    index: int
    attributes: dict[str, str]
    stems: Stems


def section_clips(
    plan: SynthesisPlan, partition: str, machine: MachineType, number: int
) -> Iterator[SectionClip]:
    """The clips of the ``number``-th section of ``machine`` in ``partition``, rendered in the
    order the tree writes them: source and target training clips, then the test groups."""
    counts = SIZES[plan.size]
    section = plan.sections()[partition][number]
    machines = machine_types(plan.size, plan.layout)[partition]  # type: ignore[arg-type]
    n = round(file_seconds(machine, plan.size) * SAMPLE_RATE)
    where = (plan.seed, partition, machine.name, section)
    shift = section_shift(machine, number)
    sound = SectionSound(machine, shift, where)
    imbalance = _imbalance(partition, machines, machines.index(machine), number)
    tests = clips_per_test_group(plan.size, imbalance)
    groups = [
        ("source", "train", "normal", counts.train_source),
        ("target", "train", "normal", counts.train_target),
        *((domain, "test", label, count) for (domain, label), count in tests.items()),
    ]
    for domain, split, label, count in groups:
        combos = spread_combinations(
            machine.combinations(domain, shift), count, seeded(*where, split, domain, label)
        )
        for index, attrs in enumerate(combos):
            rng = seeded(*where, split, domain, label, index)
            draw = sound.draw(domain, label, attrs, rng)
            stems = sound.render(draw, n, rng, plan.microphones)
            yield SectionClip(domain, split, label, index, attrs, stems)


def _write_section(
    out: Path,
    plan: SynthesisPlan,
    partition: str,
    machine: MachineType,
    number: int,
    on_clip: Callable[[], object],
) -> None:
    """One section of a machine type: training clips, test clips (labelled names in dev,
    anonymised ones with ground truth in eval) and its attribute CSV."""
    import soundfile

    section = plan.sections()[partition][number]
    folder = out / f"{partition}_data" / machine.name
    (folder / "train").mkdir(parents=True, exist_ok=True)
    (folder / "test").mkdir(exist_ok=True)
    csv_rows, test_files = [], []
    for clip in section_clips(plan, partition, machine, number):
        wave = to_int16(clip.stems.clip())
        name = _file_name(
            machine, section, clip.domain, clip.split, clip.label, clip.index, clip.attributes
        )
        if clip.split == "train" or partition == "dev":
            soundfile.write(str(folder / clip.split / name), wave, SAMPLE_RATE, subtype="PCM_16")
            values = [v for pair in clip.attributes.items() for v in pair]
            csv_rows.append(",".join([f"{machine.name}/{clip.split}/{name}", *values]))
        else:
            test_files.append((name, wave, Truth(clip.label, clip.domain)))
        on_clip()
    columns = ",".join(f"d{i + 1}p,d{i + 1}v" for i in range(len(machine.attributes)))
    (folder / f"attributes_{section}.csv").write_text(
        f"file_name,{columns}\n" + "".join(r + "\n" for r in csv_rows)
    )
    if test_files:
        shuffle = (plan.seed, partition, machine.name, section)
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

    order = seeded(*shuffle, "shuffle").permutation(len(files))
    rows = []
    for number, position in enumerate(order):
        labelled, wave, truth = files[position]
        anonymous = f"section_{section}_{number:04d}.wav"
        soundfile.write(str(folder / "test" / anonymous), wave, SAMPLE_RATE, subtype="PCM_16")
        rows.append((anonymous, truth, labelled))
    write_ground_truth(root / "ground_truth", machine, section, rows)


def tree_root(root: Path | None, plan: SynthesisPlan) -> Path:
    """Where the tree for ``plan`` is: ``root``, or its folder in the cache."""
    return Path(root) if root is not None else cache_dir() / "synthetic" / plan.key()


def ensure_tree(root: Path | None, plan: SynthesisPlan, *, progress: bool = True) -> Path:
    """The synthetic tree for ``plan``: reused when already written, else written now."""
    root = tree_root(root, plan)
    marker = root / MARKER
    if marker.exists():
        written = json.loads(marker.read_text())
        if written != plan.fields():
            raise DataError(
                f"{root}: holds a synthetic dataset written with other options or by another "
                f"generator version ({written}); choose another --data-dir"
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
