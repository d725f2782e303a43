"""Shared measurement helpers for the benchmarks: the machine's matmul peak, counted FLOPs and
steady-state step times, all measured in the same process so ratios hold on a noisy machine."""

from __future__ import annotations

import time
from collections.abc import Callable

import torch
from torch.utils.flop_counter import FlopCounterMode

CPU = torch.device("cpu")


def synchronize(device: torch.device) -> None:
    """Wait for queued GPU work (CUDA calls return before the work is done)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_gflops(
    dtype: torch.dtype = torch.float32,
    size: int = 2048,
    seconds: float = 2.0,
    device: torch.device = CPU,
) -> float:
    """Sustained GFLOP/s of a square matrix multiply: the machine's practical peak."""
    if device.type == "cuda":
        size = 8192
    a = torch.randn(size, size, dtype=dtype, device=device)
    b = torch.randn(size, size, dtype=dtype, device=device)
    a @ b  # warm up
    synchronize(device)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        a @ b
        count += 1
        synchronize(device)
    return 2 * size**3 * count / (time.perf_counter() - started) / 1e9


def counted_flops(step: Callable[[], None]) -> int:
    """FLOPs of one call of ``step`` as torch's flop counter counts them (matmuls, convs)."""
    with FlopCounterMode(display=False) as counter:
        step()
    return counter.get_total_flops()


def seconds_per_call(
    step: Callable[[], None],
    warmup: int = 2,
    repeats: int = 5,
    device: torch.device = CPU,
) -> float:
    """Median wall time of ``step`` after warm-up calls."""
    for _ in range(warmup):
        step()
    synchronize(device)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        step()
        synchronize(device)
        times.append(time.perf_counter() - started)
    return sorted(times)[len(times) // 2]
