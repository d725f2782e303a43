"""docs/plugins.md's examples are real: the example packages' files verbatim, and the embedder
and ensemble written in the page pass their kind's conformance kit."""

from __future__ import annotations

import ast
import re
import sys
import types
from pathlib import Path

from asdbench.testing import EmbedderConformanceTests, EnsembleConformanceTests

ROOT = Path(__file__).resolve().parents[1]
PAGE = (ROOT / "docs" / "plugins.md").read_text()
MARKED = re.compile(r"<!-- (file|example): (\S+) -->\n```(?:python|toml)\n(.*?)\n```", re.S)


def marked_blocks() -> dict[tuple[str, str], str]:
    return {(kind, name): code for kind, name, code in MARKED.findall(PAGE)}


def documented_module(name: str) -> types.ModuleType:
    """The page's ``example: name`` block as an importable module (the kits resolve its
    classes' annotations through ``sys.modules``)."""
    module = types.ModuleType(f"plugins_md_{name}")
    sys.modules[module.__name__] = module
    exec(
        compile(marked_blocks()[("example", name)], f"docs/plugins.md:{name}", "exec"), vars(module)
    )
    return module


def test_the_page_shows_the_example_packages_verbatim():
    files = {name: code for (kind, name), code in marked_blocks().items() if kind == "file"}
    assert len(files) == 8  # each example's component and plugin.py, the loss's test
    for path, code in files.items():
        assert (ROOT / path).read_text().rstrip("\n") == code, f"{path} differs from the page"


def test_the_reference_shows_a_complete_dataset_test_verbatim():
    reference = (ROOT / "docs" / "plugin-reference.md").read_text()
    [(path, code)] = [(name, code) for kind, name, code in MARKED.findall(reference)]
    assert path == "examples/asdbench-example-dataset/tests/test_dataset.py"
    assert (ROOT / path).read_text().rstrip("\n") == code


def test_every_python_block_on_the_page_parses():
    blocks = re.findall(r"```python\n(.*?)\n```", PAGE, re.S)
    assert len(blocks) >= 7
    for block in blocks:
        ast.parse(block)


EMBEDDER = documented_module("embedder")
ENSEMBLE = documented_module("ensemble")


class TestDocumentedEmbedder(EmbedderConformanceTests):
    factory = EMBEDDER.SpectrumStatsEmbedder
    option_variants = {"n_fft": 512}
    invalid_options = {"n_fft": 1000}


class TestDocumentedEnsemble(EnsembleConformanceTests):
    factory = ENSEMBLE.MedianEnsemble


def test_the_documented_ensemble_is_the_median():
    import numpy as np

    trials = [np.array([1.0, 5.0]), np.array([3.0, 0.0]), np.array([2.0, 9.0])]
    combined = ENSEMBLE.MedianEnsemble().combine(trials, np.array(["a", "b"]), np.array([0, 0]))
    assert combined.tolist() == [2.0, 5.0]
