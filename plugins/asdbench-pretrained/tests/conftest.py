from pathlib import Path

import pytest

pytest_plugins = ["asdbench.testing"]

DATA = Path(__file__).parent / "data"


@pytest.fixture
def tiny_checkpoint() -> Path:
    """A 3-layer BEATs with random weights, written by the reference code in the published
    format (docs/pretrained.md says how)."""
    return DATA / "beats_tiny.pt"
