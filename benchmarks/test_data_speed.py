"""Building the int16 audio cache, against a bare ``soundfile.read`` loop over the same files
(the floor any decoder has to pay), measured in the same process."""

from __future__ import annotations

import time

import numpy as np
import pytest
import soundfile

from asdbench.data.audio_cache import AudioCache
from asdbench.testing.trees import write_wav

CLIPS, SECONDS = 200, 10.0


@pytest.fixture(scope="module")
def wav_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wavs")
    return [write_wav(folder / f"clip_{i:04d}.wav", seconds=SECONDS, seed=i) for i in range(CLIPS)]


def test_audio_cache_build(benchmark, wav_files, tmp_path):
    started = time.perf_counter()
    for path in wav_files:
        soundfile.read(str(path), dtype="int16")
    bare = time.perf_counter() - started
    counter = iter(range(1000))

    def build() -> AudioCache:
        return AudioCache.build(wav_files, tmp_path / f"cache-{next(counter)}", progress=False)

    cache = benchmark.pedantic(build, rounds=3, iterations=1)
    seconds = benchmark.stats.stats.median
    assert len(cache) == CLIPS and int(cache.lengths.sum()) == CLIPS * SECONDS * 16000
    benchmark.extra_info.update(
        {
            "clips_per_second": round(CLIPS / seconds, 1),
            "bare_read_clips_per_second": round(CLIPS / bare, 1),
            "ratio_to_bare_read": round(bare / seconds, 3),
        }
    )


def test_training_batches_from_the_cache(benchmark, wav_files, tmp_path):
    """Assembling a batch of 64 random 18 s crops (tile + crop + scale) from the memory map."""
    cache = AudioCache.build(wav_files, tmp_path / "cache", progress=False)
    rng = np.random.default_rng(0)
    rows = rng.integers(0, CLIPS, 64)
    offsets = rng.integers(0, 32_000, 64)
    batch = benchmark(cache.batch, rows, 288_000, offsets)
    assert batch.shape == (64, 288_000)
    benchmark.extra_info["clips_per_second"] = round(64 / benchmark.stats.stats.median, 1)
