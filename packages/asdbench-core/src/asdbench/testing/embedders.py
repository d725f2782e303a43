"""Conformance tests every embedder plugin should pass. Subclass
``EmbedderConformanceTests`` and set ``factory`` (see ``ComponentKit``). An embedder that
declares ``accepts_channels`` is tested at its first declared channel count, and its others by
``test_every_declared_channel_count_embeds``."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

from asdbench.contracts import accepted_channels, takes_channels
from asdbench.registry.options import signature_of
from asdbench.testing.components import ComponentKit


class EmbedderConformanceTests(ComponentKit):
    kind: ClassVar[str] = "embedder"
    looks_at: ClassVar[str] = "its network and outputs"
    sample_rate: ClassVar[int] = 16000
    clip_samples: ClassVar[int] = 16000
    embedding_dim: ClassVar[int] = 16
    batch_size: ClassVar[int] = 3

    def channels(self) -> int:
        """The channel count the tests run at: the first the embedder declares."""
        return accepted_channels(self.resolved())[0]

    def context(self) -> dict[str, Any]:
        context = {
            "sample_rate": self.sample_rate,
            "clip_samples": self.clip_samples,
            "embedding_dim": self.embedding_dim,
        }
        if takes_channels(self.resolved()):
            context["channels"] = self.channels()
        return context

    def make_embedder(self, seed: int = 0, **overrides: Any) -> torch.nn.Module:
        torch.manual_seed(seed)
        return self.make(**overrides)

    def waves(
        self,
        seed: int = 0,
        batch_size: int | None = None,
        channels: int | None = None,
        samples: int | None = None,
    ) -> torch.Tensor:
        """Noise waveforms as the pipeline gives them: ``[B, T]`` for one channel, ``[B,
        channels, T]`` for more."""
        generator = torch.Generator().manual_seed(seed)
        channels = channels or self.channels()
        per_channel = () if channels == 1 else (channels,)
        shape = (batch_size or self.batch_size, *per_channel, samples or self.clip_samples)
        return (0.1 * torch.randn(shape, generator=generator)).clamp(-1, 0.999)

    def build(self, **overrides: Any) -> torch.nn.Module:
        """Built under one torch seed, so that two builds differ only by their options; its
        clips are as long as ``clip_samples`` in ``variant_context`` says."""
        self._built_samples = overrides.get("clip_samples", self.clip_samples)
        return self.make_embedder(0, **overrides)

    def behaviour(self, component):
        """The state built, the embeddings in eval mode, the embeddings in training mode and
        the state that training-mode pass leaves (batch-norm statistics)."""
        waves = self.waves(samples=self._built_samples)
        built = {k: v.detach().clone() for k, v in component.state_dict().items()}
        torch.manual_seed(1)
        with torch.no_grad():
            scored = component.eval()(waves)
            trained = component.train()(waves)
        after = {k: v.detach().clone() for k, v in component.state_dict().items()}
        return built, scored, trained, after

    def test_declared_channels_are_well_formed(self) -> None:
        """``accepts_channels``, when declared, is a tuple of channel counts and the factory
        takes the ``channels`` the pipeline then passes it."""
        factory = self.resolved()
        accepted_channels(factory)  # raises TypeError when malformed
        if takes_channels(factory):
            assert "channels" in signature_of(factory).parameters, (
                "declares accepts_channels but its factory takes no channels argument"
            )

    def test_every_declared_channel_count_embeds(self) -> None:
        """Each channel count in ``accepts_channels`` builds an embedder whose ``forward`` takes
        waveforms of that many channels and gives ``[B, embedding_dim]``, finite, each clip's
        embedding independent of its batch in eval mode; the channels are heard (changing the
        last one changes the embedding)."""
        factory = self.resolved()
        for channels in accepted_channels(factory):
            sized = {"channels": channels} if takes_channels(factory) else {}
            embedder = self.make_embedder(**sized).eval()
            waves = self.waves(channels=channels)
            with torch.no_grad():
                out = embedder(waves)
                alone = embedder(waves[:1])
            assert tuple(out.shape) == (self.batch_size, self.embedding_dim), channels
            assert torch.isfinite(out).all(), channels
            assert torch.allclose(out[:1], alone, atol=1e-4, rtol=1e-4), channels
            if channels > 1:
                changed = waves.clone()
                changed[:, -1] = self.waves(seed=9, channels=channels)[:, -1]
                with torch.no_grad():
                    other = embedder(changed)
                assert not torch.allclose(out, other), f"channel {channels} is not heard"

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
