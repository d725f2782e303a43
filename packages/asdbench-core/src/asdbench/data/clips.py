"""The clip table: one typed row per clip, the only thing later stages read about the data.

Every column is parsed once, by the dataset reader; no stage re-parses file names.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

Partition = Literal["dev", "eval"]
Domain = Literal["source", "target", "unknown"]
#: ``supplemental``: clips recorded apart (2025: the machine alone, the noise alone); never
#: trained on or scored, unless a component asks for them by this split.
Split = Literal["train", "test", "supplemental"]
Label = Literal["normal", "anomaly", "unknown"]

#: The columns of ``asdbench data table`` (and of ``ClipTable.to_records``), in order.
TABLE_COLUMNS = (
    "file",
    "partition",
    "machine",
    "section",
    "domain",
    "split",
    "label",
    "attributes",
    "class",
)


@dataclass(frozen=True)
class Clip:
    """One audio clip and everything known about it."""

    path: Path
    dataset: str
    partition: Partition
    machine: str
    section: str
    domain: Domain
    split: Split
    label: Label
    attributes: tuple[tuple[str, str], ...] = ()
    duration: float = 0.0
    #: The auxiliary classification class; ``None`` for a clip whose class has no training data.
    aux_class: str | None = None

    @property
    def file(self) -> str:
        """The base name, as in submission and ground-truth files."""
        return self.path.name

    @property
    def section_id(self) -> str:
        """``<machine>_<section>``: the unit of the backend and of the metrics."""
        return f"{self.machine}_{self.section}"

    def attribute_text(self) -> str:
        """``key=value;key=value``, as ``asdbench data table`` writes it."""
        return ";".join(f"{key}={value}" for key, value in self.attributes)

    def attribute_tokens(self) -> str:
        """``key_value_key_value``, the attribute part of a DCASE file name."""
        return "_".join(token for pair in self.attributes for token in pair if token != "")


@dataclass(frozen=True)
class ClassScheme:
    """How auxiliary classes are formed: machine + section [+ attributes] [+ domain].

    The reference system uses all three. Classes come from training clips only, unless
    ``include_dev_test`` adds the dev-test clips' classes as the reference code does.
    """

    attributes: bool = True
    domain: bool = True
    include_dev_test: bool = False

    def name(self, clip: Clip) -> str:
        parts = [clip.section_id]
        if self.attributes:
            parts.append(clip.attribute_tokens())
        if self.domain:
            parts.append(clip.domain)
        return "###".join(parts)

    def source_clip(self, clip: Clip) -> bool:
        if clip.split == "train":
            return True
        return (
            self.include_dev_test
            and clip.partition == "dev"
            and clip.label != "unknown"
            and clip.domain != "unknown"
        )


@dataclass
class ClipTable:
    """An ordered collection of clips plus the sorted list of auxiliary classes."""

    clips: list[Clip]
    classes: list[str] = field(default_factory=list)
    #: Problems the reader tolerated (odd attribute tokens, unused CSV rows...), for the user.
    problems: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.clips)

    def __iter__(self) -> Iterator[Clip]:
        return iter(self.clips)

    def __getitem__(self, index: int) -> Clip:
        return self.clips[index]

    def where(
        self, predicate: Callable[[Clip], bool] | None = None, **columns: object
    ) -> ClipTable:
        """The clips matching every ``column=value`` (and ``predicate``), same classes."""
        selected = [
            clip
            for clip in self.clips
            if all(getattr(clip, key) == value for key, value in columns.items())
            and (predicate is None or predicate(clip))
        ]
        return ClipTable(selected, self.classes, self.problems)

    def with_classes(self, scheme: ClassScheme) -> ClipTable:
        """Assign auxiliary classes: each class is seen in at least one training clip (or a
        dev-test clip when the scheme includes them); other clips get ``None``."""
        names = sorted({scheme.name(clip) for clip in self.clips if scheme.source_clip(clip)})
        known = set(names)
        clips = []
        for clip in self.clips:
            name = scheme.name(clip)
            clips.append(replace(clip, aux_class=name if name in known else None))
        return ClipTable(clips, names, self.problems)

    def class_index(self, clip: Clip) -> int:
        """The position of the clip's class in ``classes``; -1 when it has none."""
        if clip.aux_class is None:
            return -1
        return self.classes.index(clip.aux_class)

    def sections(self) -> list[str]:
        """Every ``machine_section`` in first-seen order."""
        return list(self.section_indices())

    def section_indices(
        self, predicate: Callable[[Clip], bool] | None = None
    ) -> dict[str, list[int]]:
        """``machine_section`` -> the positions of its clips (those matching ``predicate``),
        sections in first-seen order: the unit a back end, the decisions and the metrics work
        on."""
        grouped: dict[str, list[int]] = {}
        for index, clip in enumerate(self.clips):
            if predicate is None or predicate(clip):
                grouped.setdefault(clip.section_id, []).append(index)
        return grouped

    def numbered(self, *columns: str) -> list[int]:
        """Each clip's running number, in table order, among the clips with its values of
        ``columns``: the index a DCASE file name gives a clip within such a group."""
        seen: Counter[tuple[object, ...]] = Counter()
        numbers = []
        for clip in self.clips:
            key = tuple(getattr(clip, c) for c in columns)
            numbers.append(seen[key])
            seen[key] += 1
        return numbers

    def counts(self, *columns: str) -> Counter[tuple[str, ...]]:
        return Counter(tuple(str(getattr(clip, c)) for c in columns) for clip in self.clips)

    def to_records(self) -> list[dict[str, str]]:
        """One dict per clip with the ``TABLE_COLUMNS``."""
        return [
            {
                "file": clip.file,
                "partition": clip.partition,
                "machine": clip.machine,
                "section": clip.section,
                "domain": clip.domain,
                "split": clip.split,
                "label": clip.label,
                "attributes": clip.attribute_text(),
                "class": clip.aux_class or "",
            }
            for clip in self.clips
        ]

    def to_csv(self) -> str:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=TABLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.to_records())
        return buffer.getvalue()

    def to_json(self) -> str:
        return json.dumps(self.to_records(), indent=1)


def sorted_clips(clips: Iterable[Clip]) -> list[Clip]:
    """A stable order: partition, machine, section, split, file name."""
    return sorted(clips, key=lambda c: (c.partition, c.machine, c.section, c.split, c.file))
