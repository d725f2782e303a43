"""Conformance tests every loss plugin should pass. Subclass ``LossConformanceTests``.

Each test's docstring says what it protects and how to fix a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
import torch

from asdbench.contracts import KINDS
from asdbench.registry.components import get
from asdbench.registry.options import options_of


class LossConformanceTests:
    """Base class: set ``factory`` (the class, a factory or the registered name) and, for
    every option of the factory, a different valid value in ``option_variants`` and/or a value
    to reject in ``invalid_options``."""

    factory: ClassVar[Callable[..., torch.nn.Module] | str]
    loss_options: ClassVar[dict[str, Any]] = {}
    option_variants: ClassVar[dict[str, Any]] = {}
    invalid_options: ClassVar[dict[str, Any]] = {}
    num_classes: ClassVar[int] = 6
    embedding_dim: ClassVar[int] = 16
    batch_size: ClassVar[int] = 8

    # helpers -----------------------------------------------------------------------------

    @property
    def device(self) -> torch.device:
        return torch.device(os.environ.get("ASDBENCH_TEST_DEVICE", "cpu"))

    def resolved(self) -> Callable[..., torch.nn.Module]:
        if isinstance(self.factory, str):
            return get("loss", self.factory).spec.resolve()
        return self.factory

    def make_loss(self, seed: int = 0, **overrides: Any) -> torch.nn.Module:
        torch.manual_seed(seed)
        options = {**self.loss_options, **overrides}
        loss = self.resolved()(
            num_classes=self.num_classes, embedding_dim=self.embedding_dim, **options
        )
        return loss.to(self.device)

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

    def test_unknown_option_is_rejected(self) -> None:
        """A misspelt option must fail, not be ignored (the pytorch-metric-learning #746 bug).
        Fix: do not accept ``**kwargs`` you do not use."""
        with pytest.raises(TypeError):
            self.make_loss(no_such_option_xyz=1)

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

    def test_every_option_is_covered(self) -> None:
        """Every option must be exercised below: list another valid value in
        ``option_variants`` or a bad value in ``invalid_options``."""
        options = {o.name for o in options_of(self.resolved(), KINDS["loss"].context)}
        missing = options - set(self.option_variants) - set(self.invalid_options)
        assert not missing, f"options not covered by the conformance tests: {sorted(missing)}"

    def test_option_variants_change_behaviour(self) -> None:
        """An option that changes nothing is a silent bug (an ignored keyword). Each variant
        must change the initial state, the loss value on the same batch and seed, the state a
        training step leaves (an adaptive scale's update), or which parameters train."""

        def trace(loss: torch.nn.Module) -> tuple[dict, torch.Tensor, dict, list[bool]]:
            before = {k: v.detach().clone() for k, v in loss.state_dict().items()}
            value = self.value(loss)  # in training mode: buffers such as the scale update
            after = {k: v.detach().clone() for k, v in loss.state_dict().items()}
            return before, value, after, [p.requires_grad for p in loss.parameters()]

        def same_state(a: dict, b: dict) -> bool:
            return a.keys() == b.keys() and all(
                a[k].shape == b[k].shape and torch.equal(a[k], b[k]) for k in a
            )

        base = trace(self.make_loss())
        for name, value in self.option_variants.items():
            variant = trace(self.make_loss(**{name: value}))
            unchanged = (
                same_state(variant[0], base[0])
                and torch.equal(variant[1], base[1])
                and same_state(variant[2], base[2])
                and variant[3] == base[3]
            )
            assert not unchanged, (
                f"option_variants: {name}={value!r} changed neither the state, the loss, the "
                "state after a step nor the trainable parameters: an ignored option, or a "
                "variant equal to the default"
            )

    def test_invalid_options_are_rejected(self) -> None:
        """Out-of-range values fail at construction with a message, not mid-training."""
        for name, value in self.invalid_options.items():
            try:
                self.make_loss(**{name: value})
            except (ValueError, TypeError):
                continue
            pytest.fail(
                f"invalid_options: {name}={value!r} was accepted; the constructor must raise "
                "ValueError for it (or drop it from invalid_options)"
            )
