"""The pipeline against a real ``mlflow server`` on 127.0.0.1, read back through the client."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow


def test_run_against_a_real_tracking_server(mlflow_server, tmp_path, tiny_run_args):
    program = Path(sys.executable).parent / "asdbench"
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": mlflow_server,
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
    }
    result = subprocess.run(
        [
            str(program),
            "run",
            *tiny_run_args,
            "--format",
            "json",
            "--output",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert f"MLflow run: {mlflow_server}/#/experiments/" in result.stderr  # not in the JSON

    client = MlflowClient(tracking_uri=mlflow_server)
    parent = client.get_run(report["run_id"])
    assert parent.info.status == "FINISHED"
    experiment = client.get_experiment(parent.info.experiment_id)
    assert experiment.name == "asdbench-synthetic"
    [trial] = client.search_runs(
        [experiment.experiment_id], f"tags.mlflow.parentRunId = '{parent.info.run_id}'"
    )
    for run in (parent, trial):
        for key in (
            "asdbench.loss",
            "asdbench.embedder",
            "asdbench.backend",
            "asdbench.dataset",
            "asdbench.cell",
            "asdbench.pkg.asdbench-core",
        ):
            assert key in run.data.tags, key
    assert trial.data.metrics["eval/official_score"] == pytest.approx(
        report["eval"]["official_score"]
    )
    assert trial.data.metrics["time/train_clips_per_second"] > 0
    assert len(client.get_metric_history(trial.info.run_id, "train/loss")) == 20
    names = {a.path for a in client.list_artifacts(trial.info.run_id, "submission/asdbench")}
    [system] = names
    files = {a.path.rsplit("/", 1)[-1] for a in client.list_artifacts(trial.info.run_id, system)}
    assert "anomaly_score_valve_section_00_test.csv" in files
    assert "decision_result_rotor_section_00_test.csv" in files
    weights = client.download_artifacts(trial.info.run_id, "weights/weights.pt", str(tmp_path))
    assert set(torch.load(weights, weights_only=True)) == {"embedder", "loss"}


def test_a_test_server_whose_port_was_taken_meanwhile_moves_to_another(mlflow_server_process):
    """The port a test server probes as free can be bound by another process before the server
    binds it; the other process's answer must not pass for the server's (the tests wait for
    the server's own log line), and the server moves to another free port."""
    import socket

    server = mlflow_server_process  # not started yet
    taken = server.port
    with socket.socket() as other:
        other.bind(("127.0.0.1", taken))
        other.listen()
        try:
            server.start()
            assert server.port != taken
            assert MlflowClient(server.url).search_experiments()
        finally:
            server.stop()
