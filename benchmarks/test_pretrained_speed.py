"""The pretrained encoders at their published size (random weights in the published format:
the same arithmetic as the released checkpoints) on 10 s clips, beside the dual-branch network:
embedding throughput and peak memory of the frozen encoders, and the time of one training step
of the LoRA-tuned ones (AdaProj loss, LoRA rank 64 on q and v / on qkv, batch 8). Each figure
comes from a fresh process (``pretrained_probe.py``) so that its peak memory is its own.

``ASDBENCH_BENCH_DEVICE=cuda`` runs them on the GPU (``benchmarks/gpu_check.sh``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROBE = Path(__file__).with_name("pretrained_probe.py")


def probe(embedder: str, mode: str, batch_size: int = 8) -> dict:
    command = [sys.executable, str(PROBE), "--embedder", embedder, "--mode", mode]
    done = subprocess.run(
        [*command, "--batch-size", str(batch_size)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("embedder", ["beats", "eat", "dual_branch"])
def test_embedding(benchmark, embedder):
    report = benchmark.pedantic(probe, args=(embedder, "embed"), rounds=1, iterations=1)
    benchmark.extra_info.update(report)


@pytest.mark.parametrize("embedder", ["beats_lora", "eat_lora", "dual_branch"])
def test_training_step(benchmark, embedder):
    report = benchmark.pedantic(probe, args=(embedder, "train"), rounds=1, iterations=1)
    benchmark.extra_info.update(report)
