"""Conformance tests every loss plugin should pass. Subclass ``LossConformanceTests``.

Each test's docstring says what it protects and how to fix a failure.
"""

from __future__ import annotations

import os
from typing import Any, ClassVar

import pytest
import torch

from asdbench.testing.components import ComponentKit


class LossConformanceTests(ComponentKit):
    """Base class: set ``factory`` (the class, a factory or the registered name), ``options``
    (passed to every construction) and, for every option of the factory, a different valid
    value in ``option_variants`` and/or a value to reject in ``invalid_options``."""

    kind: ClassVar[str] = "loss"
    looks_at: ClassVar[str] = (
        "the initial state, the loss on one batch, the state after a step and which "
        "parameters train"
    )
    num_classes: ClassVar[int] = 6
    embedding_dim: ClassVar[int] = 16
    batch_size: ClassVar[int] = 8

    # helpers -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return torch.device(os.environ.get("ASDBENCH_TEST_DEVICE", "cpu"))

    def context(self) -> dict[str, Any]:
        return {"num_classes": self.num_classes, "embedding_dim": self.embedding_dim}

    def make_loss(self, seed: int = 0, **overrides: Any) -> torch.nn.Module:
        torch.manual_seed(seed)
        return self.make(**overrides).to(self.device)

    def build(self, **overrides: Any) -> torch.nn.Module:
        return self.make_loss(**overrides)

    def behaviour(self, component: Any) -> Any:
        """The state before a step, the loss on one batch (a training step: buffers such as
        the adaptive scale update), the state after it and which parameters train."""
        before = {k: v.detach().clone() for k, v in component.state_dict().items()}
        value = self.value(component)
        after = {k: v.detach().clone() for k, v in component.state_dict().items()}
        return before, value, after, [p.requires_grad for p in component.parameters()]

    def make_batch(
        self, seed: int = 0, batch_size: int | None = None, dtype: torch.dtype = torch.float32
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Embeddings and mixup-style soft targets (two classes per row, weights sum to 1)."""
        generator = torch.Generator().manual_seed(seed)
        n = batch_size or self.batch_size
        embeddings = torch.randn(n, self.embedding_dim, generator=generator, dtype=dtype)
        first = torch.randint(self.num_classes, (n,), generator=generator)
        second = first.flip(0)
        weight = torch.rand(n, generator=generator, dtype=dtype)
        targets = torch.zeros(n, self.num_classes, dtype=dtype)
        targets[torch.arange(n), first] += weight
        targets[torch.arange(n), second] += 1 - weight
        return embeddings.to(self.device), targets.to(self.device)

    def value(self, loss: torch.nn.Module, seed: int = 0) -> torch.Tensor:
        embeddings, targets = self.make_batch(seed)
        return loss(embeddings, targets).detach()

    # tests -------------------------------------------------------------------------------

    def test_constructor_is_keyword_only(self) -> None:
        """``num_classes`` and ``embedding_dim`` are keyword-only, so a positional call cannot
        silently swap them. Fix: put ``*`` first in ``__init__``'s parameters."""
        with pytest.raises(TypeError):
            self.resolved()(self.num_classes, self.embedding_dim)

    def test_returns_finite_scalar(self) -> None:
        """``forward(embeddings, targets)`` returns one finite number (the batch mean)."""
        loss = self.make_loss()
        value = self.value(loss)
        assert value.dim() == 0, f"expected a scalar, got shape {tuple(value.shape)}"
        assert torch.isfinite(value), f"loss is {value.item()}"

    def test_gradients_reach_embeddings(self) -> None:
        """The embedding network learns only through these gradients: they must be finite and
        not all zero."""
        loss = self.make_loss()
        embeddings, targets = self.make_batch()
        embeddings.requires_grad_(True)
        loss(embeddings, targets).backward()
        assert embeddings.grad is not None, "no gradient reached the embeddings"
        assert torch.isfinite(embeddings.grad).all(), "non-finite gradient"
        assert embeddings.grad.abs().sum() > 0, "all gradients are zero"

    def test_trainable_parameters_get_gradients(self) -> None:
        """Every trainable parameter of the loss (e.g. trainable centres) gets a finite
        gradient; the trainer puts these parameters into the optimiser."""
        loss = self.make_loss()
        embeddings, targets = self.make_batch()
        loss(embeddings.requires_grad_(True), targets).backward()
        for name, parameter in loss.named_parameters():
            if parameter.requires_grad:
                assert parameter.grad is not None, f"parameter {name} got no gradient"
                assert torch.isfinite(parameter.grad).all(), f"parameter {name}: non-finite"

    def test_deterministic_under_seed(self) -> None:
        """The same seed gives the same initial state and the same loss, so a run repeats.
        Fix: draw random initial values from torch's global generator, nothing else."""
        first, second = self.make_loss(seed=3), self.make_loss(seed=3)
        for (name, a), (_, b) in zip(
            first.state_dict().items(), second.state_dict().items(), strict=True
        ):
            assert torch.equal(a, b), f"{name} differs between two losses built with one seed"
        assert torch.equal(self.value(first), self.value(second))

    def test_soft_targets_and_missing_classes(self) -> None:
        """Mixup gives soft targets; most batches lack most classes. Both must work."""
        loss = self.make_loss()
        embeddings, _ = self.make_batch()
        targets = torch.zeros(len(embeddings), self.num_classes, device=self.device)
        targets[:, 0] = 1.0
        assert torch.isfinite(loss(embeddings, targets))

    def test_batch_of_one(self) -> None:
        """The last batch of an epoch can hold a single clip."""
        loss = self.make_loss()
        embeddings, targets = self.make_batch(batch_size=1)
        assert torch.isfinite(loss(embeddings, targets))

    def test_float64(self) -> None:
        """``loss.to(torch.float64)`` moves its buffers and parameters and computes in float64."""
        loss = self.make_loss().to(torch.float64)
        for name, tensor in [*loss.named_buffers(), *loss.named_parameters()]:
            if tensor.is_floating_point():
                assert tensor.dtype == torch.float64, f"{name} did not follow .to(float64)"
        embeddings, targets = self.make_batch(dtype=torch.float64)
        value = loss(embeddings, targets)
        assert value.dtype == torch.float64 and torch.isfinite(value)

    def test_state_dict_round_trip(self) -> None:
        """Everything that defines the loss (centres, adaptive scale) is in ``state_dict``,
        so a checkpoint restores it. Fix: keep fixed state in buffers, not plain attributes."""
        trained = self.make_loss(seed=1)
        self.value(trained.train())  # a training step may update buffers (adaptive scale)
        restored = self.make_loss(seed=2)
        restored.load_state_dict(trained.state_dict())
        trained.eval()
        restored.eval()
        assert torch.equal(self.value(trained, seed=5), self.value(restored, seed=5))

    def test_eval_mode_does_not_change_state(self) -> None:
        """Scoring (eval mode) must not update buffers such as an adaptive scale."""
        loss = self.make_loss().eval()
        before = {k: v.clone() for k, v in loss.state_dict().items()}
        self.value(loss)
        for name, tensor in loss.state_dict().items():
            assert torch.equal(before[name], tensor), f"{name} changed in eval mode"

    def test_inputs_are_not_modified(self) -> None:
        """The loss must not normalise or mix the caller's tensors in place."""
        loss = self.make_loss()
        embeddings, targets = self.make_batch()
        saved = embeddings.clone(), targets.clone()
        loss(embeddings, targets)
        assert torch.equal(embeddings, saved[0]) and torch.equal(targets, saved[1])
