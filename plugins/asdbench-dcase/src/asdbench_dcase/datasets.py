"""The facts of each challenge year (2020 to 2026), and downloading its archives from Zenodo."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from asdbench import (
    ClassAttributesOption,
    ClassDomainOption,
    ClassesOption,
    ClipName,
    ClipSecondsOption,
    ClipTable,
    DataError,
    DcaseLayoutDataset,
    MachinesOption,
    RemoteFile,
    ResampleOption,
    ScoreRule,
    SkipBadFilesOption,
    StereoOption,
    exclusive,
    fetch_and_extract,
    link_clip,
    parse_clip_name,
    zenodo_files,
)


def _stderr(message: str) -> None:
    print(message, file=sys.stderr)


class DcaseYear(DcaseLayoutDataset):
    """A DCASE Task 2 year. Subclasses list the Zenodo record of each part."""

    #: Zenodo record per part, and the archive name pattern (``{m}`` = machine type).
    records: ClassVar[dict[str, tuple[str, str]]]
    #: Archives published under another name than the pattern's (a re-release, ``_r2``).
    renamed: ClassVar[dict[str, str]] = {}
    #: The GitHub repository of the year's official evaluator (its ground truth); None when
    #: none could be read here.
    evaluator: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Each year says how to obtain its data from its records and evaluator."""
        super().__init_subclass__(**kwargs)
        if "records" not in vars(cls):
            return  # a family of years (WithheldAttributesYear), not a year
        records = ", ".join(record for record, _ in cls.records.values())
        if cls.evaluator:
            tail = (
                f"); eval labels come from the official evaluator's ground truth "
                f"(github.com/{cls.evaluator}), given with --ground-truth."
            )
        else:
            tail = (
                "); eval labels come from the year's official evaluator's ground truth once "
                "published, given with --ground-truth."
            )
        cls.how_to_obtain = (
            f"Download it with `asdbench data download {cls.name} --to DIR` (Zenodo records "
            f"{records}{tail}"
        )

    def download(
        self,
        target: Path,
        *,
        parts: Sequence[str] | None = None,
        machines: Sequence[str] = (),
        mirror: str | None = None,
        progress: bool = True,
    ) -> Path:
        """Fetch the archives of ``parts`` (default: every part the year has published; all
        machine types, or ``machines``) and unpack them into ``target/dev_data`` and
        ``target/eval_data``: the plain layout the reader expects. Archives are kept (verified)
        in ``target/archives`` so an interrupted run resumes."""
        target = Path(target)
        wanted = self._archives(parts, machines, mirror)  # checked first
        with exclusive(target / "archives" / "lock", f"downloading into {target}", _stderr):
            for part, machine, remote in wanted:
                folder = target / f"{'dev' if part == 'dev' else 'eval'}_data"
                # an archive holds <machine>/... or <dev_data|eval_data>/<machine>/..., and
                # may fill nothing but its machine type's folder
                fetch_and_extract(
                    remote,
                    target / "archives",
                    folder,
                    strip=folder.name,
                    within=machine,
                    progress=progress,
                )
        return target

    def archives(
        self,
        *,
        parts: Sequence[str] | None = None,
        machines: Sequence[str] = (),
        mirror: str | None = None,
    ) -> list[tuple[str, RemoteFile]]:
        """(part, archive) for every archive ``download`` would fetch, with the name, size and
        checksum its Zenodo record states."""
        return [(part, remote) for part, _, remote in self._archives(parts, machines, mirror)]

    def _archives(
        self, parts: Sequence[str] | None, machines: Sequence[str], mirror: str | None
    ) -> list[tuple[str, str, RemoteFile]]:
        """(part, machine type, archive) for every archive of ``parts`` and ``machines``."""
        parts = tuple(self.records) if parts is None else parts
        wanted = {part: self._machines(part, machines) for part in parts}
        found = []
        for part, names in wanted.items():
            record, pattern = self.records[part]
            remote = {f.name: f for f in zenodo_files(record, mirror or "https://zenodo.org")}
            for machine in names:
                name = pattern.format(m=machine)
                name = self.renamed.get(name, name)
                if name not in remote:
                    raise DataError(f"Zenodo record {record} has no file {name}")
                found.append((part, machine, remote[name]))
        return found

    def _machines(self, part: str, machines: Sequence[str]) -> Sequence[str]:
        """The machine types of ``part`` to fetch: ``machines``, or all of its partition's."""
        if part not in self.records:
            raise DataError(f"unknown part {part!r}; parts: {', '.join(self.records)}")
        partition = "dev" if part == "dev" else "eval"
        unknown = sorted(set(machines) - set(self.machine_types[partition]))
        if unknown:
            known = ", ".join(self.machine_types[partition])
            raise DataError(f"{unknown[0]}: not a {self.name} {partition} machine type ({known})")
        return machines or self.machine_types[partition]


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


