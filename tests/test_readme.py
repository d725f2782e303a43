"""The README's two commands are what CI and the nox sessions run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", (ROOT / "README.md").read_text())[:2]


def test_readme_starts_with_two_commands_install_and_run_then_install_and_test():
    main_job, test_suite = readme_commands()
    assert "requirements.txt" in main_job and main_job.endswith("asdbench run")
    assert "requirements-dev.txt" in test_suite and test_suite.endswith("pytest")


def test_ci_runs_the_readme_test_command_verbatim():
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()
