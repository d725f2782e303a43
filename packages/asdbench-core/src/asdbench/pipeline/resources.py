"""What this machine gives a run: the device it asked for, how many CPU cores this process
may use, and bounding workers and threads to them.

``os.cpu_count()`` counts the machine's cores, not the ones a process may run on: under
``taskset``, Slurm, Docker or Kubernetes that overcounts, and torch or a decoding pool sized by
it oversubscribes the cores and runs slower. The cores available are the affinity mask, capped
by a cgroup CPU quota when there is one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path

from asdbench.errors import OptionError

CGROUP = Path("/sys/fs/cgroup")


def cgroup_cpu_limit(root: Path = CGROUP) -> float | None:
    """The CPU quota in cores (cgroup v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``), or None."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 else quota / period
    except (OSError, ValueError):
        return None


def available_cores(root: Path = CGROUP) -> int:
    """Cores this process may run on: the affinity mask, capped by the cgroup quota."""
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:  # pragma: no cover - macOS, Windows
        cores = os.cpu_count() or 1
    limit = cgroup_cpu_limit(root)
    if limit is not None:
        cores = min(cores, max(1, math.ceil(limit)))
    return max(1, cores)


def bounded_workers(
    requested: int | None, echo: Callable[[str], None], cores: int | None = None
) -> int:
    """``requested`` workers, at most the cores available (default: all of them)."""
    cores = cores or available_cores()
    if requested is None:
        return cores
    if requested < 1:
        raise OptionError(f"--num-workers must be at least 1, got {requested}")
    if requested > cores:
        echo(
            f"warning: --num-workers {requested} exceeds the {cores} cores available; using {cores}"
        )
        return cores
    return requested


def use_threads(count: int) -> None:
    """Torch's intra-op threads (convolutions, matrix products) for this process."""
    import torch

    torch.set_num_threads(count)


#: The devices a run may ask for (``auto``: CUDA when torch sees a GPU, else the CPU).
DEVICES = ("auto", "cpu", "cuda")


def check_device(device: str) -> None:
    """Refuse, before any work, a device that is not one of ``DEVICES`` or, for ``cuda``, one
    this machine does not have (a Ray worker checks its own)."""
    if device not in DEVICES:
        raise OptionError(f"device must be one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise OptionError("device cuda: no CUDA device is available (torch sees none)")
