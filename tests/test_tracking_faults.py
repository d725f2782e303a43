"""The MLflow server goes away during a run, or is not there at the start: the run goes on, its
tracking is kept locally, and ``asdbench sync`` uploads it to the server afterwards."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from asdbench.testing import official_score_by_hand, tree_truth

pytestmark = pytest.mark.slow

PROGRAM = str(Path(sys.executable).parent / "asdbench")


def environment(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MLFLOW_TRACKING_URI": url,
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
    }


def runs_of(client: MlflowClient, experiment: str = "asdbench-synthetic") -> list:
    found = client.get_experiment_by_name(experiment)
    return client.search_runs([found.experiment_id]) if found else []


def sync(env: dict[str, str], *paths: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROGRAM, "sync", *paths], env=env, capture_output=True, text=True, cwd=cwd, timeout=300
    )


def test_server_lost_mid_run_then_synced(mlflow_server_process, tmp_path, tiny_run_args):
    server = mlflow_server_process
    server.start()
    env = environment(server.url, tmp_path)
    output = tmp_path / "out"
    process = subprocess.Popen(
        [
            PROGRAM,
            "run",
            *tiny_run_args,
            "--trials",
            "2",
            "--format",
            "json",
            "--output",
            str(output),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    client = MlflowClient(server.url)
    deadline = time.time() + 300
    while time.time() < deadline and process.poll() is None:
        if any(r.data.tags.get("asdbench.run_type") == "trial" for r in runs_of(client)):
            break
        time.sleep(0.2)
    server.stop()  # trial 0 is training: the server goes away under it
    stdout, stderr = process.communicate(timeout=600)
    assert process.returncode == 0, stderr[-3000:]
    assert "Traceback" not in stderr
    assert "is unavailable" in stderr and "asdbench sync" in stderr
    report = json.loads(stdout)
    assert report["sync"].startswith(f"asdbench sync {output / 'mlflow-offline'}")

    server.start()
    uploaded = sync(env, cwd=tmp_path)
    # the default root is ./asdbench-output: this run wrote to --output, so nothing there
    assert uploaded.returncode == 2 and "asdbench-output: no such folder" in uploaded.stderr
    uploaded = sync(env, str(output), cwd=tmp_path)
    assert uploaded.returncode == 0, uploaded.stderr[-3000:]

    runs = runs_of(client)
    [parent] = [r for r in runs if r.data.tags["asdbench.run_type"] == "cell"]
    trials = sorted(
        (r for r in runs if r.data.tags["asdbench.run_type"] == "trial"),
        key=lambda r: r.data.tags["asdbench.trial"],
    )
    assert uploaded.stdout.split() == [parent.info.run_id]
    assert parent.info.run_id == report["run_id"]  # the run begun on the server, completed
    assert [r.data.tags["mlflow.parentRunId"] for r in trials] == [parent.info.run_id] * 2
    assert {r.info.status for r in runs} == {"FINISHED"}
    assert trials[1].data.metrics["eval/official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )
    assert parent.data.metrics["eval/official_score_mean"] == pytest.approx(
        report["trials"]["eval/official_score_mean"]
    )
    for trial in trials:
        assert trial.data.params["trial_seed"]
        assert len(client.get_metric_history(trial.info.run_id, "train/loss")) == 20
        weights = {a.path for a in client.list_artifacts(trial.info.run_id, "weights")}
        assert weights == {"weights/weights.pt"}
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id)}
    assert {"leaderboard.md", "config", "submission"} <= artifacts

    again = sync(env, str(output), cwd=tmp_path)
    assert again.returncode == 0 and "nothing to upload" in again.stderr
    assert len(runs_of(client)) == 3

    # A replay stopped right after creating runs is repeated without duplicating them.
    [journal] = (output / "mlflow-offline").iterdir()
    entries = [json.loads(line) for line in (journal / "journal.jsonl").open()]
    first_start = next(i for i, e in enumerate(entries) if e["op"] == "start")
    (journal / "synced.json").write_text(json.dumps({"entries": first_start, "ids": {}}))
    assert sync(env, str(output), cwd=tmp_path).returncode == 0
    assert len(runs_of(client)) == 3


def test_unreachable_at_start_with_local_fallback(mlflow_server_process, tmp_path, quick_run_args):
    server = mlflow_server_process  # not started yet
    env = environment(server.url, tmp_path)
    result = subprocess.run(
        [PROGRAM, "run", *quick_run_args, "--tracking-fallback", "local"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "does not answer" in result.stderr
    assert "MLflow run: kept locally; upload it with: asdbench sync" in result.stdout
    listed = sync(env, "--dry-run", cwd=tmp_path)
    assert listed.returncode == 0 and "entries to upload" in listed.stderr

    server.start()
    uploaded = sync(env, cwd=tmp_path)  # default: ./asdbench-output
    assert uploaded.returncode == 0, uploaded.stderr[-3000:]
    runs = runs_of(MlflowClient(server.url))
    assert {r.data.tags["asdbench.run_type"] for r in runs} == {"cell", "trial"}
    assert {r.info.status for r in runs} == {"FINISHED"}
    [trial] = [r for r in runs if r.data.tags["asdbench.run_type"] == "trial"]
    # The uploaded figures are those of the files the run wrote, computed by hand.
    [tree] = (tmp_path / "cache" / "synthetic").iterdir()
    [system] = (tmp_path / "asdbench-output").glob("synthetic/*/submission/asdbench/*")
    for partition in ("dev", "eval"):
        assert trial.data.metrics[f"{partition}/official_score"] == pytest.approx(
            100 * official_score_by_hand(system, tree_truth(tree, partition)), abs=1e-10
        )