class Dcase2022(DcaseYear):
    """DCASE2022 Task 2: the same 7 machine types in both partitions, sections 00-02 (dev) and
    03-05 (eval), 10 s clips. The official score is the harmonic mean of every section's
    AUC (source), AUC (target) and pAUC."""

    name: ClassVar[str] = "dcase2022"
    year_folder: ClassVar[str] = "dcase2022t2"
    default_clip_seconds: ClassVar[float] = 10.0
    official_score: ClassVar[ScoreRule] = ScoreRule("dcase2022")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("00", "01", "02"),
        "eval": ("03", "04", "05"),
    }
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("6355122", "dev_{m}.zip"),
        "eval-train": ("6462969", "eval_data_{m}_train.zip"),
        "eval-test": ("6586456", "eval_data_{m}_test.zip"),
    }
    evaluator: ClassVar[str | None] = "Kota-Dohi/dcase2022_evaluator"


class Dcase2023(DcaseYear):
    """DCASE2023 Task 2 ("first shot"): 7 dev and 7 different eval machine types, section 00
    only, clips of 6-18 s tiled and cropped to 18 s. Official score as in 2022."""

    name: ClassVar[str] = "dcase2023"
    year_folder: ClassVar[str] = "dcase2023t2"
    default_clip_seconds: ClassVar[float] = 18.0
    official_score: ClassVar[ScoreRule] = ScoreRule("dcase2023")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": ("ToyDrone", "ToyNscale", "ToyTank", "Vacuum", "bandsaw", "grinder", "shaker"),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("00",), "eval": ("00",)}
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("7882613", "dev_{m}.zip"),
        "eval-train": ("7830345", "eval_data_{m}_train.zip"),
        "eval-test": ("7860847", "eval_data_{m}_test.zip"),
    }
    evaluator: ClassVar[str | None] = "nttcslab/dcase2023_task2_evaluator"


CorrespondenceOption = Annotated[
    str | None,
    "Folder of the attribute correspondence published after the challenge (the baseline's "
    "datasets/ground_truth_attributes/dcase20XXt2): clips named ..._noAttribute get their "
    "attributes; default none, as in the challenge",
]


class WithheldAttributesYear(DcaseYear):
    """A year that withheld some machine types' attributes (``..._noAttribute.wav``) and
    published them later as correspondence files,
    ``<dev_data|eval_data>/<machine>/attributes_<SS>_<train|test>_correspondence.csv``
    (``source_file_name`` with attributes, ``target_file_name`` as distributed)."""

    def __init__(
        self,
        *,
        clip_seconds: ClipSecondsOption = None,
        classes: ClassesOption = "train",
        class_attributes: ClassAttributesOption = True,
        class_domain: ClassDomainOption = True,
        attribute_correspondence: CorrespondenceOption = None,
        stereo: StereoOption = "mean",
        resample: ResampleOption = True,
        skip_bad_files: SkipBadFilesOption = False,
        machines: MachinesOption = None,
    ) -> None:
        folder = Path(attribute_correspondence).expanduser() if attribute_correspondence else None
        if folder is not None and not folder.is_dir():
            raise ValueError(f"attribute_correspondence: {folder} is not a folder")
        super().__init__(
            clip_seconds=clip_seconds,
            classes=classes,
            class_attributes=class_attributes,
            class_domain=class_domain,
            stereo=stereo,
            resample=resample,
            skip_bad_files=skip_bad_files,
            machines=machines,
        )
        self.correspondence = folder

    def amend(self, table: ClipTable) -> ClipTable:
        """Clips listed as a correspondence's ``target_file_name`` take the attributes of its
        ``source_file_name``; every other clip keeps what it was read with."""
        if self.correspondence is None:
            return table
        published = read_correspondence(self.correspondence)
        clips = [
            replace(c, attributes=published[key])
            if (key := (c.partition, c.machine, c.file)) in published
            else c
            for c in table
        ]
        return ClipTable(clips, problems=table.problems)


