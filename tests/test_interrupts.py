"""A run stopped by SIGTERM or Ctrl-C is marked KILLED in MLflow and resumes from its
checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopped_run_is_killed_in_mlflow_and_resumes(
    mlflow_tracking, tmp_path, tiny_run_args, stop
):
    program = Path(sys.executable).parent / "asdbench"
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}
    command = [str(program), "run", *tiny_run_args, "--epochs", "3"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    deadline = time.time() + 300
    while not list(cache.glob("trials/*/checkpoint.pt")) and time.time() < deadline:
        time.sleep(0.2)
    process.send_signal(stop)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Interrupted." in stderr and "Traceback" not in stderr

    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("asdbench-synthetic").experiment_id])
    assert {r.info.status for r in runs} == {"KILLED"}  # parent and trial, not RUNNING forever

    resumed = subprocess.run(
        [*command, "--resume"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from epoch" in resumed.stderr


def test_unreachable_tracking_server_fails_before_training(tmp_path, tiny_run_args):
    import socket

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    program = Path(sys.executable).parent / "asdbench"
    env = {
        **os.environ,
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
        "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{port}",
    }
    started = time.time()
    result = subprocess.run(
        [str(program), "run", *tiny_run_args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert result.returncode == 2
    assert f"the MLflow tracking server http://127.0.0.1:{port} does not answer" in result.stderr
    assert time.time() - started < 60
    assert not (tmp_path / "cache" / "trials").exists()  # nothing was trained
    assert not (tmp_path / "asdbench-output").exists()  # nor half-written


def checkpoint_epoch(cache: Path) -> int:
    import torch

    for path in cache.glob("trials/*/checkpoint.pt"):
        try:
            return int(torch.load(path, weights_only=True)["epoch"])
        except (OSError, RuntimeError, EOFError):
            return 0  # replaced while being read: look again
    return 0


def test_a_second_interruption_during_resume_is_recoverable(
    mlflow_tracking, tmp_path, tiny_run_args
):
    program = Path(sys.executable).parent / "asdbench"
    command = [str(program), "run", *tiny_run_args, "--epochs", "4", "--format", "json"]
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}

    def run_until(epoch: int, *extra: str) -> None:
        process = subprocess.Popen(
            [*command, *extra],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.time() + 300
        while checkpoint_epoch(cache) < epoch and time.time() < deadline:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 130, stderr[-2000:]

    run_until(1)
    run_until(2, "--resume")  # interrupted again while resuming
    resumed = subprocess.run(
        [*command, "--resume"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 0 and "resuming from epoch" in resumed.stderr
    reference_env = {**env, "ASDBENCH_CACHE_DIR": str(tmp_path / "reference-cache")}
    reference = subprocess.run(
        command, env=reference_env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert reference.returncode == 0, reference.stderr[-2000:]
    got, expected = json.loads(resumed.stdout), json.loads(reference.stdout)
    for partition in ("dev", "eval"):
        assert got[partition]["official_score"] == expected[partition]["official_score"]
        assert got[partition]["sections"] == expected[partition]["sections"]
