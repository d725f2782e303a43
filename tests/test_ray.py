"""``asdbench sweep --executor ray`` on a real local Ray cluster (a head and a second worker node
on 127.0.0.1) with a real MLflow server: a worker killed mid-trial is retried, every trial ends
exactly once in MLflow, and the leaderboard equals the local executor's."""

import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
GRID = ["--loss", "adaproj", "--loss", "adacos", "--trials", "2", "--seed", "3"]


@pytest.fixture
def ray_cluster(tmp_path):
    """``ray start --head`` on 127.0.0.1 plus a second worker node, one CPU each."""
    temp = tempfile.mkdtemp(prefix="/tmp/ray-")  # socket paths must stay short
    env = {
        **os.environ,
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",  # the cluster's token, shared by the nodes and the driver
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }
    port = 6379 + os.getpid() % 1000
    common = ["--num-cpus", "1", "--object-store-memory", "200000000", "--disable-usage-stats"]
    head = [
        str(BIN / "ray"),
        "start",
        "--head",
        "--node-ip-address",
        "127.0.0.1",
        "--port",
        str(port),
        "--include-dashboard=false",
        "--temp-dir",
        temp,
        *common,
    ]
    address = f"127.0.0.1:{port}"
    try:
        subprocess.run(head, check=True, env=env, capture_output=True, timeout=180)
        worker = [str(BIN / "ray"), "start", "--address", address, *common]
        worker += ["--node-ip-address", "127.0.0.1"]
        subprocess.run(worker, check=True, env=env, capture_output=True, timeout=180)
        yield address, env
    finally:
        subprocess.run([str(BIN / "ray"), "stop", "--force"], env=env, capture_output=True)


def trial_processes() -> list[int]:
    """Ray workers running a trial (Ray titles a worker ``ray::<task name>``)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if title.startswith("ray::asdbench trial"):
            found.append(int(entry.name))
    return found


def leaderboard(env: dict[str, str], cwd: Path) -> list[dict]:
    shown = subprocess.run(
        [str(BIN / "asdbench"), "leaderboard", "--format", "json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    return json.loads(shown.stdout)


def test_ray_sweep_survives_a_killed_worker(ray_cluster, mlflow_server, tmp_path, quick_run_args):
    address, ray_env = ray_cluster
    sweep = [str(BIN / "asdbench"), "sweep", *GRID, *quick_run_args, "--epochs", "2"]
    env = {**ray_env, "ASDBENCH_CACHE_DIR": str(tmp_path / "shared-cache")}

    # Two nodes and a local sqlite store: refused, with the reason, before anything runs.
    local_store = {**env, "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'local.db'}"}
    refused = subprocess.run(
        [*sweep, "--executor", "ray", "--address", address],
        env=local_store,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 2, refused.stderr[-2000:]
    assert "the Ray cluster has 2 nodes but MLflow logs to sqlite" in refused.stderr

    env["MLFLOW_TRACKING_URI"] = mlflow_server
    process = subprocess.Popen(
        [*sweep, "--executor", "ray", "--address", address, "--cpus-per-trial", "1"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    client = MlflowClient(mlflow_server)
    killed = None  # (trial run, worker pid): a worker killed in the middle of a trial
    deadline = time.time() + 400
    while killed is None and time.time() < deadline and process.poll() is None:
        experiment = client.get_experiment_by_name("asdbench-synthetic")
        running = experiment and client.search_runs(
            [experiment.experiment_id],
            "tags.`asdbench.run_type` = 'trial' and attributes.status = 'RUNNING'",
        )
        if running:
            time.sleep(1.0)  # into its training
            pid = int(running[0].data.tags["asdbench.pid"])
            if pid in trial_processes():
                os.kill(pid, signal.SIGKILL)
                killed = (running[0].info.run_id, pid)
        time.sleep(0.2)
    _, stderr = process.communicate(timeout=900)
    assert killed is not None, "no trial was running to be killed"
    assert process.returncode == 0, stderr[-4000:]

    experiment = client.get_experiment_by_name("asdbench-synthetic")
    runs = client.search_runs([experiment.experiment_id])
    parents = [r for r in runs if r.data.tags["asdbench.run_type"] == "cell"]
    trials = [r for r in runs if r.data.tags["asdbench.run_type"] == "trial"]
    assert len(parents) == 2 and {r.info.status for r in parents} == {"FINISHED"}
    assert sorted(
        (r.data.tags["mlflow.parentRunId"], r.data.tags["asdbench.trial"]) for r in trials
    ) == sorted((p.info.run_id, t) for p in parents for t in ("0", "1"))  # each trial once
    assert {r.info.status for r in trials} == {"FINISHED"}
    retried = client.get_run(killed[0])  # the killed trial, rerun by Ray in the same run
    assert retried.info.status == "FINISHED" and retried.data.tags["asdbench.pid"] != str(killed[1])
    assert all(r.data.tags["asdbench.executor"] == "ray" for r in trials)
    assert all(r.data.tags["asdbench.ray_node"] for r in trials)
    ray_board = leaderboard(env, tmp_path)
    assert len(ray_board) == 4  # 2 losses x dev/eval, every cell complete
    assert {row["trials"] for row in ray_board} == {2}

    # The same grid and seeds with the local executor (its own store and caches, one thread as
    # each Ray trial has) gives the same leaderboard.
    local_env = {
        **env,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'local-executor.db'}",
        "ASDBENCH_CACHE_DIR": str(tmp_path / "local-cache"),
    }
    local = subprocess.run(
        [*sweep, "--executor", "local", "--num-workers", "1"],
        env=local_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert local.returncode == 0, local.stderr[-3000:]
    local_board = leaderboard(local_env, tmp_path)

    def comparable(rows: list[dict]) -> list[dict]:
        return sorted(
            ({k: v for k, v in row.items() if k != "run_id"} for row in rows),
            key=lambda row: (row["loss"], row["partition"]),
        )

    assert comparable(ray_board) == comparable(local_board)
