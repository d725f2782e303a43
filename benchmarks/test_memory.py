"""Bounded memory at full scale: the peak resident memory of a whole training process on the
synthetic dataset written at DCASE2023 scale (7 + 7 machine types, 1000 training and 200 test
clips each, 18 s clips: 9.7 GB of int16, 19 GB as float32) stays under 4 GB, and the data adds
almost nothing to what the same process needs on a tiny dataset of the same clip length.

The first run writes the dataset (about 20 minutes on 2 cores, 10 GB of WAV files, plus 10 GB
for the audio cache) under ``$ASDBENCH_FULLSCALE_DATA`` (default: the asdbench cache folder);
later runs reuse it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from asdbench.paths import cache_dir

PROBE = Path(__file__).with_name("memory_probe.py")
LIMIT_GB = 4.0
BATCH, STEPS, SECONDS = 16, 40, 18.0
NEEDED_GB = 22


def probe(size: str, data_dir: str | None) -> dict:
    command = [sys.executable, str(PROBE), "--size", size, "--clip-seconds", str(SECONDS)]
    command += ["--batch-size", str(BATCH), "--steps", str(STEPS)]
    if data_dir:
        command += ["--data-dir", data_dir]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_full_scale_training_memory(benchmark):
    data_dir = os.environ.get("ASDBENCH_FULLSCALE_DATA")
    written = Path(data_dir or cache_dir()).exists()
    free_gb = shutil.disk_usage(Path(data_dir or cache_dir()).parent).free / 1e9
    if not written and free_gb < NEEDED_GB:
        pytest.skip(f"the full-scale dataset needs about {NEEDED_GB} GB; {free_gb:.0f} GB free")
    small = probe("tiny", None)
    full = benchmark.pedantic(probe, args=("full", data_dir), rounds=1, iterations=1)
    benchmark.extra_info.update(
        {
            "full_scale": full,
            "tiny_scale_peak_rss_gb": round(small["peak_rss_gb"], 3),
            "data_added_gb": round(full["peak_rss_gb"] - small["peak_rss_gb"], 3),
        }
    )
    assert full["machine_types"] == 14 and full["train_clips"] == 14_000
    assert full["dataset_gb_float32"] > 16
    assert full["peak_rss_gb"] < LIMIT_GB, full
