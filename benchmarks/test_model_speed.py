"""Training and inference speed of dual_branch + adaproj at the paper's shape (18 s clips,
512-dim embeddings, 167 classes as DCASE2023 has), as clips/s and as the utilisation ratio:
achieved GFLOP/s over torch's counted FLOPs, divided by the float32 matmul GFLOP/s measured in
the same process. Batch 16 (the size the targets are stated for) and 64 (the paper's batch).

``ASDBENCH_BENCH_DEVICE=cuda`` runs them on the GPU (``benchmarks/gpu_check.sh``)."""

from __future__ import annotations

import os

import pytest
import torch
from speed import counted_flops, matmul_gflops, seconds_per_call

import asdbench
from asdbench.training.loop import keep_freed_memory, l2_penalty

SAMPLES, DIM, CLASSES = 288_000, 512, 167
DEVICE = torch.device(os.environ.get("ASDBENCH_BENCH_DEVICE", "cpu"))


@pytest.fixture(scope="module")
def peak() -> dict[str, float]:
    keep_freed_memory()  # as the trainer does
    return {
        "fp32": matmul_gflops(torch.float32, device=DEVICE),
        "bf16": matmul_gflops(torch.bfloat16, device=DEVICE),
    }


def model_and_loss():
    torch.manual_seed(0)
    embedder = asdbench.create(
        "embedder", "dual_branch", sample_rate=16000, clip_samples=SAMPLES, embedding_dim=DIM
    )
    loss = asdbench.create("loss", "adaproj", num_classes=CLASSES, embedding_dim=DIM)
    return embedder.to(DEVICE), loss.to(DEVICE)


def nominal_flops(embedder: torch.nn.Module, step) -> int:
    """The FLOPs of the model as specified: counted with the stem in its plain form, not the
    faster space-to-depth form whose zero kernel taps the counter would add."""
    stem = embedder.spectrogram.stem
    stem.space_to_depth = False
    try:
        return counted_flops(step)
    finally:
        stem.space_to_depth = True


def record(benchmark, clips: int, seconds: float, flops: int, peak: float) -> None:
    achieved = flops / seconds / 1e9
    benchmark.extra_info.update(
        {
            "clips_per_second": round(clips / seconds, 2),
            "gflop_per_clip": round(flops / clips / 1e9, 3),
            "achieved_gflops": round(achieved, 1),
            "matmul_peak_gflops": round(peak, 1),
            "utilisation": round(achieved / peak, 3),
        }
    )


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
@pytest.mark.parametrize("batch", [16, 64])
def test_training_step(benchmark, peak, batch, precision):
    embedder, loss = model_and_loss()
    optimizer = torch.optim.Adam(list(embedder.parameters()), lr=1e-3, eps=1e-7)
    waves = torch.randn(batch, SAMPLES, device=DEVICE)
    targets = torch.eye(CLASSES, device=DEVICE)[torch.randint(CLASSES, (batch,), device=DEVICE)]
    autocast = torch.autocast(DEVICE.type, dtype=torch.bfloat16, enabled=precision == "bf16")

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast:
            embeddings = embedder(waves)
        value = loss(embeddings.float(), targets) + 1e-5 * l2_penalty(embedder)
        value.backward()
        optimizer.step()

    flops = nominal_flops(embedder, step)
    seconds = seconds_per_call(step, warmup=1, repeats=3, device=DEVICE)
    benchmark.pedantic(step, rounds=1, iterations=1)
    record(benchmark, batch, seconds, flops, peak[precision])


@pytest.mark.parametrize("batch", [16, 64])
def test_inference(benchmark, peak, batch):
    embedder, _ = model_and_loss()
    embedder.eval()
    waves = torch.randn(batch, SAMPLES, device=DEVICE)

    def step() -> None:
        with torch.no_grad():
            embedder(waves)

    flops = nominal_flops(embedder, step)
    seconds = seconds_per_call(step, warmup=1, repeats=3, device=DEVICE)
    benchmark.pedantic(step, rounds=1, iterations=1)
    record(benchmark, batch, seconds, flops, peak["fp32"])
