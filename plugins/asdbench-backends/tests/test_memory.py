"""GenRep's memory-bank back end against its definition written out with loops on small
arrays (arXiv 2409.05035 and its published code: Euclidean distances, mean of the k nearest per
bank, MemMixup ``alpha * t + (1 - alpha) * s`` with each target clip's nearest source clips,
each bank's distances standardised, the smaller of the two), and the back-end kit."""

import numpy as np
import pytest
from asdbench_backends.memory import GenRepBackend, memmixup

from asdbench.testing import BackendConformanceTests


def distance(a, b):
    return float(np.sqrt(((np.asarray(a) - np.asarray(b)) ** 2).sum()))


def mean_of_nearest(point, bank, k):
    values = sorted(distance(point, entry) for entry in bank)
    return sum(values[:k]) / len(values[:k])


def by_hand(train, domains, test, k, mix, alpha, normalise):
    """The back end's score of each test clip, one loop at a time."""
    clips = list(enumerate(zip(train, domains, strict=True)))
    source = [(x, {i}) for i, (x, d) in clips if d == "source"]
    target = [(x, {i}) for i, (x, d) in clips if d == "target"]
    mixtures = []
    for tx, tclips in target:
        ranked = sorted(source, key=lambda entry: distance(tx, entry[0]))
        count = len(ranked) if mix is None else min(mix, len(ranked))
        for sx, sclips in ranked[:count]:
            mixtures.append(
                (alpha * np.asarray(tx) + (1 - alpha) * np.asarray(sx), tclips | sclips)
            )
    banks = [bank for bank in (source, target + mixtures) if bank]
    scales = []
    for bank in banks:
        if not normalise:
            scales.append((0.0, 1.0))
            continue
        values = []
        for i, x in enumerate(train):
            kept = [entry for entry, clips in bank if i not in clips]
            if kept:
                values.append(mean_of_nearest(x, kept, k))
        mean = sum(values) / len(values)
        spread = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
        scales.append((mean, spread))
    return [
        min(
            (mean_of_nearest(x, [entry for entry, _ in bank], k) - mean) / spread
            for bank, (mean, spread) in zip(banks, scales, strict=True)
        )
        for x in test
    ]


def section(seed=0, source=9, target=3, dim=4):
    rng = np.random.default_rng(seed)
    train = np.vstack(
        [
            np.eye(dim)[0] * 2 + rng.standard_normal((source, dim)),
            np.eye(dim)[1] * 2 + rng.standard_normal((target, dim)),
        ]
    )
    domains = np.array(["source"] * source + ["target"] * target)
    return train, domains, rng.standard_normal((6, dim)) * 2


def test_memmixup_mixes_each_target_clip_with_its_nearest_source_clips():
    target = np.array([[0.0, 0.0]])
    source = np.array([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0]])
    mixtures, pairs = memmixup(target, source, 2, 0.9)
    assert pairs == [(0, 0), (0, 2)]  # the sources at distances 1 and 2, not 3
    np.testing.assert_allclose(mixtures, [[0.1, 0.0], [0.0, 0.2]])


@pytest.mark.parametrize(
    ("k", "mix", "alpha", "normalise"),
    [(1, 0, 0.9, False), (1, 0, 0.9, True), (2, None, 0.9, True), (3, 2, 0.5, True)],
)
def test_scores_follow_the_definition(k, mix, alpha, normalise):
    train, domains, test = section()
    backend = GenRepBackend(k=k, mix_neighbours=mix, alpha=alpha, normalise=normalise)
    scores = backend.fit(train, domains).score(test)
    expected = by_hand(train, domains, test, k, mix, alpha, normalise)
    np.testing.assert_allclose(scores, expected, rtol=1e-9, atol=1e-12)


def test_without_normalisation_the_score_is_the_distance_to_the_nearest_training_clip():
    train = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 3.0]])
    domains = np.array(["source", "source", "target"])
    backend = GenRepBackend(mix_neighbours=0, normalise=False).fit(train, domains)
    np.testing.assert_allclose(backend.score(np.array([[1.0, 0.0], [0.0, 5.0]])), [1.0, 2.0])


def test_a_section_with_one_domain_scores_against_that_bank_alone():
    train, domains, test = section()
    source_only = GenRepBackend().fit(train[:9], domains[:9]).score(test)
    expected = by_hand(train[:9], domains[:9], test, 1, None, 0.9, True)
    np.testing.assert_allclose(source_only, expected, rtol=1e-9)


class TestGenRep(BackendConformanceTests):
    factory = GenRepBackend
    option_variants = {"k": 3, "mix_neighbours": 0, "alpha": 0.5, "normalise": False}
    invalid_options = {"k": 0, "mix_neighbours": -1, "alpha": 0.0}


def test_a_bank_whose_clips_lie_at_one_distance_is_shifted_not_reset():
    """Three source clips at the corners of an equilateral triangle of side 2: each one's
    nearest other lies at 2, so the bank's distances have mean 2 and no spread; a clip's score
    is its distance less 2 (divided by 1), not its raw distance."""
    corners = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, np.sqrt(3.0)]])
    backend = GenRepBackend(mix_neighbours=0).fit(corners, np.array(["source"] * 3))
    test = np.array([[1.0, -3.0], [1.0, np.sqrt(3.0) / 3]])
    nearest = np.sqrt(((test[:, None] - corners[None]) ** 2).sum(-1)).min(axis=1)
    np.testing.assert_allclose(backend.score(test), nearest - 2.0)
