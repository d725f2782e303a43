"""A run stopped by SIGTERM or Ctrl-C is marked KILLED in MLflow and resumes from its
checkpoint."""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from mlflow.tracking import MlflowClient

from asdbench.backends.builtin import KMeansBackend
from asdbench.cli.signals import stop_on_sigterm
from asdbench.pipeline.cells import run_benchmark
from asdbench.pipeline.resolve import resolve
from asdbench.training import embedding

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_stopped_run_is_killed_in_mlflow_and_resumes(
    mlflow_tracking, tmp_path, tiny_run_args, stop
):
    program = Path(sys.executable).parent / "asdbench"
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}
    # Enough epochs that the signal, sent once the first checkpoint is written, lands in
    # training even on a loaded machine (the observable state, not a length of time).
    command = [str(program), "run", *tiny_run_args, "--epochs", "12"]
    process = started_training(
        command, cache, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
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


def test_a_second_interrupt_during_the_cleanup_still_exits_130(
    mlflow_tracking, tmp_path, tiny_run_args
):
    """Ctrl-C twice: the second one, arriving while the runs are being marked KILLED, ends the
    process at once, with the exit status of an interruption (not -2)."""
    program = Path(sys.executable).parent / "asdbench"
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}
    command = [str(program), "run", *tiny_run_args, "--epochs", "12"]
    process = started_training(
        command, cache, env=env, stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    process.send_signal(signal.SIGINT)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr[-2000:]
    assert "Traceback" not in stderr


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
    result = subprocess.run(  # MLflow's own retries would go on for many minutes
        [str(program), "run", *tiny_run_args],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 2
    assert f"the MLflow tracking server http://127.0.0.1:{port} does not answer" in result.stderr
    assert not (tmp_path / "cache" / "trials").exists()  # nothing was trained
    assert not (tmp_path / "asdbench-output").exists()  # nor half-written


def started_training(command: list[str], cache: Path, epoch: int = 1, **options: Any):
    """``command`` started in a process, returned once its trial's checkpoint holds ``epoch``
    (an observable state, never a length of time)."""
    process = subprocess.Popen(command, **options)
    deadline = time.time() + 300
    while checkpoint_epoch(cache) < epoch and time.time() < deadline and process.poll() is None:
        time.sleep(0.1)
    return process


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
    # Epochs to spare after the ones waited for: each signal lands in training.
    command = [str(program), "run", *tiny_run_args, "--epochs", "12", "--format", "json"]
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}

    def run_until(epoch: int, *extra: str) -> None:
        process = started_training(
            [*command, *extra],
            cache,
            epoch,
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
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


def sigterm_on_call(number: int) -> Callable[..., None]:
    """A callback that sends this process SIGTERM on its ``number``-th call."""
    calls = 0

    def callback(*_: object) -> None:
        nonlocal calls
        calls += 1
        if calls == number:
            os.kill(os.getpid(), signal.SIGTERM)

    return callback


@pytest.mark.parametrize("phase", ["embedding", "scoring"])
def test_sigterm_during_embedding_or_scoring(
    mlflow_tracking, asdbench_cache, monkeypatch, tmp_path, phase
):
    """A real SIGTERM arrives in the middle of embedding (second batch) or scoring (second
    section): the runs end KILLED, what is done stays on disk, and ``--resume`` ends with the
    scores of a run that was never interrupted."""
    config = resolve(
        loss="adaproj",
        embedder="dual_branch",
        backend="kmeans",
        dataset="synthetic",
        sets=["dataset.size=tiny", "train.embedding_dim=16", "loss.subspace_dim=4"],
        train={"epochs": 1, "batch_size": 16},
    )
    quiet = {"progress": False, "echo": lambda message: None}
    previous = {n: signal.getsignal(n) for n in (signal.SIGTERM, signal.SIGINT)}
    stop_on_sigterm()
    try:
        with monkeypatch.context() as patch:
            if phase == "embedding":
                real_embed = embedding.embed

                def embed_and_stop(embedder: torch.nn.Module, *args: Any, **kwargs: Any) -> Any:
                    hook = embedder.register_forward_hook(sigterm_on_call(2))
                    try:
                        return real_embed(embedder, *args, **kwargs)
                    finally:
                        hook.remove()

                patch.setattr(embedding, "embed", embed_and_stop)
            else:
                stop = sigterm_on_call(2)
                real_score = KMeansBackend.score

                def score_and_stop(self: KMeansBackend, embeddings: np.ndarray) -> np.ndarray:
                    stop()
                    return real_score(self, embeddings)

                patch.setattr(KMeansBackend, "score", score_and_stop)
            with pytest.raises(KeyboardInterrupt):
                run_benchmark(config, **quiet)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)

    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("asdbench-synthetic").experiment_id])
    assert sorted(r.info.status for r in runs) == ["KILLED", "KILLED"]
    [trial_dir] = (asdbench_cache / "trials").iterdir()
    left = {p.name for p in trial_dir.iterdir()}
    if phase == "embedding":  # trained, not embedded: the last epoch's checkpoint is kept
        assert "checkpoint.pt" in left and "embeddings.npy" not in left
    else:  # embedded: the trial cache is complete and trusted
        assert {"embeddings.npy", "weights.pt", "history.json"} <= left

    resumed = run_benchmark(config, resume=True, **quiet)
    monkeypatch.setenv("ASDBENCH_CACHE_DIR", str(tmp_path / "reference-cache"))
    reference = run_benchmark(config, **quiet)
    assert np.array_equal(resumed.trials[0].scores, reference.trials[0].scores)
    for partition in ("dev", "eval"):
        assert resumed.results[partition].summary() == reference.results[partition].summary()


