"""``asdbench sweep --executor ray`` on a real local Ray cluster (a head and a second worker node
on 127.0.0.1) with a real MLflow server: a worker killed mid-trial is retried, every trial ends
exactly once in MLflow, and the leaderboard equals the local executor's; an interrupted driver
leaves no run RUNNING, and sweeping again sends Ray only the trials that never finished."""

import dataclasses
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

from asdbench.errors import AsdbenchError
from asdbench.pipeline.ray_executor import _for_workers
from asdbench.pipeline.resolve import resolve

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
    """The leaderboard's rows (cell and partition) as JSON."""
    shown = subprocess.run(
        [str(BIN / "asdbench"), "leaderboard", "--format", "json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shown.returncode == 0, shown.stderr[-2000:]
    return json.loads(shown.stdout)["cells"]


def test_a_trial_takes_a_gpu_only_when_ray_reserves_one():
    config = resolve(loss="adaproj", embedder="dual_branch", backend="kmeans", dataset="synthetic")
    assert _for_workers(config, gpus_per_trial=0).device == "cpu"  # "auto" on a worker
    assert _for_workers(config, gpus_per_trial=1).device == "cuda"
    on_cuda = dataclasses.replace(config, device="cuda")
    with pytest.raises(AsdbenchError, match="needs --gpus-per-trial"):
        _for_workers(on_cuda, gpus_per_trial=0)
    placed = _for_workers(dataclasses.replace(config, data_dir=Path("data")), gpus_per_trial=0)
    assert placed.data_dir.is_absolute() and placed.output.is_absolute()


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
        training = any((tmp_path / "shared-cache").glob("trials/*/checkpoint.pt"))
        if running and training:  # a trial has finished an epoch: the workers are training
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


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_an_interrupted_ray_sweep_resubmits_only_what_is_missing(
    ray_cluster, mlflow_server, tmp_path, quick_run_args, stop
):
    address, ray_env = ray_cluster
    env = {
        **ray_env,
        "ASDBENCH_CACHE_DIR": str(tmp_path / "shared-cache"),
        "MLFLOW_TRACKING_URI": mlflow_server,
    }
    sweep = [str(BIN / "asdbench"), "sweep", "--loss", "adaproj", "--trials", "3", "--seed", "5"]
    sweep += [*quick_run_args, "--epochs", "2", "--executor", "ray", "--address", address]
    client = MlflowClient(mlflow_server)

    def trial_runs() -> list:
        experiment = client.get_experiment_by_name("asdbench-synthetic")
        if experiment is None:
            return []
        return client.search_runs([experiment.experiment_id], "tags.`asdbench.run_type` = 'trial'")

    # A scheduler's SIGTERM or a Ctrl-C once a trial has finished and another is training.
    first = subprocess.Popen(
        sweep, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    signalled = False
    deadline = time.time() + 400
    while not signalled and time.time() < deadline and first.poll() is None:
        runs = trial_runs()
        training = [
            r
            for r in runs
            if r.info.status == "RUNNING" and int(r.data.tags["asdbench.pid"]) in trial_processes()
        ]
        if training and any(r.info.status == "FINISHED" for r in runs):
            first.send_signal(stop)
            signalled = True
        time.sleep(0.2)
    _, stderr = first.communicate(timeout=300)
    assert signalled, "no moment with a finished and a running trial"
    assert first.returncode == 130 and "Interrupted." in stderr, stderr[-4000:]
    deadline = time.time() + 60
    while trial_processes() and time.time() < deadline:  # the driver cancelled its tasks
        time.sleep(0.5)
    assert not trial_processes()

    experiment = client.get_experiment_by_name("asdbench-synthetic")
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.status for r in runs if r.data.tags["asdbench.run_type"] == "cell"] == ["KILLED"]
    assert {r.info.status for r in runs} <= {"FINISHED", "KILLED"}  # nothing left RUNNING
    finished = {r.data.tags["asdbench.trial"] for r in trial_runs() if r.info.status == "FINISHED"}
    assert 1 <= len(finished) < 3
    # A trial stopped while logging its results (its run KILLED) has its model and embeddings
    # in the trial cache already: the cache, which a second sweep reads, is what counts.
    cached = len(list((tmp_path / "shared-cache" / "trials").glob("*/embeddings.npy")))
    assert len(finished) <= cached <= 3

    # Sweeping again sends Ray only the trials that were never trained; the driver scores the
    # others from the trial cache, under the cell's new parent run.
    second = subprocess.Popen(
        sweep, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    _, stderr = second.communicate(timeout=600)
    assert second.returncode == 0, stderr[-4000:]
    assert f"submitted {3 - cached} trials of 1 cells; {cached} trained earlier" in stderr
    runs = client.search_runs([experiment.experiment_id])
    parent = [
        r
        for r in runs
        if r.data.tags["asdbench.run_type"] == "cell" and r.info.status == "FINISHED"
    ]
    assert len(parent) == 1
    trials = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent[0].info.run_id]
    assert sorted(r.data.tags["asdbench.trial"] for r in trials) == ["0", "1", "2"]
    assert {r.info.status for r in trials} == {"FINISHED"}
    reused = {
        r.data.tags["asdbench.trial"]
        for r in trials
        if r.data.tags["asdbench.trial_cache"] == "reused"
    }
    assert finished <= reused and len(reused) == cached
    for run in trials:
        in_driver = run.data.tags["asdbench.pid"] == str(second.pid)
        assert in_driver == (run.data.tags["asdbench.trial"] in reused)
    board = leaderboard(env, tmp_path)
    assert len(board) == 2 and {row["trials"] for row in board} == {3}
