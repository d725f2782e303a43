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


@pytest.mark.parametrize(
    "command",
    [
        ["runs"],
        ["runs", "show", "0123456789abcdef0123456789abcdef"],
        ["leaderboard"],
        ["plot", "trials", "--vs", "loss.subspace_dim"],
        ["ui", "--port", "65001"],
        ["sweep", "--set", "dataset.size=tiny", "--epochs", "1"],
    ],
)
def test_a_file_that_is_not_a_store_is_one_line_for_every_command(tmp_path, command):
    plain = tmp_path / "plain.txt"
    plain.write_text("notes, not a database\n")
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{plain}"}
    env["ASDBENCH_CACHE_DIR"] = str(tmp_path / "cache")
    done = asdbench(env, tmp_path, *command)
    assert done.returncode == 2, done.stderr[-2000:]
    assert done.stderr.strip() == (
        f"Error: sqlite:///{plain}: {plain} is not a SQLite database, so not an MLflow store"
    )
    assert plain.read_text() == "notes, not a database\n"
    assert not (tmp_path / "cache").exists()


def test_a_full_disk_under_the_store_is_one_line(_mlflow_template, tmp_path):
    """``sync`` into a sqlite store that cannot grow (files limited to its size, writes then
    fail as on a full disk): one line and exit 2, not SQLAlchemy's traceback."""
    import resource
    import signal

    from asdbench.tracking.journal import Journal, offline_key

    store = tmp_path / "mlflow.db"
    shutil.copy(_mlflow_template, store)
    folder = tmp_path / "journal"
    journal = Journal(folder, "asdbench-synthetic", f"sqlite:///{store}")
    run = offline_key()
    journal.write(
        {"op": "start", "run": run, "parent": None, "name": "cell", "tags": {},
         "params": {f"p{i}": "x" * 400 for i in range(400)}, "time": 1}
    )  # fmt: skip
    journal.write({"op": "end", "run": run, "status": "FINISHED", "time": 2})
    limit = store.stat().st_size

    def full() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    env = {**os.environ, "MLFLOW_TRACKING_URI": f"sqlite:///{store}"}
    done = asdbench(env, tmp_path, "sync", str(folder), preexec_fn=full)
    assert done.returncode == 2, done.stderr[-3000:]
    [line] = [line for line in done.stderr.strip().splitlines() if line.startswith("Error")]
    assert line.startswith("Error: the disk under the MLflow store is full") or line.startswith(
        "Error: the MLflow store's disk failed a read or write"
    ), done.stderr[-3000:]
    assert "Traceback" not in done.stderr
