"""What a new user sees first: a typo gets a suggestion, `--help` names every command in whole
sentences, `list` marks what a run takes by default, and the first run in a fresh folder
prints no MLflow housekeeping and leaves nothing but its store and its outputs there."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdbench.cli import cli

PROGRAM = str(Path(sys.executable).parent / "asdbench")


def test_a_mistyped_component_gets_a_suggestion():
    result = CliRunner().invoke(cli, ["run", "--loss", "adaprj", "--dry-run"])
    assert result.exit_code == 2
    assert result.output.strip().startswith(
        "Error: unknown loss 'adaprj' (did you mean 'adaproj'?); available: "
    )


def test_help_gives_each_command_a_whole_summary():
    result = CliRunner().invoke(cli, ["--help"])
    commands = result.output.split("Commands:")[1]
    assert "..." not in commands
    for name in ("run", "sweep", "leaderboard", "ui", "sync", "runs", "list"):
        assert f"\n  {name} " in commands


def test_list_marks_the_defaults():
    lines = CliRunner().invoke(cli, ["list"]).output.splitlines()
    defaults = sorted(line.split()[0] for line in lines if line.endswith("(default)"))
    assert defaults == ["adaproj", "dual_branch", "kmeans", "synthetic"]


@pytest.mark.slow
def test_the_first_run_in_a_fresh_folder_leaves_only_its_store_and_outputs(
    tmp_path, quick_run_args
):
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["ASDBENCH_CACHE_DIR"] = str(tmp_path / "cache")
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [PROGRAM, "run", *quick_run_args], env=env, cwd=work, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Creating initial MLflow database tables" not in done.stderr
    assert "INFO" not in done.stderr
    # the store, its artifacts (MLflow puts them in ./mlruns) and the outputs; no lock file
    assert sorted(p.name for p in work.iterdir()) == ["asdbench-output", "mlflow.db", "mlruns"]
