"""The backend (k-means fit + scoring) and the official score on DCASE2023-sized data:
14 sections x (1000 training + 200 test) clips, 512-dim embeddings."""

from __future__ import annotations

import numpy as np

from asdbench.backends.builtin import KMeansBackend
from asdbench.data.score_rule import ScoreRule
from asdbench.scoring.scores import decide
from asdbench.submission.evaluation import evaluate_submission
from asdbench.submission.files import write_section

SECTIONS, TRAIN, TEST, DIM = 14, 1000, 200, 512


def section_data(seed: int):
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(8, DIM))
    train = centres[rng.integers(0, 8, TRAIN)] + 0.3 * rng.normal(size=(TRAIN, DIM))
    test = centres[rng.integers(0, 8, TEST)] + 0.3 * rng.normal(size=(TEST, DIM))
    domains = np.array(["source"] * 990 + ["target"] * 10)
    return train, domains, test


def test_kmeans_backend_dcase2023_size(benchmark):
    data = [section_data(seed) for seed in range(SECTIONS)]

    def fit_and_score() -> list[np.ndarray]:
        return [
            KMeansBackend().fit(train, domains).score(np.vstack([train, test]))
            for train, domains, test in data
        ]

    scores = benchmark.pedantic(fit_and_score, rounds=2, iterations=1)
    assert len(scores) == SECTIONS and all(len(s) == TRAIN + TEST for s in scores)
    benchmark.extra_info["sections_per_second"] = round(SECTIONS / benchmark.stats.stats.median, 2)


def test_official_score_of_a_dcase2023_submission(benchmark, tmp_path):
    rng = np.random.default_rng(0)
    truth = {}
    for m in range(7):
        files = [f"section_00_{i:04d}.wav" for i in range(TEST)]
        labels, domains = rng.integers(0, 2, TEST), rng.integers(0, 2, TEST)
        scores = rng.normal(size=TEST) + labels
        write_section(tmp_path, f"machine{m}", "00", files, scores, decide(scores, 0.5))
        truth[("eval", f"machine{m}", "00")] = {
            f: (int(a), int(b)) for f, a, b in zip(files, labels, domains, strict=True)
        }
    results, _ = benchmark(evaluate_submission, tmp_path, truth, ScoreRule("dcase2023"))
    assert 0.5 < results["eval"].official_score() < 1
