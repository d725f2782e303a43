"""Conformance tests every back-end plugin should pass. Subclass ``BackendConformanceTests``
and set ``factory`` (see ``ComponentKit``)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

from asdbench.testing.components import ComponentKit


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


class BackendConformanceTests(ComponentKit):
    kind: ClassVar[str] = "backend"
    looks_at: ClassVar[str] = "its scores"
    dim: ClassVar[int] = 8
    source_clips: ClassVar[int] = 40
    target_clips: ClassVar[int] = 3

    def training(self, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Normal training embeddings around two directions (source and target), with their
        domains; few target clips, as in DCASE."""
        rng = np.random.default_rng(seed)
        centre = np.eye(self.dim)
        source = centre[0] + 0.1 * rng.standard_normal((self.source_clips, self.dim))
        target = centre[1] + 0.1 * rng.standard_normal((self.target_clips, self.dim))
        domains = np.array(["source"] * self.source_clips + ["target"] * self.target_clips)
        return unit(np.vstack([source, target])), domains

    def fitted(self, seed: int = 0):
        backend = self.make()
        backend.fit(*self.training(seed))
        return backend

    def behaviour(self, component):
        """Its scores, fitted on ``training()``, of held-out clips of both domains and of
        clips unlike them."""
        rng = np.random.default_rng(5)
        normal, _ = self.training(seed=5)
        far = unit(rng.standard_normal((10, self.dim)))
        component.fit(*self.training())
        return np.asarray(component.score(np.vstack([normal, far])))

    def test_fit_returns_the_back_end(self) -> None:
        """``fit`` returns the back end itself (the contract), so that fitting and scoring
        read as one step. Fix: end ``fit`` with ``return self``."""
        backend = self.make()
        assert backend.fit(*self.training()) is backend, "fit must return the back end itself"

    def test_scores_are_one_finite_float_per_clip(self) -> None:
        """``score(embeddings [M, D]) -> [M]`` finite floats."""
        embeddings, _ = self.training(seed=1)
        scores = np.asarray(self.fitted().score(embeddings))
        assert scores.shape == (len(embeddings),)
        assert np.issubdtype(scores.dtype, np.floating) and np.isfinite(scores).all()

    def test_clips_unlike_the_training_ones_score_higher(self) -> None:
        """Higher means more anomalous: clips far from both training directions score above
        clips like the training ones."""
        rng = np.random.default_rng(2)
        normal, _ = self.training(seed=2)
        far = unit(-np.eye(self.dim)[0] + 0.1 * rng.standard_normal((10, self.dim)))
        scores = np.asarray(self.fitted().score(np.vstack([normal[:10], far])))
        assert scores[10:].min() > scores[:10].max()

    def test_scoring_before_fitting_fails(self) -> None:
        """A back end used unfitted must say so, not score against nothing."""
        with pytest.raises(Exception):  # noqa: B017 - any error will do; silence will not
            self.make().score(self.training()[0])

    def test_deterministic(self) -> None:
        """Fitted twice on the same data, a back end scores the same."""
        test, _ = self.training(seed=3)
        assert np.array_equal(self.fitted().score(test), self.fitted().score(test))

    def test_inputs_are_not_modified(self) -> None:
        """The back end must not normalise the caller's arrays in place."""
        embeddings, domains = self.training()
        saved = embeddings.copy(), domains.copy()
        backend = self.make()
        backend.fit(embeddings, domains)
        backend.score(embeddings)
        assert np.array_equal(embeddings, saved[0]) and np.array_equal(domains, saved[1])

    def test_a_section_with_one_domain_only(self) -> None:
        """Some sections have no target training clips: fitting on source clips alone works."""
        embeddings, domains = self.training()
        backend = self.make()
        backend.fit(embeddings[domains == "source"], domains[domains == "source"])
        assert np.isfinite(backend.score(embeddings)).all()