def test_cache_killed_mid_write_is_never_trusted(tmp_path):
    """SIGKILL (no handler can run) while the audio cache is being written: no cache is left
    under its final name, and the next build decodes everything again, correctly."""
    from asdbench.data.audio import read_clip
    from asdbench.data.audio_cache import AudioCache
    from asdbench.testing.trees import write_wav

    wavs = tmp_path / "wavs"
    paths = [write_wav(wavs / f"{i:03d}.wav", seconds=1.0, seed=i) for i in range(40)]
    root = tmp_path / "cache"
    # The build stops itself (SIGSTOP) as it reads the 20th clip: killed there, half written,
    # whatever the machine's load, with no race against a timer.
    code = (
        "import os, signal, sys; from pathlib import Path; import asdbench.data.audio_cache as c\n"
        "read, count = c.read_clip, [0]\n"
        "def reading(*args, **kwargs):\n"
        "    count[0] += 1\n"
        "    if count[0] == 20: os.kill(os.getpid(), signal.SIGSTOP)\n"
        "    return read(*args, **kwargs)\n"
        "c.read_clip = reading\n"
        "c.AudioCache.build(sorted(Path(sys.argv[1]).glob('*.wav')), Path(sys.argv[2]),"
        " progress=False)\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code, str(wavs), str(root)])
    _, status = os.waitpid(process.pid, os.WUNTRACED)
    assert os.WIFSTOPPED(status), "the build ended before it reached the 20th clip"
    partial = [p for p in root.glob(".audio-*.tmp/audio.int16") if p.stat().st_size > 0]
    process.kill()
    process.wait(timeout=30)
    assert partial, "the build finished before it could be killed"
    assert not AudioCache.exists(paths, root)
    assert not [p for p in root.iterdir() if not p.name.startswith(".")]

    cache = AudioCache.build(paths, root, progress=False)
    assert cache.directory == AudioCache.location(paths, root)
    for i in (0, 19, 39):
        assert np.array_equal(cache.clip(i), read_clip(paths[i]))


@pytest.mark.parametrize("resume", [True, False], ids=["resume", "again"])
def test_runs_of_a_killed_process_are_continued_or_closed(
    mlflow_tracking, tmp_path, tiny_run_args, resume
):
    """SIGKILL leaves the cell and trial RUNNING. ``--resume`` continues those runs (and the
    training, from its checkpoint); a run without it ends them KILLED and starts anew. Either
    way no run stays RUNNING and none is duplicated."""
    program = Path(sys.executable).parent / "asdbench"
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}
    command = [str(program), "run", *tiny_run_args, "--epochs", "12"]
    process = started_training(command, cache, env=env, stderr=subprocess.DEVNULL, cwd=tmp_path)
    process.kill()
    process.wait(timeout=60)
    client = MlflowClient()
    experiment = client.get_experiment_by_name("asdbench-synthetic").experiment_id
    killed = client.search_runs([experiment])
    assert {r.info.status for r in killed} == {"RUNNING"} and len(killed) == 2

    again = subprocess.run(
        [*command, *(["--resume"] if resume else [])],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert again.returncode == 0, again.stderr[-2000:]
    runs = client.search_runs([experiment])
    statuses = sorted(r.info.status for r in runs)
    old = {r.info.run_id for r in killed}
    if resume:
        assert "continuing run" in again.stderr and "resuming from epoch" in again.stderr
        assert {r.info.run_id for r in runs} == old and statuses == ["FINISHED", "FINISHED"]
    else:
        assert "as KILLED" in again.stderr
        assert statuses == ["FINISHED", "FINISHED", "KILLED", "KILLED"]
        assert {r.info.run_id for r in runs if r.info.status == "KILLED"} == old


def test_two_runs_of_one_cell_at_once_train_it_once(mlflow_tracking, tmp_path, tiny_run_args):
    """The second run waits for the first (naming it) instead of deleting its live checkpoint,
    then reuses the trial it cached: both finish with the same scores."""
    program = Path(sys.executable).parent / "asdbench"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(tmp_path / "cache")}
    # The first is paused once it trains (holding the trial's lock), so that the second finds
    # it training however slow the machine is; it goes on once the second says it waits.
    command = [str(program), "run", *tiny_run_args, "--epochs", "4", "--format", "json"]
    first = started_training(
        command,
        tmp_path / "cache",
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first.send_signal(signal.SIGSTOP)
    second = subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    told = []
    for line in second.stderr:  # blocks until the second reaches the lock
        told.append(line)
        if "waiting for process" in line:
            break
    first.send_signal(signal.SIGCONT)
    out, err = first.communicate(timeout=600)
    second_out, second_err = second.communicate(timeout=600)
    second_err = "".join(told) + second_err
    assert first.returncode == 0, err[-2000:]
    assert second.returncode == 0, second_err[-2000:]
    assert f"waiting for process {first.pid}" in second_err
    assert "which is training this trial" in second_err
    assert "reusing the trained model" in second_err
    assert json.loads(second_out)["eval"] == json.loads(out)["eval"]
    assert len(list((tmp_path / "cache" / "trials").glob("*/embeddings.npy"))) == 1


def limited_file_size(limit: int) -> Callable[[], None]:
    """For a child process: files may not grow past ``limit`` bytes (writes then fail with
    EFBIG, as they fail with ENOSPC on a full disk)."""

    def apply() -> None:
        import resource

        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_write_that_fails_leaves_no_partial_file(mlflow_tracking, tmp_path, tiny_run_args):
    """A checkpoint that cannot be written (files limited to 12 MB; the checkpoint of this
    model is larger) and a synthetic dataset that cannot be written (limited to 8 kB): one
    line each, exit 2, and no temporary or partial file left behind."""
    program = Path(sys.executable).parent / "asdbench"

    def run_with_files_up_to(size: int, cache: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(program), "run", *tiny_run_args],
            env={**os.environ, "ASDBENCH_CACHE_DIR": str(cache)},
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=600,
            preexec_fn=limited_file_size(size),
        )

    cache = tmp_path / "cache"
    done = run_with_files_up_to(12_000_000, cache)
    assert done.returncode == 2, done.stderr[-2000:]
    assert "checkpoint.pt: cannot be written (" in done.stderr
    assert "Traceback" not in done.stderr
    [trial] = (cache / "trials").iterdir()
    assert not [p.name for p in trial.iterdir() if "tmp" in p.name]
    client = MlflowClient()
    runs = client.search_runs([client.get_experiment_by_name("asdbench-synthetic").experiment_id])
    assert {r.info.status for r in runs} == {"FAILED"}

    done = run_with_files_up_to(8_000, tmp_path / "other")
    assert done.returncode == 2, done.stderr[-2000:]
    assert "the synthetic dataset cannot be written (" in done.stderr
    assert not list((tmp_path / "other" / "synthetic").iterdir())  # no partial tree


def test_a_corrupt_checkpoint_names_the_file_and_how_to_start_over(
    mlflow_tracking, tmp_path, tiny_run_args
):
    program = Path(sys.executable).parent / "asdbench"
    cache = tmp_path / "cache"
    env = {**os.environ, "ASDBENCH_CACHE_DIR": str(cache)}
    command = [str(program), "run", *tiny_run_args, "--epochs", "12"]
    process = started_training(command, cache, env=env, stderr=subprocess.DEVNULL, cwd=tmp_path)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=120)
    [checkpoint] = cache.glob("trials/*/checkpoint.pt")
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])  # cut short
    resumed = subprocess.run(
        [*command, "--resume"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert resumed.returncode == 2
    assert f"{checkpoint}: the checkpoint cannot be resumed" in resumed.stderr
    assert "run without --resume to train this trial from the start" in resumed.stderr
    assert "Traceback" not in resumed.stderr
