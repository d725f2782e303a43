"""Tiny DCASE trees for tests: real WAV files in the real layouts, written in milliseconds."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np


def write_wav(
    path: Path,
    *,
    seconds: float = 0.05,
    sample_rate: int = 16000,
    channels: int = 1,
    subtype: str = "PCM_16",
    seed: int = 0,
    samples: np.ndarray | None = None,
) -> Path:
    """Write a short noise clip (or ``samples``) as a real WAV file; returns ``path``."""
    import soundfile

    path.parent.mkdir(parents=True, exist_ok=True)
    if samples is None:
        rng = np.random.default_rng(seed)
        shape = (
            (round(seconds * sample_rate), channels)
            if channels > 1
            else round(seconds * sample_rate)
        )
        samples = (0.1 * rng.standard_normal(shape)).astype(np.float32)
    soundfile.write(str(path), samples, sample_rate, subtype=subtype)
    return path


def write_clips(folder: Path, names: Iterable[str], **options: object) -> list[Path]:
    """One short WAV per name in ``folder`` (each with its own noise)."""
    return [
        write_wav(folder / name, seed=number, **options)  # type: ignore[arg-type]
        for number, name in enumerate(names)
    ]


def write_ground_truth_csv(
    folder: Path, kind: str, machine: str, section: str, rows: Iterable[tuple[str, int]]
) -> Path:
    """One evaluator-format file:
    ``<folder>/ground_truth_<kind>/ground_truth_<machine>_section_<SS>_test.csv``."""
    path = folder / f"ground_truth_{kind}" / f"ground_truth_{machine}_section_{section}_test.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{name},{value}\n" for name, value in rows))
    return path
