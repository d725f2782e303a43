"""The release path (docs/releasing.md): every package builds into a wheel and an sdist that
``twine check --strict`` accepts, and the eight wheels alone, installed into a fresh
environment with nothing from this checkout, run the tiny job."""

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PACKAGES = sorted(
    path.parent
    for pattern in ("packages/*", "plugins/*")
    for path in ROOT.glob(f"{pattern}/pyproject.toml")
)


def run(*command, **options):
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, **options)
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


def test_the_built_wheels_install_into_a_fresh_environment_and_run_the_tiny_job(tmp_path):
    versions = {
        tomllib.loads((p / "pyproject.toml").read_text())["project"]["name"]: tomllib.loads(
            (p / "pyproject.toml").read_text()
        )["project"]["version"]
        for p in PACKAGES
    }
    assert len(versions) == 8 and len(set(versions.values())) == 1  # one version for all
    version = versions["asdbench-core"]
    dist = tmp_path / "dist"
    for package in PACKAGES:
        run(sys.executable, "-m", "build", "--outdir", str(dist), str(package))
    wheels = sorted(dist.glob("*.whl"))
    sdists = sorted(dist.glob("*.tar.gz"))
    assert [re.sub(r"-\d.*", "", w.name) for w in wheels] == sorted(
        name.replace("-", "_") for name in versions
    )
    assert len(sdists) == 8
    run(sys.executable, "-m", "twine", "check", "--strict", *map(str, wheels + sdists))

    environment = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(environment))
    python = environment / "bin" / "python"
    run(str(python), "-m", "pip", "install", "--quiet", "torch==2.13.0", *map(str, wheels))
    installed = run(str(python), "-c", "import asdbench; print(asdbench.__file__)").stdout
    assert installed.startswith(str(environment)), installed  # not this checkout
    program = str(environment / "bin" / "asdbench")
    listed = run(program, "--version").stdout
    for name in set(versions) - {"asdbench"}:  # the meta package holds no plugin of its own
        assert f"{name} {version}" in listed, listed
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
        "ASDBENCH_CACHE_DIR": str(tmp_path / "cache"),
    }
    job = ["run", "--set", "dataset.size=tiny", "--epochs", "1", "--batch-size", "16"]
    job += ["--set", "train.embedding_dim=16", "--quiet", "--format", "json"]
    done = run(program, *job, env=env, cwd=tmp_path)
    report = json.loads(done.stdout)
    assert all(0 <= report[p]["official_score"] <= 100 for p in ("dev", "eval"))  # percent
