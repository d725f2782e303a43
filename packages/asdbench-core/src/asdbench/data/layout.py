"""Reading a DCASE Task 2 tree into a ClipTable.

Two layouts are recognised, under the folder the user gives:

- plain (Zenodo zips unpacked): ``dev_data/<machine>/{train,test}/``, ``eval_data/<machine>/...``;
- the nttcslab baseline's: ``data/<year>/{dev,eval}_data/raw/<machine>/...`` (the folder given
  may be the baseline root, its ``data/``, or ``data/<year>``).

Eval test clips have anonymised names; their label and domain come only from an
evaluator-format ground-truth folder, joined by file name. Without it they stay ``unknown``.
A year may hold its test clips in other folders than ``test/`` (2021: ``source_test/`` and
``target_test/``, whose folder names the domain): the dataset says so with ``split_folders``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from asdbench.data.audio import AudioFormat, check_channels, wav_missing_bytes
from asdbench.data.clips import Clip, ClipTable, sorted_clips
from asdbench.data.csvfiles import csv_rows
from asdbench.data.filenames import ClipName, parse_clip_name
from asdbench.data.ground_truth import (
    EVAL_DATA_LIST,
    TRUTH_FILES,
    GroundTruth,
    read_ground_truth,
    truth_file,
)
from asdbench.errors import DataError

PARTITION_FOLDERS = {"dev": "dev_data", "eval": "eval_data"}
#: The folders of a machine directory that hold clips: folder -> (split, the domain every clip
#: in it has, or None when the names say); other folders are not read and are listed as left
#: out, except the baseline's renamed copies of the eval test clips (KNOWN_COPIES).
SplitFolders = Mapping[str, tuple[str, str | None]]
KNOWN_COPIES = ("test_rename",)
SPLIT_FOLDERS: SplitFolders = {
    "train": ("train", None),
    "test": ("test", None),
    "supplemental": ("supplemental", None),
}


def find_partitions(
    data_dir: Path, year_folder: str | None = None, split_folders: SplitFolders = SPLIT_FOLDERS
) -> dict[str, Path]:
    """The folder holding the machine folders of each partition found under ``data_dir``."""
    data_dir = Path(data_dir)
    if not data_dir.exists():
        raise DataError(f"{data_dir}: no such folder")
    if not data_dir.is_dir():
        raise DataError(f"{data_dir}: not a folder")
    roots = [data_dir]
    if year_folder:
        roots += [data_dir / year_folder, data_dir / "data" / year_folder]
    for root in roots:
        for suffix in ((), ("raw",)):
            found = {
                partition: root.joinpath(folder, *suffix)
                for partition, folder in PARTITION_FOLDERS.items()
                if root.joinpath(folder, *suffix).is_dir()
            }
            if found and any(_machine_dirs(path, split_folders) for path in found.values()):
                return found
    baseline = f"data/{year_folder or 'dcase20XXt2'}/dev_data/raw/<machine>/train"
    raise DataError(
        f"{data_dir}: no DCASE layout found (expected dev_data/<machine>/train or {baseline})"
    )


def _machine_dirs(partition_dir: Path, split_folders: SplitFolders) -> list[Path]:
    return sorted(
        path
        for path in partition_dir.iterdir()
        if path.is_dir()
        and any(
            (path / f).is_dir()
            for f, (split, _) in split_folders.items()
            if split != "supplemental"
        )
    )


def read_attribute_csv(path: Path) -> dict[str, tuple[tuple[str, str], ...]]:
    """``attributes_<SS>.csv``: base name (``.wav`` added when missing, folder prefix dropped)
    -> the (parameter, value) pairs of its ``d1p,d1v,d2p,d2v...`` columns."""
    table: dict[str, tuple[tuple[str, str], ...]] = {}
    rows = csv_rows(path)
    header = next(rows, (0, []))[1]
    if not header or header[0].strip() != "file_name":
        raise DataError(f"{path}: expected a header starting with 'file_name'")
    for _, row in rows:
        if not row or not row[0].strip():
            continue
        name = row[0].strip().rsplit("/", 1)[-1]
        if not name.lower().endswith(".wav"):
            name += ".wav"
        values = [cell.strip() for cell in row[1:]]
        table[name] = tuple(
            (values[i], values[i + 1]) for i in range(0, len(values) - 1, 2) if values[i]
        )
    return table


def read_tree(
    data_dir: Path,
    *,
    dataset: str,
    year_folder: str | None = None,
    ground_truth: Path | None = None,
    skip_bad_files: bool = False,
    max_seconds: float | None = None,
    split_folders: SplitFolders = SPLIT_FOLDERS,
    parse_name: Callable[[str], ClipName] = parse_clip_name,
    truth_files: str = "section",
    audio_format: AudioFormat | None = None,
) -> ClipTable:
    """Every clip under ``data_dir`` (both partitions, every machine), with eval test labels
    from ``ground_truth`` when given (in the form ``truth_files``, ``ScoreRule.files``). Files that
    decoding would refuse (:func:`audio_duration`) are errors, or with ``skip_bad_files`` left
    out and listed in ``problems``; files that are not WAV are listed in ``problems``.
    ``parse_name`` reads a file name (the dataset's year forms); ``audio_format``, when given,
    the channels each file must have (:func:`asdbench.data.audio.check_channels`)."""
    problems: list[str] = []
    clips: list[Clip] = []
    reading = _Reading(
        dataset, split_folders, parse_name, skip_bad_files, max_seconds, audio_format
    )
    for partition, partition_dir in find_partitions(data_dir, year_folder, split_folders).items():
        for machine_dir in _machine_dirs(partition_dir, split_folders):
            clips += reading.machine(partition, machine_dir, problems)
    if not clips:
        raise DataError(f"{data_dir}: the machine folders hold no .wav files")
    if ground_truth is not None:
        truth = read_ground_truth(ground_truth, files=truth_files)
        clips = apply_ground_truth(clips, truth, ground_truth, files=truth_files)
    return ClipTable(sorted_clips(clips), problems=problems)


@dataclass(frozen=True)
class _Reading:
    """How one dataset's machine folders are read."""

    dataset: str
    split_folders: SplitFolders
    parse_name: Callable[[str], ClipName]
    skip_bad_files: bool
    max_seconds: float | None
    audio_format: AudioFormat | None = None

    def machine(self, partition: str, machine_dir: Path, problems: list[str]) -> list[Clip]:
        machine = machine_dir.name
        if "_" in machine:
            raise DataError(f"{machine_dir}: machine folder names must not contain '_'")
        csv_attributes: dict[str, tuple[tuple[str, str], ...]] = {}
        for csv_path in sorted(machine_dir.glob("attributes_*.csv")):
            csv_attributes.update(read_attribute_csv(csv_path))
        clips: list[Clip] = []
        odd: list[str] = []
        unread = sorted(
            p.name
            for p in machine_dir.iterdir()
            if p.is_dir() and p.name not in (*self.split_folders, *KNOWN_COPIES)
        )
        if unread:
            problems.append(
                f"{machine_dir}: folder(s) {', '.join(unread)} left out: {self.dataset} reads "
                f"clips from {', '.join(f'{name}/' for name in self.split_folders)} only"
            )
        for folder_name, (split, folder_domain) in self.split_folders.items():
            folder = machine_dir / folder_name
            if folder.is_dir():
                clips += self._folder(
                    partition, machine, folder, split, folder_domain, csv_attributes, odd, problems
                )
        if odd:
            problems.append(
                f"{machine_dir}: {len(odd)} file name(s) with an odd number of attribute tokens "
                f"(e.g. {odd[0]}); the last key was kept with an empty value"
            )
        listed = {clip.file for clip in clips}
        unused = sorted(set(csv_attributes) - listed)
        if unused:
            problems.append(
                f"{machine_dir}: attribute CSV lists {len(unused)} file(s) not in the folder "
                f"(e.g. {unused[0]})"
            )
        return clips

    def _folder(
        self,
        partition: str,
        machine: str,
        folder: Path,
        split: str,
        folder_domain: str | None,
        csv_attributes: dict[str, tuple[tuple[str, str], ...]],
        odd: list[str],
        problems: list[str],
    ) -> list[Clip]:
        clips = []
        for path in _wav_files(folder, problems):
            name = self.parse_name(_utf8_name(path))
            _check_placement(path, name, partition, split, folder_domain)
            if name.odd_attributes:
                odd.append(path.name)
            try:
                duration = audio_duration(path, self.max_seconds, self.audio_format)
            except DataError as exc:
                if not self.skip_bad_files:
                    raise DataError(
                        f"{exc}; --set dataset.skip_bad_files=true leaves such files out"
                    ) from exc
                problems.append(f"skipped {exc}")
                continue
            attributes = name.attributes or csv_attributes.get(path.name, ())
            if name.supplement is not None:
                attributes = (("content", name.supplement), *attributes)
            clips.append(
                Clip(
                    path=path,
                    dataset=self.dataset,
                    partition=partition,  # type: ignore[arg-type]
                    machine=machine,
                    section=name.section,
                    domain=name.domain or "unknown",  # type: ignore[arg-type]
                    split=split,  # type: ignore[arg-type]
                    label=name.label or "unknown",  # type: ignore[arg-type]
                    attributes=attributes,
                    duration=duration,
                )
            )
        return clips


def _wav_files(folder: Path, problems: list[str]) -> list[Path]:
    """The folder's WAV files, in order; its sub-folders and other files are left out, and
    ``problems`` says so."""
    entries = sorted(folder.iterdir())
    folders = [p.name for p in entries if p.is_dir()]
    if folders:
        problems.append(
            f"{folder}: {len(folders)} folder(s) left out (clips are read from the folder "
            f"itself, not below it; e.g. {folders[0]!r})"
        )
    others = [p.name for p in entries if p.suffix.lower() != ".wav" and not p.is_dir()]
    if others:
        problems.append(
            f"{folder}: {len(others)} file(s) that are not .wav left out (e.g. {others[0]!r})"
        )
    return [p for p in entries if not p.is_dir() and p.suffix.lower() == ".wav"]


def _check_placement(
    path: Path, name: ClipName, partition: str, split: str, folder_domain: str | None
) -> None:
    """Refuse a clip whose name contradicts its folder: an anonymised name outside eval test,
    another split or another domain than the folder's."""
    folder = path.parent
    if name.anonymous:
        if partition != "eval" or split != "test":
            raise DataError(
                f"{path}: anonymised name outside eval_data/<machine>/{folder.name} "
                "(dev and train clips carry domain and label in their names)"
            )
    elif name.split is not None and name.split != split:
        raise DataError(f"{path}: the name says {name.split!r} but the file is in {folder.name}/")
    if folder_domain is not None and name.domain != folder_domain:
        raise DataError(
            f"{path}: the name says {name.domain or 'no domain'} but the file is in {folder.name}/"
        )


def _utf8_name(path: Path) -> str:
    """The file name, which must be valid UTF-8 (it goes into CSV files, MLflow and JSON)."""
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:
        raw = os.fsencode(path.name)
        raise DataError(
            f"{path.parent}: the file name {raw!r} is not UTF-8; rename the file"
        ) from None
    return path.name


def audio_duration(
    path: Path, max_seconds: float | None = None, fmt: AudioFormat | None = None
) -> float:
    """The duration of a clip from its header, after the checks decoding would otherwise fail
    on later (and ``data info`` would miss): a link to a missing file, an unreadable or empty
    file, a WAV cut short or without samples, NaN or infinite samples in a float file, a
    length over ``max_seconds`` (a damaged header: 1 Hz would decode to millions of samples),
    or channels ``fmt`` cannot take."""
    import soundfile

    if not path.exists():
        raise DataError(f"{path}: a link to a file that does not exist")
    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        empty = path.stat().st_size == 0
        raise DataError(
            f"{path}: {'empty (0 bytes)' if empty else 'not a readable audio file'} ({exc})"
        ) from exc
    missing = wav_missing_bytes(path)
    if missing:
        raise DataError(f"{path}: truncated ({missing} bytes of audio data missing)")
    if info.frames == 0:
        raise DataError(f"{path}: contains no samples")
    if fmt is not None:
        check_channels(path, info.channels, fmt)
    if max_seconds is not None and info.duration > max_seconds:
        raise DataError(
            f"{path}: lasts {info.duration:.0f} s ({info.frames} frames at {info.samplerate} "
            f"Hz), over this dataset's limit of {max_seconds:.0f} s (a damaged header?)"
        )
    if info.subtype in ("FLOAT", "DOUBLE"):
        samples, _ = soundfile.read(str(path), dtype="float32", always_2d=True)
        if not np.isfinite(samples).all():
            raise DataError(f"{path}: contains NaN or infinite samples")
    return float(info.duration)


def apply_ground_truth(
    clips: list[Clip], truth: GroundTruth, source: Path, *, files: str = "section"
) -> list[Clip]:
    """Set label and domain of eval test clips from ``truth``, joined by file name.

    Every eval section with test clips must have ground truth (a partition's official score
    covers all its sections or none), and a section's ground truth must list every clip of the
    section and nothing else. A clip whose name gives its domain (2021) must have that domain
    in the ground truth.
    """
    pattern = TRUTH_FILES[files]
    anonymous = [c for c in clips if c.partition == "eval" and c.split == "test"]
    by_section: dict[tuple[str, str], list[Clip]] = {}
    for clip in anonymous:
        by_section.setdefault((clip.machine, clip.section), []).append(clip)
    uncovered = sorted(key for key in by_section if key not in truth)
    if uncovered:
        named = ", ".join(f"{machine} section {section}" for machine, section in uncovered)
        raise DataError(
            f"{source}: no ground truth for {len(uncovered)} eval section(s) with test clips: "
            f"{named} ({pattern}); the "
            "eval score needs every eval section: complete the ground truth, or remove those "
            "sections' test clips from the data"
        )
    updated: dict[Path, Clip] = {}
    for key, section_clips in by_section.items():
        rows = truth[key]
        names = {clip.file for clip in section_clips}
        missing = sorted(names - rows.keys())
        extra = sorted(rows.keys() - names)
        csv_name = {
            "section": truth_file(*key),
            "section_domain": truth_file(*key, "<domain>"),
            "machine_id": f"{EVAL_DATA_LIST} ({key[0]} id {key[1]})",
        }[files]
        if missing:
            raise DataError(
                f"{source}/{csv_name}: no row for {len(missing)} clip(s) of {key[0]} section "
                f"{key[1]} (e.g. {missing[0]})"
            )
        if extra:
            raise DataError(
                f"{source}/{csv_name}: {len(extra)} row(s) for clips that are not in the data "
                f"(e.g. {extra[0]})"
            )
        for clip in section_clips:
            row = rows[clip.file]
            if clip.domain != "unknown" and clip.domain != row.domain:
                raise DataError(
                    f"{source}: {clip.file} is listed for the {row.domain} domain, but its name "
                    f"says {clip.domain}"
                )
            updated[clip.path] = replace(clip, label=row.label, domain=row.domain)  # type: ignore[arg-type]
    return [updated.get(clip.path, clip) for clip in clips]
