"""Third-party plugins installed with pip, for real: discovery, resolution, broken plugins."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def test_example_plugin_is_listed_with_distribution_and_version(fresh_venv):
    result = fresh_venv.run("asdbench", "plugins", "--json")
    assert result.returncode == 0, result.stderr
    [record] = json.loads(result.stdout)
    assert record["distribution"] == "asdbench-example-loss" and record["version"] == "0.1.0"
    assert record["components"] == [{"kind": "loss", "name": "cosine_softmax"}]
    versions = fresh_venv.run("asdbench", "--version").stdout.splitlines()
    assert "  asdbench-example-loss 0.1.0" in versions


def test_example_plugin_resolves_in_a_dry_run(fresh_venv):
    result = fresh_venv.run(
        "asdbench", "run", "--loss", "cosine_softmax", "--dry-run", "--set", "loss.scale=8"
    )
    assert result.returncode == 0, result.stderr
    assert "loss      cosine_softmax  [asdbench-example-loss 0.1.0]" in result.stdout
    assert "scale = 8.0  (set)" in result.stdout
    bad = fresh_venv.run(
        "asdbench", "run", "--loss", "cosine_softmax", "--dry-run", "--set", "loss.scale=big"
    )
    assert bad.returncode == 2
    assert "loss 'cosine_softmax' option 'scale' must be finite float, got 'big'" in bad.stderr


def test_example_plugin_passes_the_conformance_kit(fresh_venv):
    tests = ROOT / "examples" / "asdbench-example-loss" / "tests"
    result = fresh_venv.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests))
    assert result.returncode == 0, result.stdout + result.stderr
    assert " passed" in result.stdout


def test_entry_points_stay_import_light(fresh_venv):
    code = (
        "import sys; from asdbench.cli import main; sys.argv = ['asdbench', 'plugins'];\n"
        "try: main()\nexcept SystemExit: pass\n"
        "print('torch imported:', 'torch' in sys.modules, file=sys.stderr)"
    )
    result = fresh_venv.run("python", "-c", code)
    assert "torch imported: False" in result.stderr


def test_broken_plugin_is_reported_and_the_cli_keeps_working(fresh_venv, write_package):
    folder = write_package("asdbench-broken", "raise ImportError('needs libfoo, not installed')\n")
    fresh_venv.pip(str(folder))
    try:
        help_result = fresh_venv.run("asdbench", "--help")
        assert help_result.returncode == 0 and "plugins" in help_result.stdout

        listing = fresh_venv.run("asdbench", "plugins", "--json")
        assert listing.returncode == 0
        records = {r["name"]: r for r in json.loads(listing.stdout)}
        assert "needs libfoo" in records["asdbench_broken"]["error"]
        assert records["example_loss"]["components"]
        assert "asdbench-broken 0.0.1 (plugin 'asdbench_broken') failed to load" in listing.stderr

        strict = fresh_venv.run("asdbench", "plugins", ASDBENCH_STRICT_PLUGINS="1")
        assert strict.returncode == 2
        assert strict.stderr.startswith("Error: asdbench-broken 0.0.1")
        assert "Traceback" not in strict.stderr

        disabled = fresh_venv.run("asdbench", "plugins", ASDBENCH_DISABLE_PLUGINS="asdbench-broken")
        assert disabled.returncode == 0 and disabled.stderr == ""
    finally:
        fresh_venv.uninstall("asdbench-broken")


def test_name_clash_between_installed_plugins_is_an_error(fresh_venv, write_package):
    source = (
        "import asdbench\n\n@asdbench.hookimpl\ndef asdbench_losses():\n"
        "    yield asdbench.LossSpec(name='cosine_softmax', factory='x:y', summary='clash')\n"
    )
    fresh_venv.pip(str(write_package("asdbench-clash", source)))
    try:
        result = fresh_venv.run("asdbench", "list", "losses")
        assert result.returncode == 2
        assert "loss 'cosine_softmax' is registered twice" in result.stderr
        assert "asdbench-example-loss 0.1.0" in result.stderr
        assert "asdbench-clash 0.0.1" in result.stderr
    finally:
        fresh_venv.uninstall("asdbench-clash")
