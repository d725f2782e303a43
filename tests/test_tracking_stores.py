"""Tracking stores a run cannot log to are one line and exit status 2 before any work; two runs
starting together on a new sqlite store both succeed (the first creates it, the other waits)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

pytestmark = pytest.mark.slow
PROGRAM = str(Path(sys.executable).parent / "asdbench")


def asdbench(env, cwd, *args, **options):
    return subprocess.run(
        [PROGRAM, *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600, **options
    )


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("./mlruns", "a file store, which MLflow 3 no longer writes to; use sqlite:///"),
        ("file:///tmp/asdbench-mlruns", "a file store, which MLflow 3 no longer writes to"),
        ("bogus://x", "not a tracking store MLflow knows"),
        ("sqlite:////nonexistent-folder/mlflow.db", "the folder /nonexistent-folder does not"),
    ],
)
def test_a_store_a_run_cannot_log_to_is_refused_first(tmp_path, quick_run_args, uri, message):
    env = {**os.environ, "MLFLOW_TRACKING_URI": uri, "ASDBENCH_CACHE_DIR": str(tmp_path / "c")}
    env.pop("MLFLOW_ALLOW_FILE_STORE", None)
    done = asdbench(env, tmp_path, "run", *quick_run_args)
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "c").exists() and not (tmp_path / "mlruns").exists()


@pytest.fixture
def read_only_store(_mlflow_template, tmp_path):
    """A store this process may not write: mode 444, and immutable when it runs as root
    (root writes through file modes)."""
    database = tmp_path / "store" / "mlflow.db"
    database.parent.mkdir()
    shutil.copy(_mlflow_template, database)
    database.chmod(0o444)
    immutable = False
    if os.access(database, os.W_OK) and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(database)]).returncode == 0
    if os.access(database, os.W_OK):
        pytest.skip("cannot make a file read-only for this user here (root without chattr)")
    yield database
    if immutable:
        subprocess.run(["chattr", "-i", str(database)], check=True)


def test_a_read_only_store_is_refused_first(read_only_store, tmp_path, quick_run_args):
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{read_only_store}",
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
    }
    done = asdbench(env, tmp_path, "run", *quick_run_args)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"{read_only_store} is read-only; MLflow cannot log there" in done.stderr
    assert "epoch" not in done.stderr and not (tmp_path / "cache").exists()


def test_two_runs_starting_together_on_a_new_store_both_finish(tmp_path, quick_run_args):
    uri = f"sqlite:///{tmp_path / 'new.db'}"
    processes = [
        subprocess.Popen(
            [PROGRAM, "run", *quick_run_args, "--seed", str(seed)],
            env={
                **os.environ,
                "MLFLOW_TRACKING_URI": uri,
                "ASDBENCH_CACHE_DIR": str(tmp_path / f"c{seed}"),
            },
            cwd=tmp_path,
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for seed in (1, 2)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr[-3000:]
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("asdbench-synthetic")
    cells = client.search_runs([experiment.experiment_id], "tags.`asdbench.run_type` = 'cell'")
    assert sorted(c.data.tags["asdbench.seed"] for c in cells) == ["1", "2"]
