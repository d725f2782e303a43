"""Conformance tests every ensemble plugin should pass. Subclass ``EnsembleConformanceTests``
and set ``factory`` (see ``ComponentKit``)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from asdbench.testing.components import ComponentKit


class EnsembleConformanceTests(ComponentKit):
    kind: ClassVar[str] = "ensemble"
    looks_at: ClassVar[str] = "its combined scores"
    trials: ClassVar[int] = 3

    def scores(self, seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
        """Per-trial scores of two sections (on different scales, as trials are), the
        sections and which clips are training clips."""
        rng = np.random.default_rng(seed)
        sections = np.array(["fan_00"] * 12 + ["pump_00"] * 8)
        train = np.array(([True] * 6 + [False] * 6) + ([True] * 4 + [False] * 4))
        per_trial = [rng.normal(loc=t, scale=1 + t, size=len(sections)) for t in range(self.trials)]
        return per_trial, sections, train

    def behaviour(self, component):
        """Its combined scores of ``scores()``."""
        return np.asarray(component.combine(*self.scores()))

    def test_one_finite_score_per_clip(self) -> None:
        per_trial, sections, train = self.scores()
        combined = np.asarray(self.make().combine(per_trial, sections, train))
        assert combined.shape == sections.shape and np.isfinite(combined).all()

    def test_a_section_depends_only_on_its_own_scores(self) -> None:
        """Changing one section's scores leaves the other sections' combined scores alone."""
        per_trial, sections, train = self.scores()
        before = np.asarray(self.make().combine(per_trial, sections, train))
        changed = [s.copy() for s in per_trial]
        for s in changed:
            s[sections == "pump_00"] *= 10
        after = np.asarray(self.make().combine(changed, sections, train))
        fan = sections == "fan_00"
        assert np.allclose(before[fan], after[fan])

    def test_the_order_of_the_trials_does_not_matter(self) -> None:
        per_trial, sections, train = self.scores()
        forward = np.asarray(self.make().combine(per_trial, sections, train))
        backward = np.asarray(self.make().combine(per_trial[::-1], sections, train))
        assert np.allclose(forward, backward)

    def test_inputs_are_not_modified(self) -> None:
        per_trial, sections, train = self.scores()
        saved = [s.copy() for s in per_trial]
        self.make().combine(per_trial, sections, train)
        assert all(np.array_equal(a, b) for a, b in zip(per_trial, saved, strict=True))

    def test_one_trial(self) -> None:
        """An ensemble of one trial is defined (and ranks clips as that trial does)."""
        per_trial, sections, train = self.scores()
        combined = np.asarray(self.make().combine(per_trial[:1], sections, train))
        for section in np.unique(sections):
            mask = sections == section
            assert np.array_equal(
                np.argsort(combined[mask], kind="stable"),
                np.argsort(per_trial[0][mask], kind="stable"),
            )
