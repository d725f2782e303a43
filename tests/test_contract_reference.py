"""docs/plugin-reference.md's hook table and contract sections are generated from
``asdbench.contracts``, where each contract is written once."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_contract_reference_is_current():
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "contract_reference.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_a_changed_contract_makes_the_check_fail(tmp_path, monkeypatch):
    """The check compares with the docstrings, not with a copy of the page."""
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import contract_reference
    finally:
        sys.path.pop(0)
    from asdbench import contracts

    page = contract_reference.PAGE.read_text()
    assert contract_reference.render(page) == page
    monkeypatch.setattr(contracts.Ensemble, "__doc__", "A changed contract.")
    assert "A changed contract." in contract_reference.render(page)
    assert contract_reference.render(page) != page