def read_correspondence(folder: Path) -> dict[tuple[str, str, str], tuple[tuple[str, str], ...]]:
    """(partition, machine, distributed name) -> the (key, value) attributes of the labelled
    name, from every correspondence file under ``folder``."""
    found: dict[tuple[str, str, str], tuple[tuple[str, str], ...]] = {}
    files = sorted(folder.glob("*_data/*/attributes_*_correspondence.csv"))
    if not files:
        raise DataError(
            f"{folder}: no <dev_data|eval_data>/<machine>/attributes_<SS>_<split>_"
            "correspondence.csv files (the baseline's datasets/ground_truth_attributes/"
            "dcase20XXt2 folder)"
        )
    for path in files:
        partition = path.parent.parent.name.removesuffix("_data")
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:  # a BOM is dropped
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: cannot be read ({exc})") from exc
        header = [cell.strip() for cell in rows[0]] if rows else []
        if header != ["source_file_name", "target_file_name"]:
            raise DataError(f"{path}: expected the header source_file_name,target_file_name")
        for number, row in enumerate(rows[1:], start=2):
            if not "".join(row).strip():
                continue
            if len(row) != 2 or not row[0].strip().endswith(".wav"):
                raise DataError(f"{path}:{number}: expected '<labelled name>,<distributed name>'")
            tokens = row[0].strip()[: -len(".wav")].split("_")[6:]
            pairs = tuple((tokens[i], tokens[i + 1]) for i in range(0, len(tokens) - 1, 2))
            found[(partition, path.parent.name, row[1].strip())] = pairs
    return found


class Dcase2024(WithheldAttributesYear):
    """DCASE2024 Task 2 (first shot): the 2023 development machine types and 9 new evaluation
    ones, section 00, the 2023 layout and official score. Some machine types come without
    attribute information (``..._noAttribute.wav``: their classes are section and domain only;
    ``attribute_correspondence`` gives them the attributes published later). Clips are tiled
    and cropped to 12 s, as the AdaProj author's 2024 system does."""

    name: ClassVar[str] = "dcase2024"
    year_folder: ClassVar[str] = "dcase2024t2"
    default_clip_seconds: ClassVar[float] = 12.0
    official_score: ClassVar[ScoreRule] = ScoreRule("dcase2024")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": (
            "3DPrinter",
            "AirCompressor",
            "BrushlessMotor",
            "HairDryer",
            "HoveringDrone",
            "RoboticArm",
            "Scanner",
            "ToothBrush",
            "ToyCircuit",
        ),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("00",), "eval": ("00",)}
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("10902294", "dev_{m}.zip"),
        "eval-train": ("11259435", "eval_data_{m}_train.zip"),
        "eval-test": ("11363076", "eval_data_{m}_test.zip"),
    }
    renamed: ClassVar[dict[str, str]] = {
        "eval_data_3DPrinter_train.zip": "eval_data_3DPrinter_train_r2.zip",
        "eval_data_RoboticArm_train.zip": "eval_data_RoboticArm_train_r2.zip",
    }
    evaluator: ClassVar[str | None] = "nttcslab/dcase2024_task2_evaluator"


