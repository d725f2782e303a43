"""A kit must be able to fail, and say why: a component that accepts a value its author listed
as invalid fails the kit with a message naming the option and the value; and the kit, imported
where pytest is missing, says what to install."""

import subprocess
import sys

import pytest
import torch

from asdbench.backends.builtin import KMeansBackend
from asdbench.testing import BackendConformanceTests, LossConformanceTests


class AcceptsAnyScale(torch.nn.Module):
    """A loss that takes ``scale=0.0`` without complaint (its author listed it as invalid)."""

    def __init__(self, *, num_classes: int, embedding_dim: int, scale: float = 4.0) -> None:
        super().__init__()
        self.centres = torch.nn.Parameter(torch.randn(num_classes, embedding_dim))
        self.scale = scale

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = self.scale * torch.nn.functional.normalize(embeddings) @ self.centres.T
        return torch.nn.functional.cross_entropy(logits, targets)


def test_a_loss_that_accepts_an_invalid_option_fails_the_kit_naming_it():
    class Kit(LossConformanceTests):
        factory = AcceptsAnyScale
        invalid_options = {"scale": 0.0}

    with pytest.raises(pytest.fail.Exception) as failed:
        Kit().test_invalid_options_are_rejected()
    assert str(failed.value).startswith("invalid_options: scale=0.0 was accepted")


def test_a_backend_that_accepts_an_invalid_option_fails_the_kit_naming_it():
    class Kit(BackendConformanceTests):
        factory = KMeansBackend
        invalid_options = {"n_means": 3}  # valid: the kit must say it was accepted

    with pytest.raises(pytest.fail.Exception) as failed:
        Kit().test_invalid_options_are_rejected()
    assert str(failed.value).startswith("invalid_options: n_means=3 was accepted")


def test_the_kit_without_pytest_says_what_to_install():
    code = "import sys; sys.modules['pytest'] = None; import asdbench.testing"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0
    assert "asdbench.testing is a pytest kit and needs pytest: pip install" in done.stderr
    assert "'asdbench-core[testing]'" in done.stderr


class IgnoresMargin(AcceptsAnyScale):
    """A loss that takes ``margin`` and ignores it."""

    def __init__(self, *, num_classes: int, embedding_dim: int, margin: float = 0.1) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim)


def test_an_option_that_changes_nothing_fails_the_loss_kit():
    class Ignored(LossConformanceTests):
        factory = IgnoresMargin
        option_variants = {"margin": 0.3}

    with pytest.raises(AssertionError, match=r"option_variants: margin=0.3 changed nothing"):
        Ignored().test_option_variants_change_behaviour()
