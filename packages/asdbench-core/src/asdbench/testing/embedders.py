"""Conformance tests every embedder plugin should pass. Subclass
``EmbedderConformanceTests`` and set ``factory`` (see ``ComponentKit``)."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from asdbench.testing.components import ComponentKit


class EmbedderConformanceTests(ComponentKit):
    kind: ClassVar[str] = "embedder"
    sample_rate: ClassVar[int] = 16000
    clip_samples: ClassVar[int] = 16000
    embedding_dim: ClassVar[int] = 16
    batch_size: ClassVar[int] = 3

    def context(self) -> dict[str, Any]:
        return {
            "sample_rate": self.sample_rate,
            "clip_samples": self.clip_samples,
            "embedding_dim": self.embedding_dim,
        }

    def make_embedder(self, seed: int = 0, **overrides: Any) -> torch.nn.Module:
        torch.manual_seed(seed)
        return self.make(**overrides)

    def waves(self, seed: int = 0, batch_size: int | None = None) -> torch.Tensor:
        generator = torch.Generator().manual_seed(seed)
        shape = (batch_size or self.batch_size, self.clip_samples)
        return (0.1 * torch.randn(shape, generator=generator)).clamp(-1, 0.999)

    def test_constructor_is_keyword_only(self) -> None:
        """Sizes are keyword-only, so a positional call cannot swap them."""
        with pytest.raises(TypeError):
            self.resolved()(self.sample_rate, self.clip_samples, self.embedding_dim)

    def test_embeddings_have_the_asked_shape_and_are_finite(self) -> None:
        """``forward(waveforms [B, T]) -> [B, embedding_dim]``, every value finite."""
        embedder = self.make_embedder().eval()
        with torch.no_grad():
            out = embedder(self.waves())
        assert tuple(out.shape) == (self.batch_size, self.embedding_dim)
        assert torch.isfinite(out).all()

    def test_an_embedding_does_not_depend_on_its_batch(self) -> None:
        """In eval mode (scoring) a clip's embedding is the same alone or in a batch: no batch
        statistics, no mixing across clips."""
        embedder = self.make_embedder().eval()
        waves = self.waves()
        with torch.no_grad():
            together = embedder(waves)
            alone = embedder(waves[:1])
        assert torch.allclose(together[:1], alone, atol=1e-4, rtol=1e-4)

    def test_every_trainable_parameter_learns(self) -> None:
        """In training mode every trainable parameter gets a finite gradient (one that gets
        none is dead weight or a wiring bug). An embedder that declares ``needs_training =
        False`` is never trained, so it has no trainable parameter."""
        embedder = self.make_embedder().train()
        if not getattr(embedder, "needs_training", True):
            trainable = [n for n, p in embedder.named_parameters() if p.requires_grad]
            assert trainable == [], f"needs no training but has parameters {trainable}"
            return
        embedder(self.waves()).square().sum().backward()
        for name, parameter in embedder.named_parameters():
            if parameter.requires_grad:
                assert parameter.grad is not None, f"parameter {name} got no gradient"
                assert torch.isfinite(parameter.grad).all(), f"parameter {name}: non-finite"

    def test_deterministic_under_seed(self) -> None:
        """The same seed builds the same network, so a run repeats."""
        first, second = self.make_embedder(seed=3), self.make_embedder(seed=3)
        for (name, a), (_, b) in zip(
            first.state_dict().items(), second.state_dict().items(), strict=True
        ):
            assert torch.equal(a, b), f"{name} differs between two embedders built with one seed"

    def test_state_dict_round_trip(self) -> None:
        """Everything that defines the network is in ``state_dict`` (a checkpoint restores
        it)."""
        trained = self.make_embedder(seed=1).train()
        trained(self.waves())  # batch-norm statistics move
        restored = self.make_embedder(seed=2)
        restored.load_state_dict(trained.state_dict())
        trained.eval()
        restored.eval()
        with torch.no_grad():
            assert torch.equal(trained(self.waves(seed=4)), restored(self.waves(seed=4)))
