"""Cross-package tests: real pip installs into fresh virtual environments, the CLI end to end."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import venv
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["asdbench.testing"]

ROOT = Path(__file__).resolve().parents[1]
TORCH = "torch==2.13.0"


class FreshVenv:
    """A new virtual environment with pip; commands run with a clean plugin environment."""

    def __init__(self, path: Path) -> None:
        self.path = path
        venv.EnvBuilder(with_pip=True).create(path)
        self.bin = path / "bin"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            k: v for k, v in os.environ.items() if not k.startswith(("ASDBENCH_", "VIRTUAL_ENV"))
        }
        env["PATH"] = f"{self.bin}{os.pathsep}{env['PATH']}"
        env.update(extra)
        return env

    def pip(self, *args: str) -> None:
        subprocess.run(
            [str(self.bin / "python"), "-m", "pip", "install", "--quiet", *args],
            check=True,
            env=self.env(),
        )

    def uninstall(self, distribution: str) -> None:
        subprocess.run(
            [str(self.bin / "python"), "-m", "pip", "uninstall", "--yes", "--quiet", distribution],
            check=True,
            env=self.env(),
        )

    def run(self, *args: str, cwd: Path = ROOT, **extra: str) -> subprocess.CompletedProcess[str]:
        """Run a program of the environment; a command that writes (MLflow artifacts, outputs)
        gets a ``cwd`` of its own so that nothing lands in the checkout."""
        program = str(self.bin / args[0])
        return subprocess.run(
            [program, *args[1:]], capture_output=True, text=True, env=self.env(**extra), cwd=cwd
        )


@pytest.fixture(scope="session")
def fresh_venv(tmp_path_factory) -> FreshVenv:
    """A fresh virtual environment with core and the example third-party plugin, installed
    with pip from their folders exactly as a user would (non-editable)."""
    env = FreshVenv(tmp_path_factory.mktemp("venv") / "env")
    env.pip(TORCH, str(ROOT / "packages" / "asdbench-core"), "pytest")
    env.pip(str(ROOT / "examples" / "asdbench-example-loss"))
    return env


@pytest.fixture
def write_package(tmp_path) -> Callable[..., Path]:
    """Write a minimal plugin package (pyproject + one module) and return its folder."""

    def write(distribution: str, module_source: str) -> Path:
        module = distribution.replace("-", "_")
        folder = tmp_path / distribution
        (folder / "src" / module).mkdir(parents=True)
        (folder / "src" / module / "__init__.py").write_text(module_source)
        (folder / "pyproject.toml").write_text(
            f"""[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{distribution}"
version = "0.0.1"
dependencies = ["asdbench-core"]

[project.entry-points.asdbench]
{module} = "{module}"

[tool.hatch.build.targets.wheel]
packages = ["src/{module}"]
"""
        )
        return folder

    return write


#: A run small enough for tests: the tiny synthetic dataset, 2 epochs, 32-dim embeddings.
TINY_RUN = [
    "--set",
    "dataset.size=tiny",
    "--epochs",
    "2",
    "--batch-size",
    "8",
    "--set",
    "train.embedding_dim=32",
    "--set",
    "loss.subspace_dim=4",
    "--quiet",
]


#: The quickest run that still trains: one epoch, 16-dim embeddings.
QUICK_RUN = [
    "--set",
    "dataset.size=tiny",
    "--epochs",
    "1",
    "--batch-size",
    "16",
    "--set",
    "train.embedding_dim=16",
    "--quiet",
]


@pytest.fixture
def tiny_run_args() -> list[str]:
    return list(TINY_RUN)


@pytest.fixture
def quick_run_args() -> list[str]:
    return list(QUICK_RUN)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers_health(
    url: str, attempts: int = 120, until_exit: subprocess.Popen | None = None
) -> bool:
    """Whether the MLflow server at ``url`` answers ``/health`` within ``attempts`` half
    seconds; False at once when ``until_exit`` (its process) has ended."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as response:
                if response.status == 200:
                    return True
        except OSError:
            if until_exit is not None and until_exit.poll() is not None:
                return False
            time.sleep(0.5)
    return False


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def until_healthy() -> Callable[[str], bool]:
    """``until_healthy(url)``: wait for an MLflow server's ``/health`` (False if it never
    answers)."""
    return answers_health


class MlflowServer:
    """A real ``mlflow server`` on 127.0.0.1 with a sqlite store, which a test can stop and
    start again (same port, same store)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.started_before = False

    def start(self) -> None:
        """Start the server on its port. The first start takes a port that was free when
        probed; another process can bind it before the server does, so a first start that
        finds it taken moves to another free port (a restart keeps its port)."""
        for _ in range(5):
            bound = self._started_on_port()
            if bound:
                return
            if self.started_before or bound is None:
                break
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        pytest.fail("mlflow server did not start:\n" + self._log())

    def _log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text() if path.exists() else ""

    def _started_on_port(self) -> bool | None:
        """True once the server has bound ``port`` (its log says so: another server that
        holds the port would answer ``/health`` too) and answers; False when the port was
        taken; None when it failed otherwise. Waits for these log lines or the process's end,
        not for a length of time."""
        command = [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--backend-store-uri",
            f"sqlite:///{self.folder / 'server.db'}",
            "--artifacts-destination",
            str(self.folder / "artifacts"),
            "--workers",
            "1",
        ]
        with (self.folder / "server.log").open("w") as log:
            process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder,
                start_new_session=True,
            )  # fmt: skip
        bound, taken = f"Uvicorn running on {self.url} ", "address already in use"
        deadline = time.monotonic() + 120  # a server that never logs either line
        while process.poll() is None and time.monotonic() < deadline:
            log = self._log()
            if bound in log or taken in log:
                break
            time.sleep(0.2)
        if bound in self._log() and answers_health(self.url, until_exit=process):
            self.process, self.started_before = process, True
            return True
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        return False if taken in self._log() else None

    def stop(self) -> None:
        """Stop the server and its workers (the whole process group)."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def mlflow_server_process(tmp_path) -> MlflowServer:
    """A server the test starts and stops itself (it is not started yet)."""
    server = MlflowServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mlflow_server(mlflow_server_process) -> str:
    mlflow_server_process.start()
    return mlflow_server_process.url
