"""docs/reproducing.md runs as written: the commands of its synthetic-data section (Table 1 with
the mean over datasets, Figure 2, Figure 3) are read from the page and run as a new user would,
at the smallest dataset size, with two trials of one epoch."""

import csv
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from mlflow.tracking import MlflowClient
from PIL import Image

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]
PROGRAM = Path(sys.executable).parent / "asdbench"
#: Appended to every sweep of the page: the smallest size that still shows mean ± std.
SMALLEST = [
    "--trials", "2", "--epochs", "1", "--batch-size", "16", "--set", "dataset.size=tiny",
    "--set", "train.embedding_dim=16", "--quiet",
]  # fmt: skip


def synthetic_section() -> str:
    text = (ROOT / "docs" / "reproducing.md").read_text()
    start = text.index("## On the synthetic datasets first")
    return text[start : text.index("\n## ", start + 1)]


def code_blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def test_the_synthetic_protocol_runs_as_written(mlflow_tracking, asdbench_cache, tmp_path):
    section = synthetic_section()
    for block in code_blocks(section, "toml"):
        name = block.splitlines()[0].removeprefix("# ").strip()
        (tmp_path / name).write_text(block)
    commands = [
        shlex.split(line)
        for block in code_blocks(section, "bash")
        for line in block.splitlines()
        if line.strip()
    ]
    assert [c[:2] for c in commands] == [
        ["asdbench", "sweep"],
        ["asdbench", "leaderboard"],
        ["asdbench", "sweep"],
        ["asdbench", "plot"],
        ["asdbench", "plot"],
    ]
    env = {**os.environ, "MLFLOW_TRACKING_URI": mlflow_tracking}
    outputs = []
    for command in commands:
        extra = SMALLEST if command[1] == "sweep" else []
        done = subprocess.run(
            [str(PROGRAM), *command[1:], *extra],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert done.returncode == 0, (command, done.stderr[-3000:])
        outputs.append(done.stdout)

    # Table 1: five losses on each dataset, and the block of means over both datasets.
    table = outputs[1]
    assert "**Arithmetic mean over datasets**" in table, table
    body, means = table.split("**Arithmetic mean over datasets**")
    for dataset in ("synthetic", "synthetic2022"):
        rows = [r for r in body.splitlines() if r.startswith(f"| {dataset} |")]
        assert len(rows) == 10, rows  # 5 losses x (dev, eval)
    mean_rows = [r for r in means.splitlines() if r.startswith("| mean over synthetic, ")]
    assert len(mean_rows) == 10
    assert " ± " in body

    # Figures 2 and 3: the plotted numbers against the trial runs' own metrics.
    client = MlflowClient()
    experiment = client.get_experiment_by_name("asdbench-synthetic")
    cells = client.search_runs(
        [experiment.experiment_id],
        "tags.`asdbench.run_type` = 'cell' and params.`loss.name` = 'adaproj' "
        "and params.`train.embedding_dim` = '16'",
    )
    by_j = {
        c.data.params["loss.subspace_dim"]: c for c in cells if c.data.params.get("ensemble.name")
    }
    assert sorted(by_j, key=int) == ["1", "2", "4", "8", "16", "32", "64", "128"]
    figures = tmp_path / "asdbench-output" / "figures"
    for partition in ("dev", "eval"):
        stem = f"official_score_vs_loss.subspace_dim_synthetic_{partition}"
        assert (figures / f"{stem}.png").stat().st_size > 10_000
        with Image.open(figures / f"{stem}.png") as image:  # the axis names the setting
            assert image.info["Description"] == "x: Subspace dimension J (loss.subspace_dim)"
        with (figures / f"{stem}.csv").open() as handle:
            plotted = {row["loss.subspace_dim"]: row for row in csv.DictReader(handle)}
        assert set(plotted) == set(by_j)
        for j, cell in by_j.items():
            trials = client.search_runs(
                [experiment.experiment_id], f"tags.mlflow.parentRunId = '{cell.info.run_id}'"
            )
            values = [t.data.metrics[f"{partition}/official_score"] for t in trials]
            assert float(plotted[j]["mean"]) == pytest.approx(np.mean(values))
            assert float(plotted[j]["std"]) == pytest.approx(np.std(values, ddof=1))
        ensemble = f"ensemble_official_score_vs_loss.subspace_dim_synthetic_{partition}"
        with (figures / f"{ensemble}.csv").open() as handle:
            rows = [r for r in csv.DictReader(handle) if "ensemble (mean)" in r["series"]]
        assert {r["loss.subspace_dim"]: float(r["mean"]) for r in rows} == pytest.approx(
            {j: c.data.metrics[f"ensemble/{partition}/official_score"] for j, c in by_j.items()}
        )
    runs = client.search_runs([experiment.experiment_id], "tags.`asdbench.run_type` = 'figures'")
    assert len(runs) == 1
    logged = {a.path for a in client.list_artifacts(runs[0].info.run_id, "figures")}
    assert f"figures/{stem}.png" in logged and f"figures/{ensemble}.png" in logged
    assert json.loads(
        subprocess.run(
            [str(PROGRAM), "runs", "--format", "json"], cwd=tmp_path, env=env,
            capture_output=True, text=True, check=True,
        ).stdout
    )  # fmt: skip
