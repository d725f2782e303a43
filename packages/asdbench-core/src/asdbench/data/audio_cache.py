"""Decoded audio of a clip table, stored once as one int16 file (two-channel clips
interleaved, frame by frame, as in a WAV file).

Training reads random crops from this file instead of decoding WAVs again. Reads are positioned
reads (``os.pread``) of just the window a batch needs, not a memory map: mapped pages count in
the process's resident memory, so an epoch over DCASE2023-scale data (8 GB of int16) through a
map would show gigabytes of RSS, while positioned reads leave the data in the page cache,
shared and reclaimable, and keep the process small. The cache is keyed by the audio format and
every file's path, size and modification time, written atomically, and decoded by a pool of
``workers`` threads (libsndfile and the resampler release the GIL).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from asdbench.data.audio import NUMERICS_VERSION, AudioFormat, fit_length, read_clip
from asdbench.errors import DataError
from asdbench.files import atomic_directory

DEFAULT_FORMAT = AudioFormat()
SAMPLES_FILE = "audio.int16"
INDEX_FILE = "index.json"


def cache_key(paths: Sequence[Path], fmt: AudioFormat) -> str:
    decoding = (NUMERICS_VERSION, fmt.sample_rate, fmt.resample, fmt.stereo)
    digest = hashlib.sha256(repr(decoding).encode())
    for path in paths:
        stat = path.stat()
        digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


@dataclass
class AudioCache:
    """Every clip's int16 samples back to back; ``offsets[i]`` and ``lengths[i]`` locate clip i
    (in frames: one sample of each channel)."""

    directory: Path
    files: list[str]
    offsets: np.ndarray
    lengths: np.ndarray
    #: Files left out because they could not be decoded (with ``skip_bad_files``), and why.
    skipped: dict[str, str]
    #: Channels per frame (``AudioFormat.channels``).
    channels: int = 1

    @classmethod
    def open(cls, directory: Path) -> AudioCache:
        index = json.loads((directory / INDEX_FILE).read_text())
        return cls(
            directory,
            index["files"],
            np.asarray(index["offsets"], dtype=np.int64),
            np.asarray(index["lengths"], dtype=np.int64),
            index["skipped"],
            index.get("channels", 1),
        )

    def __post_init__(self) -> None:
        self._file = (self.directory / SAMPLES_FILE).open("rb")

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
        workers: int = 1,
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
                decoded = tqdm(
                    _decode(paths, fmt, workers),
                    total=len(paths),
                    desc="decoding audio",
                    unit="clip",
                    disable=not progress,
                )
                for path, wave in decoded:
                    if isinstance(wave, DataError):
                        if not skip_bad_files:
                            raise wave
                        skipped[str(path)] = str(wave)
                        continue
                    out.write(np.ascontiguousarray(wave).tobytes())
                    files.append(str(path))
                    offsets.append(position)
                    lengths.append(len(wave))
                    position += len(wave)
            index = {
                "files": files,
                "offsets": offsets,
                "lengths": lengths,
                "skipped": skipped,
                "channels": fmt.channels,
            }
            (temporary / INDEX_FILE).write_text(json.dumps(index))
        return cls.open(directory)

    def __len__(self) -> int:
        return len(self.files)

    def _read(self, i: int, start: int, count: int) -> np.ndarray:
        width = 2 * self.channels  # bytes per frame
        data = os.pread(self._file.fileno(), width * count, width * int(self.offsets[i] + start))
        if len(data) != width * count:
            raise DataError(f"{self.directory / SAMPLES_FILE}: truncated (clip {self.files[i]})")
        samples = np.frombuffer(data, dtype=np.int16)
        return samples if self.channels == 1 else samples.reshape(count, self.channels)

    def clip(self, i: int) -> np.ndarray:
        """Clip i's samples: ``[frames]``, or ``[frames, channels]`` for several channels."""
        return self._read(i, 0, int(self.lengths[i]))

    def window(self, i: int, length: int, offset: int) -> np.ndarray:
        """``fit_length(clip(i), length, offset)``, reading only the window when the clip is
        long enough."""
        if length <= self.lengths[i] and 0 <= offset <= self.lengths[i] - length:
            return self._read(i, offset, length)
        return fit_length(self.clip(i), length, offset)

    def batch(self, indices: Sequence[int], length: int, offsets: Sequence[int]) -> np.ndarray:
        """Float32 waveforms in [-1, 1), each clip tiled and cropped at its offset: ``[B,
        length]``, or ``[B, channels, length]`` for several channels (what an embedder takes)."""
        shape = (
            (len(indices), length) if self.channels == 1 else (len(indices), self.channels, length)
        )
        out = np.empty(shape, dtype=np.float32)
        for row, (i, offset) in enumerate(zip(indices, offsets, strict=True)):
            out[row] = self.window(int(i), length, int(offset)).T
        out *= 1.0 / 32768.0
        return out


def _read_or_error(path: Path, fmt: AudioFormat) -> np.ndarray | DataError:
    try:
        return read_clip(path, fmt)
    except DataError as exc:
        return exc


def _decode(
    paths: Sequence[Path], fmt: AudioFormat, workers: int
) -> Iterator[tuple[Path, np.ndarray | DataError]]:
    """Each path with its samples (or its error), in order, decoded by ``workers`` threads with
    at most ``4 * workers`` clips in flight (bounded memory)."""
    if workers <= 1:
        for path in paths:
            yield path, _read_or_error(path, fmt)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="asdbench-decode") as pool:
        waiting: deque[tuple[Path, Future]] = deque()
        for path in paths:
            waiting.append((path, pool.submit(_read_or_error, path, fmt)))
            if len(waiting) >= 4 * workers:
                done, future = waiting.popleft()
                yield done, future.result()
        while waiting:
            done, future = waiting.popleft()
            yield done, future.result()