class Dcase2025(WithheldAttributesYear):
    """DCASE2025 Task 2 (first shot): the development machine types again and 8 new evaluation
    ones, section 00, the 2023 layout (names ending in ``_``, attributes in
    ``attributes_00.csv``) and official score. Some machine types also have supplemental clips
    (``<machine>/supplemental/``: the machine's sound alone, or the noise alone): they form
    their own split, ``supplemental``, and are never trained on or scored. Clips are tiled and
    cropped to 12 s, as for 2024."""

    name: ClassVar[str] = "dcase2025"
    year_folder: ClassVar[str] = "dcase2025t2"
    default_clip_seconds: ClassVar[float] = 12.0
    official_score: ClassVar[ScoreRule] = ScoreRule("dcase2025")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": (
            "AutoTrash",
            "BandSealer",
            "CoffeeGrinder",
            "HomeCamera",
            "Polisher",
            "ScrewFeeder",
            "ToyPet",
            "ToyRCCar",
        ),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("00",), "eval": ("00",)}
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("15097779", "dev_{m}.zip"),
        "eval-train": ("15392814", "eval_data_{m}_train.zip"),
        "eval-test": ("15519362", "eval_data_{m}_test.zip"),
    }
    evaluator: ClassVar[str | None] = "nttcslab/dcase2025_task2_evaluator"


Channel = Literal["left", "right", "mix", "both"]
#: The core's stereo handling for each 2026 channel choice.
CHANNELS: dict[str, str] = {"left": "first", "right": "second", "mix": "mean", "both": "both"}


class Dcase2026(DcaseYear):
    """DCASE2026 Task 2 (noise-aware first shot): stereo clips, the near microphone in the
    left channel (what the earlier years' mono clips were) and a far one in the right.

    The ``channel`` option chooses what the embedder hears: the left channel by default, as the
    baseline uses; ``both`` gives it the two channels (an embedder that takes two, such as
    ``dual_branch`` or ``logmel_stats``; another is refused before any work). Development
    machine types partly emulated (``...Emu``), 5 new evaluation ones, section 00, the 2023
    layout. The official score follows the 2023-2025 rule (the 2026 evaluator could not be read
    here). Clips are tiled and cropped to 12 s, as for 2024 and 2025. The evaluation test set
    is Zenodo record 20437238 ("DCASE 2026 Challenge Task 2 Evaluation Dataset"); its archive
    names are taken to follow 2023-2025 (``eval_data_<m>_test.zip``), and a download checks the
    record lists each before fetching any."""

    name: ClassVar[str] = "dcase2026"
    year_folder: ClassVar[str] = "dcase2026t2"
    default_clip_seconds: ClassVar[float] = 12.0
    official_score: ClassVar[ScoreRule] = ScoreRule("dcase2026")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyCarEmu", "bearingEmu", "fan", "gearboxEmu", "sliderEmu", "valveEmu"),
        "eval": ("BlowerDustCollector", "Sander", "SewingMachine", "ToothBrush", "ToyDrone"),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("00",), "eval": ("00",)}
    records: ClassVar[dict[str, tuple[str, str]]] = {
        "dev": ("19336329", "dev_{m}.zip"),
        "eval-train": ("20151556", "eval_data_{m}_train.zip"),
        "eval-test": ("20437238", "eval_data_{m}_test.zip"),
    }
    renamed: ClassVar[dict[str, str]] = {"dev_ToyCar.zip": "dev_ToyCar_r2.zip"}

    def __init__(
        self,
        *,
        clip_seconds: ClipSecondsOption = None,
        classes: ClassesOption = "train",
        class_attributes: ClassAttributesOption = True,
        class_domain: ClassDomainOption = True,
        channel: Annotated[
            Channel,
            "Which microphone the embedder hears: left (near, the baseline's), right "
            "(far), their mix, or both as two channels (to an embedder that takes two)",
        ] = "left",
        resample: ResampleOption = True,
        skip_bad_files: SkipBadFilesOption = False,
        machines: MachinesOption = None,
    ) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be left, right, mix or both, got {channel!r}")
        super().__init__(
            clip_seconds=clip_seconds,
            classes=classes,
            class_attributes=class_attributes,
            class_domain=class_domain,
            stereo=CHANNELS[channel],  # type: ignore[arg-type]
            resample=resample,
            skip_bad_files=skip_bad_files,
            machines=machines,
        )
