"""The dataset interface: a dataset in the DCASE Task 2 layout, read by the core reader.

Dataset plugins (the DCASE years, the built-in synthetic set) subclass ``DcaseLayoutDataset``
with their facts: machine types and sections per partition, clip length, where the data comes
from and which official score applies. The constructor's keyword arguments are the dataset's
options (``--set dataset.classes=train+dev-test``).
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from asdbench.data.audio import AudioFormat, Stereo
from asdbench.data.clips import ClassScheme, Clip, ClipTable
from asdbench.data.filenames import ClipName, parse_clip_name
from asdbench.data.ground_truth import Truth, write_ground_truth
from asdbench.data.layout import SPLIT_FOLDERS, SplitFolders, read_tree
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import DataError

ClassSource = Literal["train", "train+dev-test"]

# The options every dataset built on DcaseLayoutDataset has, each documented once; a subclass
# with options of its own takes ``**options`` and passes them on, which gives it these too.
ClipSecondsOption = Annotated[
    float | None,
    "Clip length in seconds, 0.25 to 120 (default: the year's); clips are tiled or cropped to it",
]
ClassesOption = Annotated[
    ClassSource, "Auxiliary classes from training clips, or also dev-test ones (reference code)"
]
ClassAttributesOption = Annotated[bool, "Attributes from file names are part of a clip's class"]
ClassDomainOption = Annotated[bool, "The domain (source/target) is part of a clip's class"]
StereoOption = Annotated[
    Stereo,
    "Several channels: keep the first or the second, average them, keep both (for an "
    "embedder that takes two), or refuse",
]
ResampleOption = Annotated[bool, "Resample other rates to the dataset's; false: refuse them"]
SkipBadFilesOption = Annotated[
    bool, "Leave out (and list) unreadable, truncated or non-finite files instead of failing"
]
MachinesOption = Annotated[
    str | None,
    "Only these machine types, joined with + (fan+valve): part of the dataset, its score "
    "labelled as such everywhere; default: all of them, and a tree that lacks some is refused",
]
#: The rules of the layouts core reads itself (the synthetic datasets write them): DCASE 2022
#: and 2023 pool every section's AUC (source), AUC (target) and pAUC. Other years' rules live
#: in their dataset plugins.
DCASE2022_RULE = ScoreRule("dcase2022")
DCASE2023_RULE = ScoreRule("dcase2023")
#: The least of the longest clip a dataset accepts (see ``max_clip_seconds``).
MAX_CLIP_SECONDS = 120.0
#: The clip lengths a run may ask for: a quarter second holds any embedder's STFT window;
#: DCASE's longest clips are 18 s, and an embedder's size grows with the length (1e6 s would
#: need a 64 GB layer).
CLIP_SECONDS = (0.25, MAX_CLIP_SECONDS)


class DcaseLayoutDataset:
    """Base class of every dataset; subclasses set the class attributes below."""

    name: ClassVar[str]
    #: Folder name in the nttcslab baseline layout (``data/<year_folder>/dev_data/raw``).
    year_folder: ClassVar[str | None] = None
    sample_rate: ClassVar[int] = 16000
    default_clip_seconds: ClassVar[float] = 10.0
    #: The rule of the official score (each year's plugin gives its own).
    official_score: ClassVar[ScoreRule] = DCASE2022_RULE
    #: Expected machine types and sections per partition ("dev", "eval"); empty: not checked.
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {}
    sections: ClassVar[dict[str, tuple[str, ...]]] = {}
    #: How a user obtains the data, shown when no --data-dir is given.
    how_to_obtain: ClassVar[str] = ""
    #: The folders of a machine folder that hold clips: folder -> (split, the domain of all
    #: its clips or None when the names say). 2021 adds ``source_test`` and ``target_test``.
    split_folders: ClassVar[SplitFolders] = SPLIT_FOLDERS

    def __init__(
        self,
        *,
        clip_seconds: ClipSecondsOption = None,
        classes: ClassesOption = "train",
        class_attributes: ClassAttributesOption = True,
        class_domain: ClassDomainOption = True,
        stereo: StereoOption = "mean",
        resample: ResampleOption = True,
        skip_bad_files: SkipBadFilesOption = False,
        machines: MachinesOption = None,
    ) -> None:
        if clip_seconds is not None and not (
            math.isfinite(clip_seconds) and CLIP_SECONDS[0] <= clip_seconds <= CLIP_SECONDS[1]
        ):
            raise ValueError(
                f"clip_seconds must be between {CLIP_SECONDS[0]:g} and {CLIP_SECONDS[1]:g}, "
                f"got {clip_seconds}"
            )
        if classes not in ("train", "train+dev-test"):
            raise ValueError(f"classes must be 'train' or 'train+dev-test', got {classes!r}")
        self.clip_seconds = clip_seconds or self.default_clip_seconds
        self.scheme = ClassScheme(class_attributes, class_domain, classes == "train+dev-test")
        self.audio_format = AudioFormat(self.sample_rate, resample, stereo)
        self.skip_bad_files = skip_bad_files
        self.subset = self._subset(machines)
        if self.subset:
            self.official_score = replace(self.official_score, subset=self.subset)

    def _subset(self, machines: str | None) -> tuple[str, ...]:
        """The machine types of ``machines`` (``fan+valve``), each one of the dataset's."""
        if machines is None:
            return ()
        names = [name.strip() for name in machines.split("+")]
        if not all(names) or len(set(names)) != len(names):
            raise ValueError(f"machines must be machine types joined with +, got {machines!r}")
        known = [m for types in self.machine_types.values() for m in types]
        unknown = [name for name in names if known and name not in known]
        if unknown:
            raise ValueError(
                f"machines: {', '.join(unknown)} not a {self.name} machine type "
                f"({', '.join(dict.fromkeys(known))})"
            )
        return tuple(names)

    @property
    def max_clip_seconds(self) -> float:
        """The longest clip accepted: a file reported longer has a damaged header (DCASE
        clips last 6 to 18 s), and would decode to more samples than memory holds."""
        return max(MAX_CLIP_SECONDS, 10 * self.clip_seconds)

    @property
    def ground_truth_files(self) -> str:
        """The form of the ground truth its trees hold: its rule's evaluator's."""
        return self.official_score.files

    @property
    def clip_samples(self) -> int:
        """The length every clip is tiled and cropped to for the embedder."""
        return round(self.clip_seconds * self.sample_rate)

    def data_dir(self, data_dir: Path | None, *, progress: bool = True) -> Path:
        """The folder to read; a dataset without a default needs ``--data-dir``. ``progress``:
        whether preparing it (a generated dataset) may show a progress bar."""
        if data_dir is None:
            raise DataError(f"dataset {self.name!r} needs --data-dir. {self.how_to_obtain}".strip())
        return Path(data_dir)

    def written(self, data_dir: Path | None) -> Path | None:
        """The folder to read if its data is there already (``--dry-run`` checks it without
        preparing anything); a dataset that generates its data returns None until it has."""
        return self.data_dir(data_dir, progress=False)

    def load(
        self,
        data_dir: Path | None = None,
        *,
        ground_truth: Path | None = None,
        progress: bool = True,
        check: bool = True,
    ) -> ClipTable:
        """Read the tree into a clip table with auxiliary classes. A tree that is not this
        dataset's (:meth:`check`: machine types or sections it does not have, or lacks) is a
        ``DataError`` naming what differs, unless ``check`` is false (another dataset's clips
        laid out in this one's layout); then the differences are listed as problems."""
        root = self.data_dir(data_dir, progress=progress)
        table = read_tree(
            root,
            dataset=self.name,
            year_folder=self.year_folder,
            ground_truth=ground_truth,
            skip_bad_files=self.skip_bad_files,
            max_seconds=self.max_clip_seconds,
            split_folders=self.split_folders,
            parse_name=self.parse_name,
            truth_files=self.ground_truth_files,
            audio_format=self.audio_format,
        )
        if self.subset:
            table = ClipTable(
                [c for c in table if c.machine in self.subset], table.classes, table.problems
            )
        table = self.amend(table)
        differences = self.check(table)
        if differences and check:
            raise DataError(
                f"{root} is not the whole {self.name} dataset: {first_differences(differences)}"
                "; point --data-dir at its tree, or run on part of it with --set "
                "dataset.machines=TYPE+TYPE"
            )
        table.problems.extend(differences)
        return table.with_classes(self.scheme)

    def parse_name(self, name: str) -> ClipName:
        """What a clip's file name says; a ``DataError`` naming it if it is not one of the
        year's forms. By default the 2021-2026 forms (:func:`asdbench.parse_clip_name`)."""
        return parse_clip_name(name)

    def write_layout(self, table: ClipTable, target: Path) -> Path:
        """Write the clips of ``table`` (their labels and domains known) as a tree in this
        dataset's layout under ``target``, the audio linked, not copied; return the folder of
        its ground truth, in the form of its evaluator. The synthetic dataset emits any year's
        layout through it (``--set dataset.layout=dcase2021``). By default the 2022-2026 plain
        layout: labelled names, eval test clips anonymised as ``section_<SS>_<NNNN>.wav``."""
        truth: dict[tuple[str, str], list[tuple[str, Truth, str]]] = {}
        indices = table.numbered("partition", "machine", "section", "domain", "split", "label")
        for clip, index in zip(table, indices, strict=True):
            folder = target / f"{clip.partition}_data" / clip.machine / clip.split
            tail = clip.attribute_tokens()
            labelled = (
                f"section_{clip.section}_{clip.domain}_{clip.split}_{clip.label}_{index:04d}"
                f"{'_' + tail if tail else ''}.wav"
            )
            name = labelled
            if clip.partition == "eval" and clip.split == "test":
                rows = truth.setdefault((clip.machine, clip.section), [])
                name = f"section_{clip.section}_{len(rows):04d}.wav"
                rows.append((name, Truth(clip.label, clip.domain), labelled))
            link_clip(clip, folder / name)
        for (machine, section), rows in truth.items():
            write_ground_truth(target / "ground_truth", machine, section, rows)
        return target / "ground_truth"

    def amend(self, table: ClipTable) -> ClipTable:
        """A year's corrections to what its files say, made before the classes are formed
        (attributes published after the challenge, say); by default the table as read."""
        return table

    def partition_of(self, machine: str, section: str) -> str | None:
        """The partition ("dev", "eval") that section ``section`` of ``machine`` belongs to, by
        the dataset's facts; None when the facts do not place it in exactly one."""
        found = [
            partition
            for partition in ("dev", "eval")
            if machine in self.machine_types.get(partition, (machine,))
            and section in self.sections.get(partition, (section,))
            and (partition in self.machine_types or partition in self.sections)
        ]
        return found[0] if len(found) == 1 else None

    def check(self, table: ClipTable) -> list[str]:
        """Where the tree differs from the dataset's facts, so that its score would be another
        dataset's or part of this one's: :meth:`check_sections` on its clips' sections and,
        where a partition has test clips, a section with training clips but none to test."""
        found = {(clip.partition, clip.machine, clip.section) for clip in table}
        return [*self.check_sections(found), *self._untested(table)]

    def check_sections(self, found: Iterable[tuple[str, str, str]]) -> list[str]:
        """Where the (partition, machine type, section) triples ``found`` (a tree's, or a
        ground-truth folder's) differ from the dataset's facts: in each partition they have,
        machine types the dataset does not have, or lacks (of ``machines`` when a subset is
        asked for), and sections it does not have, or lacks for a machine type."""
        found = set(found)
        problems = []
        for partition, listed in self.machine_types.items():
            machines = {m for p, m, _ in found if p == partition}
            if not machines:
                continue
            expected = [m for m in listed if not self.subset or m in self.subset]
            for machine in sorted(machines - set(expected)):
                problems.append(f"{machine}: not a {self.name} {partition} machine type")
            for machine in sorted(set(expected) - machines):
                problems.append(f"{machine}: {self.name} {partition} machine type not found")
        for partition, expected_sections in self.sections.items():
            found_pairs = {(m, s) for p, m, s in found if p == partition}
            for section in sorted({s for _, s in found_pairs} - set(expected_sections)):
                problems.append(f"section {section}: not a {self.name} {partition} section")
            for machine in sorted({m for m, _ in found_pairs}):
                for section in expected_sections:
                    if (machine, section) not in found_pairs:
                        problems.append(f"{machine} section {section}: not found ({partition})")
        return problems

    @staticmethod
    def _untested(table: ClipTable) -> list[str]:
        """Sections with training clips but no test clips, in a partition with test clips: the
        partition's score would leave them out."""
        problems = []
        for partition in ("dev", "eval"):
            clips = [c for c in table if c.partition == partition]
            tested = {(c.machine, c.section) for c in clips if c.split == "test"}
            if not tested:
                continue
            trained = {(c.machine, c.section) for c in clips if c.split == "train"}
            for machine, section in sorted(trained - tested):
                problems.append(f"{machine} section {section}: no test clips ({partition})")
        return problems


def first_differences(differences: list[str]) -> str:
    """The first differences from :meth:`DcaseLayoutDataset.check` and how many there are,
    for a one-line error."""
    shown = "; ".join(differences[:6]) + ("; ..." if len(differences) > 6 else "")
    return f"{shown} ({len(differences)} differences)"


def link_clip(clip: Clip, path: Path) -> None:
    """Put ``clip``'s audio at ``path``: a hard link where the file system allows, else a
    copy (an emitted layout costs no second copy of the audio)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        raise DataError(f"{path}: two clips would have this name")
    try:
        os.link(clip.path, path)
    except OSError:  # another file system, or one without hard links
        shutil.copyfile(clip.path, path)
