"""The example third-party plugins, installed with pip beside core only: each passes its
conformance kit, and together (the example loss, back end and dataset) they run a benchmark
end to end without any first-party plugin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from asdbench.testing import write_clips

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ("asdbench-example-backend", "asdbench-example-dataset")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def examples_venv(fresh_venv):
    fresh_venv.pip(*(str(ROOT / "examples" / name) for name in EXAMPLES))
    yield fresh_venv
    for name in EXAMPLES:
        fresh_venv.uninstall(name)


def write_station(root: Path) -> Path:
    for pump in ("PumpA", "PumpB"):
        folder = root / "dev_data" / pump
        write_clips(
            folder / "train",
            [
                f"section_00_{domain}_train_normal_{i:04d}_load_{load}.wav"
                for domain, load in (("source", 1), ("target", 2))
                for i in range(6)
            ],
        )
        write_clips(
            folder / "test",
            [
                f"section_00_{domain}_test_{label}_{i:04d}_load_{load}.wav"
                for domain, load in (("source", 1), ("target", 2))
                for label in ("normal", "anomaly")
                for i in range(3)
            ],
        )
    return root


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_passes_its_conformance_kit(examples_venv, name):
    tests = ROOT / "examples" / name / "tests"
    result = examples_venv.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout and "failed" not in result.stdout


def test_the_examples_options_are_listed_with_their_descriptions(examples_venv):
    result = examples_venv.run("asdbench", "list", "backends", "--json")
    assert result.returncode == 0, result.stderr
    [centroid] = [c for c in json.loads(result.stdout)["backend"] if c["name"] == "centroid"]
    assert centroid["distribution"] == "asdbench-example-backend"
    assert centroid["options"] == [
        {
            "name": "per_domain",
            "type": "bool",
            "required": False,
            "default": True,
            "description": "One centroid per domain (source, target); false: one for all "
            "training clips",
            "range": None,
        }
    ]


def test_third_party_loss_backend_and_dataset_run_a_benchmark(examples_venv, tmp_path):
    tree = write_station(tmp_path / "station")
    result = examples_venv.run(
        "asdbench",
        "run",
        "--loss",
        "cosine_softmax",
        "--backend",
        "centroid",
        "--dataset",
        "pump_station",
        "--data-dir",
        str(tree),
        "--epochs",
        "1",
        "--batch-size",
        "8",
        "--set",
        "train.embedding_dim=16",
        "--set",
        "dataset.clip_seconds=1",
        "--output",
        str(tmp_path / "out"),
        "--quiet",
        cwd=tmp_path,
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp_path / 'mlflow.db'}",
        ASDBENCH_CACHE_DIR=str(tmp_path / "cache"),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "dev: pump_station, 1 trial" in lines
    assert [line.split()[0] for line in lines if line.startswith("Pump")] == ["PumpA", "PumpB"]
    assert any(line.startswith("dev official score (pump_station rule): ") for line in lines)
    written = {p.name for p in tmp_path.iterdir()}  # artifacts in the run's folder, not here
    assert {"mlflow.db", "mlruns", "out", "cache"} <= written
    cell_results = min((tmp_path / "out").rglob("results.csv"), key=lambda p: len(p.parts))
    assert "PumpA" in cell_results.read_text()
