"""docs/cli.md is the `--help` of every command, as the installed commands print it."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_cli_reference_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cli_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_the_reference_covers_every_command_and_option():
    from click.testing import CliRunner

    from asdbench.cli import cli

    page = (ROOT / "docs" / "cli.md").read_text()
    for path in (["run"], ["sweep"], ["data", "download"], ["leaderboard"], ["ensemble"]):
        assert f"## `asdbench {' '.join(path)}`" in page
        help_text = CliRunner().invoke(cli, [*path, "--help"]).output
        options = [w for w in help_text.split() if w.startswith("--") and len(w) > 2]
        assert options, path
        missing = [option for option in options if option.rstrip(",") not in page]
        assert missing == [], (path, missing)
