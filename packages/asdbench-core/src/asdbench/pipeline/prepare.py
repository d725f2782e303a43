"""Data for a cell, prepared once before its trials: the dataset's clip table, checked for
what training and scoring need, and every clip decoded into the audio cache."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path
from typing import TYPE_CHECKING

from asdbench.data.audio import AudioFormat
from asdbench.data.audio_cache import AudioCache
from asdbench.data.clips import ClipTable
from asdbench.data.score_rule import ScoreRule
from asdbench.errors import DataError
from asdbench.paths import cache_dir
from asdbench.pipeline.config import RunConfig
from asdbench.pipeline.outputs import Echo
from asdbench.scoring.metrics import NEEDS

if TYPE_CHECKING:
    from asdbench.contracts import Dataset


def prepare(
    config: RunConfig, echo: Echo, progress: bool, workers: int = 1, *, build: bool = True
) -> tuple[Dataset, ClipTable, AudioCache]:
    """Load the dataset's clip table and the decoded audio of every clip (decoded by
    ``workers`` threads the first time; with ``build=False`` a missing cache is an error, as on
    a cluster worker, where the driver has built it)."""
    dataset = config.dataset.create()
    table = dataset.load(config.data_dir, ground_truth=config.ground_truth, progress=progress)
    check_trainable(table)
    check_scorable(table, dataset.official_score)
    for problem in table.problems:
        echo(f"warning: {problem}")
    paths = [clip.path for clip in table]
    root = cache_dir() / "audio"
    if not AudioCache.exists(paths, root, dataset.audio_format):
        if not build:
            raise DataError(
                f"{socket.gethostname()} does not see the audio cache under {root}: the driver "
                "builds it once before the trials, so ASDBENCH_CACHE_DIR and the dataset folder "
                "must be on a file system every node shares"
            )
        check_disk_space(table, dataset.audio_format, root)
    cache = AudioCache.build(
        paths,
        root,
        dataset.audio_format,
        skip_bad_files=dataset.skip_bad_files,
        progress=progress,
        workers=workers,
    )
    if cache.skipped:
        for path, reason in cache.skipped.items():
            echo(f"warning: skipped {path}: {reason}")
        kept = set(cache.files)
        table = ClipTable([c for c in table if str(c.path) in kept], table.classes, table.problems)
    return dataset, table, cache


def check_data(config: RunConfig) -> str:
    """What ``--dry-run`` checks of the data without decoding or training: the tree is the
    dataset's and every section can be trained and scored. Returns a line for the plan."""
    from asdbench.data.datasets import DcaseLayoutDataset

    dataset = config.dataset.create()
    if not isinstance(dataset, DcaseLayoutDataset):
        return "not checked (the dataset is not read by asdbench's reader)"
    root = dataset.written(config.data_dir)
    if root is None:
        return "generated on first use"
    table = dataset.load(root, ground_truth=config.ground_truth, progress=False)
    check_trainable(table)
    check_scorable(table, dataset.official_score)
    return f"{len(table)} clips in {root}, checked"


def check_trainable(table: ClipTable) -> None:
    """Refuse, before any training, data the pipeline cannot train on or score: fewer than two
    training clips, or a section with test clips but no training clips (its back end would
    have nothing to fit)."""
    train = [c for c in table if c.split == "train" and c.aux_class is not None]
    if len(train) < 2:
        raise DataError(f"the data has {len(train)} training clip(s); training needs at least 2")
    trained = {c.section_id for c in train}
    untrained = sorted({c.section_id for c in table if c.split == "test"} - trained)
    if untrained:
        named = ", ".join(untrained[:5]) + (", ..." if len(untrained) > 5 else "")
        raise DataError(
            f"{len(untrained)} section(s) have test clips but no training clips ({named}): "
            "the back end could not score them; add their train/ folders or remove their tests"
        )


def check_scorable(table: ClipTable, rule: ScoreRule) -> None:
    """Refuse, before any training, a section whose labelled test clips lack a class a figure
    of ``rule`` needs (2022 on: an anomalous clip and a normal clip of each domain; 2021: an
    anomalous and a normal clip of each domain): its AUC would be undefined, and a score over
    the other sections would pass part of the data for the whole."""
    needed = dict.fromkeys(
        need for metric in (*rule.pooled, *rule.machine_means) for need in NEEDS[metric]
    )
    lacking = []
    labelled = table.section_indices(
        lambda c: c.split == "test" and c.label != "unknown" and c.domain != "unknown"
    )
    for section, indices in labelled.items():
        clips = [table[i] for i in indices]
        missing = [
            _clip_kind(label, domain)
            for label, domain in needed
            if not any(c.label == label and domain in (None, c.domain) for c in clips)
        ]
        if missing:
            lacking.append(f"{section} (no {' and no '.join(missing)})")
    if lacking:
        named = "; ".join(lacking[:5]) + ("; ..." if len(lacking) > 5 else "")
        wanted = ", ".join(_clip_kind(label, domain) for label, domain in needed)
        raise DataError(
            f"{len(lacking)} section(s) cannot be scored officially: {named}; the {rule.name} "
            f"rule needs in every section's labelled test clips: {wanted}"
        )


def _clip_kind(label: str, domain: str | None) -> str:
    """``anomalous clip``, ``target-domain normal clip``..."""
    where = "" if domain is None else f"{domain}-domain "
    return f"{where}{'anomalous' if label == 'anomaly' else 'normal'} clip"


def check_disk_space(table: ClipTable, fmt: AudioFormat, folder: Path) -> None:
    """Refuse early, with the needed and available space, when the decoded audio (int16, each
    channel kept) cannot fit where the cache goes."""
    seconds = sum(clip.duration for clip in table)
    needed = int(seconds * fmt.sample_rate * fmt.channels * 2 * 1.05)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DataError(
            f"the audio cache needs about {needed / 1e9:.1f} GB in {folder}, but only "
            f"{free / 1e9:.1f} GB are free; free space or set ASDBENCH_CACHE_DIR elsewhere"
        )
