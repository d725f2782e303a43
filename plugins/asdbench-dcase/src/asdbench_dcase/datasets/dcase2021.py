"""DCASE2021 Task 2."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from asdbench import (
    ClipName,
    ClipTable,
    ScoreRule,
    link_clip,
    parse_clip_name,
)
from asdbench_dcase.datasets.year import DcaseYear


class Dcase2021(DcaseYear):
    """DCASE2021 Task 2: 7 machine types in both partitions, sections 00-02 (dev) and 03-05
    (eval), 10 s clips, source and target domains (3 target training clips per section). The
    test clips of each domain are in their own folder, ``source_test/`` and ``target_test/``
    (a merged ``test/`` is read too); evaluation test names keep their domain
    (``section_03_source_test_0000.wav``). Attribute tokens do not pair into keys and values
    (``..._0000_strength_1_ambient.wav``): each name's are one ``attribute`` value. The
    evaluator computes AUC and pAUC per section on each domain's own test clips; the official
    score is the harmonic mean of all of them over machine types, sections and domains.
    Ground truth and submissions are one file per section and domain."""

    name: ClassVar[str] = "dcase2021"
    default_clip_seconds: ClassVar[float] = 10.0
    official_score: ClassVar[ScoreRule] = ScoreRule(
        "dcase2021",
        pooled=("auc_source_own", "pauc_source_own", "auc_target_own", "pauc_target_own"),
        files="section_domain",
    )
    split_folders: ClassVar[dict[str, tuple[str, str | None]]] = {
        "train": ("train", None),
        "source_test": ("test", "source"),
        "target_test": ("test", "target"),
        "test": ("test", None),
    }
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "fan", "gearbox", "pump", "slider", "valve"),
        "eval": ("ToyCar", "ToyTrain", "fan", "gearbox", "pump", "slider", "valve"),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("00", "01", "02"),
        "eval": ("03", "04", "05"),
    }
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("4562016", "dev_data_{m}.zip"),
        "eval-train": ("4660992", "eval_data_train_{m}.zip"),
        "eval-test": ("4884786", "eval_data_test_{m}.zip"),
    }
    evaluator: ClassVar[str | None] = "y-kawagu/dcase2021_task2_evaluator"

    def parse_name(self, name: str) -> ClipName:
        """2021's attribute tokens are one value (``strength_1_ambient``), not keys and values."""
        return parse_clip_name(name, paired=False)

    def write_layout(self, table: ClipTable, target: Path) -> Path:
        """2021's tree: training names with their attribute tokens, test clips in
        ``<domain>_test/`` without them, evaluation test clips anonymised but for the domain
        (``section_<SS>_<domain>_test_<NNNN>.wav``), and the evaluator's per-domain files."""
        truth: dict[str, list[str]] = {}
        indices = table.numbered("partition", "machine", "section", "domain", "split", "label")
        for clip, index in zip(table, indices, strict=True):
            folder = target / f"{clip.partition}_data" / clip.machine
            stem = f"section_{clip.section}_{clip.domain}_{clip.split}"
            if clip.split == "train":
                tail = clip.attribute_tokens()
                name = f"{stem}_{clip.label}_{index:04d}{'_' + tail if tail else ''}.wav"
                link_clip(clip, folder / "train" / name)
                continue
            name = f"{stem}_{clip.label}_{index:04d}.wav"
            if clip.partition == "eval":
                csv_name = (
                    f"ground_truth_{clip.machine}_section_{clip.section}_{clip.domain}_test.csv"
                )
                rows = truth.setdefault(csv_name, [])
                name = f"{stem}_{len(rows):04d}.wav"
                rows.append(f"{name},{int(clip.label == 'anomaly')}")
            link_clip(clip, folder / f"{clip.domain}_test" / name)
        folder = target / "ground_truth" / "ground_truth_data"
        folder.mkdir(parents=True, exist_ok=True)
        for csv_name, rows in truth.items():
            (folder / csv_name).write_text("".join(f"{row}\n" for row in rows))
        return target / "ground_truth"
