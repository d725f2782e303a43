"""DCASE2020 Task 2."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from asdbench import (
    ClipName,
    ClipTable,
    DataError,
    ScoreRule,
    link_clip,
)
from asdbench_dcase.datasets.year import DcaseYear

#: DCASE2020's machine IDs per partition and machine type.
MACHINE_IDS_2020: dict[str, dict[str, tuple[str, ...]]] = {
    "dev": {
        "ToyCar": ("01", "02", "03", "04"),
        "ToyConveyor": ("01", "02", "03"),
        **{m: ("00", "02", "04", "06") for m in ("fan", "pump", "slider", "valve")},
    },
    "eval": {
        "ToyCar": ("05", "06", "07"),
        "ToyConveyor": ("04", "05", "06"),
        **{m: ("01", "03", "05") for m in ("fan", "pump", "slider", "valve")},
    },
}


class Dcase2020(DcaseYear):
    """DCASE2020 Task 2: 6 machine types, machine IDs instead of sections (the clip table's
    ``section`` holds the ID), no domains (every clip is ``source``), 10 s clips. Names:
    ``normal_id_00_00000000.wav`` and ``anomaly_id_00_...`` (test only), anonymised evaluation
    test clips ``id_01_00000000.wav``. The evaluator computes AUC and pAUC per machine ID and
    their arithmetic means per machine type; the year has no single official score. Ground
    truth is the evaluator's ``eval_data_list.csv``; submissions are
    ``anomaly_score_<machine>_id_<ID>.csv``, without decisions."""

    name: ClassVar[str] = "dcase2020"
    default_clip_seconds: ClassVar[float] = 10.0
    official_score: ClassVar[ScoreRule] = ScoreRule(
        "dcase2020", pooled=(), files="machine_id", machine_means=("auc_all", "pauc")
    )
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        partition: tuple(ids) for partition, ids in MACHINE_IDS_2020.items()
    }
    #: Machine IDs depend on the machine type: ``check`` and ``partition_of`` read
    #: MACHINE_IDS_2020, not per-partition sections.
    sections: ClassVar[dict[str, tuple[str, ...]]] = {}
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("3678171", "dev_data_{m}.zip"),
        "eval-train": ("3727685", "eval_data_train_{m}.zip"),
        "eval-test": ("3841772", "eval_data_test_{m}.zip"),
    }
    evaluator: ClassVar[str | None] = "y-kawagu/dcase2020_task2_evaluator"

    def parse_name(self, name: str) -> ClipName:
        """``<normal|anomaly>_id_<ID>_<index>.wav``, or anonymised ``id_<ID>_<index>.wav``; the
        folder says train or test, and the one domain is ``source``."""
        tokens = name.removesuffix(".wav").split("_") if name.endswith(".wav") else []
        label = tokens[0] if len(tokens) == 4 else None
        rest = tokens[1:] if label is not None else tokens
        if (
            label not in (None, "normal", "anomaly")
            or len(rest) != 3
            or rest[0] != "id"
            or len(rest[1]) != 2
            or not rest[1].isdigit()
            or not rest[2].isdigit()
        ):
            raise DataError(
                f"{name}: not a DCASE2020 clip name (expected <normal|anomaly>_id_<ID>_"
                "<NNNNNNNN>.wav or id_<ID>_<NNNNNNNN>.wav)"
            )
        return ClipName(rest[1], "source", None, label, rest[2])

    def write_layout(self, table: ClipTable, target: Path) -> Path:
        """2020's tree: ``<normal|anomaly>_id_<ID>_<NNNNNNNN>.wav`` (the section as the ID, the
        domains merged: 2020 has none), evaluation test clips anonymised as
        ``id_<ID>_<NNNNNNNN>.wav``, and ``eval_data_list.csv``."""
        anonymous: Counter[tuple[str, str]] = Counter()
        listed: dict[str, list[str]] = {}
        indices = table.numbered("partition", "machine", "section", "split", "label")
        for clip, index in zip(table, indices, strict=True):
            labelled = f"{clip.label}_id_{clip.section}_{index:08d}.wav"
            name = labelled
            if clip.partition == "eval" and clip.split == "test":
                name = f"id_{clip.section}_{anonymous[(clip.machine, clip.section)]:08d}.wav"
                anonymous[(clip.machine, clip.section)] += 1
                line = f"{name},{labelled},{int(clip.label == 'anomaly')}"
                listed.setdefault(clip.machine, []).append(line)
            link_clip(clip, target / f"{clip.partition}_data" / clip.machine / clip.split / name)
        lines = [line for machine, rows in listed.items() for line in (machine, *rows)]
        (target / "ground_truth").mkdir(parents=True, exist_ok=True)
        (target / "ground_truth" / "eval_data_list.csv").write_text(
            "".join(f"{line}\n" for line in lines)
        )
        return target / "ground_truth"

    def partition_of(self, machine: str, section: str) -> str | None:
        """A machine ID is dev or eval per machine type (ID 01 is dev for ToyCar, eval for
        fan)."""
        found = [
            p for p, machines in MACHINE_IDS_2020.items() if section in machines.get(machine, ())
        ]
        return found[0] if len(found) == 1 else None

    def check_sections(self, found: Iterable[tuple[str, str, str]]) -> list[str]:
        """The machine types, and each machine type's IDs in each partition: none other, and
        none missing."""
        found = sorted(set(found))
        problems = super().check_sections(found)
        for partition, machine, machine_id in found:
            expected = MACHINE_IDS_2020.get(partition, {}).get(machine)
            if expected is not None and machine_id not in expected:
                problems.append(
                    f"{machine} id {machine_id}: not a {self.name} {partition} machine ID of "
                    f"{machine} ({', '.join(expected)})"
                )
        for partition, machine in sorted({(p, m) for p, m, _ in found}):
            for machine_id in MACHINE_IDS_2020.get(partition, {}).get(machine, ()):
                if (partition, machine, machine_id) not in found:
                    problems.append(f"{machine} id {machine_id}: not found ({partition})")
        return problems

    def amend(self, table: ClipTable) -> ClipTable:
        """Training clips are normal: an ``anomaly_...`` file in ``train/`` is an error."""
        anomalous = [c for c in table if c.split == "train" and c.label == "anomaly"]
        if anomalous:
            raise DataError(f"{anomalous[0].path}: an anomalous clip among the training clips")
        return table
