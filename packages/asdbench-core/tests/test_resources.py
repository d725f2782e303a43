"""Workers and threads are bounded by the cores the process may use (affinity and cgroup
quota), not by the machine's core count."""

import os

import pytest
import torch

from asdbench.errors import OptionError
from asdbench.pipeline.resources import (
    available_cores,
    bounded_workers,
    cgroup_cpu_limit,
    use_threads,
)


def test_cgroup_v2_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.5
    assert available_cores(tmp_path) == min(2, len(os.sched_getaffinity(0)))
    (tmp_path / "cpu.max").write_text("50000 100000\n")
    assert available_cores(tmp_path) == 1  # half a core still gets one worker
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert cgroup_cpu_limit(tmp_path) is None
    assert available_cores(tmp_path) == len(os.sched_getaffinity(0))


def test_cgroup_v1_quota(tmp_path):
    (tmp_path / "cpu").mkdir()
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("100000\n")
    (tmp_path / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert cgroup_cpu_limit(tmp_path) == 1.0
    assert available_cores(tmp_path) == 1
    (tmp_path / "cpu" / "cpu.cfs_quota_us").write_text("-1\n")
    assert cgroup_cpu_limit(tmp_path) is None


def test_no_cgroup_files(tmp_path):
    assert cgroup_cpu_limit(tmp_path / "missing") is None


def test_workers_are_cut_to_the_cores_with_a_warning():
    said: list[str] = []
    assert bounded_workers(None, said.append, cores=2) == 2
    assert bounded_workers(1, said.append, cores=2) == 1
    assert said == []
    assert bounded_workers(64, said.append, cores=2) == 2
    assert said == ["warning: --num-workers 64 exceeds the 2 cores available; using 2"]
    with pytest.raises(OptionError, match="at least 1"):
        bounded_workers(0, said.append, cores=2)


def test_use_threads_sets_torch_threads():
    before = torch.get_num_threads()
    try:
        use_threads(1)
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
