"""Decoded audio of a clip table, stored once as one int16 file and memory-mapped.

Training reads random crops from this file instead of decoding WAVs again, and memory stays
bounded: the operating system pages in only the clips a batch needs. The cache is keyed by the
audio format and every file's path, size and modification time, and written atomically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asdbench.audio import AudioFormat, fit_length, read_clip
from asdbench.errors import DataError
from asdbench.paths import atomic_directory

DEFAULT_FORMAT = AudioFormat()
SAMPLES_FILE = "audio.int16"
INDEX_FILE = "index.json"


def cache_key(paths: Sequence[Path], fmt: AudioFormat) -> str:
    digest = hashlib.sha256(repr((fmt.sample_rate, fmt.resample, fmt.stereo)).encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


@dataclass
class AudioCache:
    """Every clip's int16 samples back to back; ``offsets[i]`` and ``lengths[i]`` locate clip i."""

    directory: Path
    files: list[str]
    offsets: np.ndarray
    lengths: np.ndarray
    samples: np.ndarray
    #: Files left out because they could not be decoded (with ``skip_bad_files``), and why.
    skipped: dict[str, str]

    @classmethod
    def open(cls, directory: Path) -> AudioCache:
        index = json.loads((directory / INDEX_FILE).read_text())
        samples = np.memmap(directory / SAMPLES_FILE, dtype=np.int16, mode="r")
        return cls(
            directory,
            index["files"],
            np.asarray(index["offsets"], dtype=np.int64),
            np.asarray(index["lengths"], dtype=np.int64),
            samples,
            index["skipped"],
        )

    @staticmethod
    def location(paths: Sequence[Path], root: Path, fmt: AudioFormat = DEFAULT_FORMAT) -> Path:
        """The folder of the cache for ``paths`` decoded to ``fmt`` under ``root``."""
        return root / f"audio-{cache_key(paths, fmt)}"

    @classmethod
    def exists(cls, paths: Sequence[Path], root: Path, fmt: AudioFormat = DEFAULT_FORMAT) -> bool:
        return (cls.location(paths, root, fmt) / INDEX_FILE).exists()

    @classmethod
    def build(
        cls,
        paths: Sequence[Path],
        root: Path,
        fmt: AudioFormat = DEFAULT_FORMAT,
        *,
        skip_bad_files: bool = False,
        progress: bool = True,
    ) -> AudioCache:
        """Decode ``paths`` into ``root/audio-<key>`` unless that cache exists already."""
        directory = cls.location(paths, root, fmt)
        if (directory / INDEX_FILE).exists():
            return cls.open(directory)
        from tqdm.auto import tqdm

        files, offsets, lengths, skipped = [], [], [], {}
        with atomic_directory(directory) as temporary:
            with (temporary / SAMPLES_FILE).open("wb") as out:
                position = 0
                for path in tqdm(paths, desc="decoding audio", unit="clip", disable=not progress):
                    try:
                        wave = read_clip(path, fmt)
                    except DataError as exc:
                        if not skip_bad_files:
                            raise
                        skipped[str(path)] = str(exc)
                        continue
                    out.write(wave.tobytes())
                    files.append(str(path))
                    offsets.append(position)
                    lengths.append(len(wave))
                    position += len(wave)
            index = {"files": files, "offsets": offsets, "lengths": lengths, "skipped": skipped}
            (temporary / INDEX_FILE).write_text(json.dumps(index))
        return cls.open(directory)

    def __len__(self) -> int:
        return len(self.files)

    def clip(self, i: int) -> np.ndarray:
        """Clip i's samples (a read-only view into the memory-mapped file)."""
        return self.samples[self.offsets[i] : self.offsets[i] + self.lengths[i]]

    def batch(self, indices: Sequence[int], length: int, offsets: Sequence[int]) -> np.ndarray:
        """Float32 waveforms ``[B, length]`` in [-1, 1), each clip tiled and cropped at its
        offset."""
        out = np.empty((len(indices), length), dtype=np.float32)
        for row, (i, offset) in enumerate(zip(indices, offsets, strict=True)):
            out[row] = fit_length(self.clip(i), length, offset)
        out *= 1.0 / 32768.0
        return out
