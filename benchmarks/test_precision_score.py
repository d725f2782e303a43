"""``--precision bf16`` against float32 on the built-in synthetic dataset (the main job's
settings): the official score of each partition over ``TRIALS`` trials per precision (the
paper's protocol: ten). bf16's mean must lie within float32's trial-to-trial standard deviation
of float32's mean. About 15 minutes on 2 CPU cores; ``ASDBENCH_PRECISION_TRIALS`` changes it."""

from __future__ import annotations

import os

import numpy as np

from asdbench.pipeline.cells import run_benchmark
from asdbench.pipeline.resolve import resolve

TRIALS = int(os.environ.get("ASDBENCH_PRECISION_TRIALS", "10"))


def official_scores(precision: str) -> dict[str, np.ndarray]:
    config = resolve(
        loss="adaproj",
        embedder="dual_branch",
        backend="kmeans",
        dataset="synthetic",
        train={"precision": precision},
        trials=TRIALS,
    )
    outcome = run_benchmark(config, progress=False, echo=lambda message: None)
    partitions = outcome.trials[0].results
    return {
        p: np.array([100 * t.results[p].official_score() for t in outcome.trials])
        for p in partitions
    }


def test_bf16_official_score_within_the_fp32_trial_spread(benchmark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setenv("ASDBENCH_CACHE_DIR", str(tmp_path / "cache"))
    fp32 = official_scores("fp32")
    bf16 = benchmark.pedantic(official_scores, args=("bf16",), rounds=1, iterations=1)
    for partition, reference in fp32.items():
        spread = reference.std(ddof=1)
        difference = bf16[partition].mean() - reference.mean()
        benchmark.extra_info[partition] = {
            "fp32_mean": round(reference.mean(), 2),
            "fp32_std": round(spread, 2),
            "bf16_mean": round(bf16[partition].mean(), 2),
            "bf16_std": round(bf16[partition].std(ddof=1), 2),
            "difference_in_fp32_stds": round(difference / spread, 2),
        }
        assert abs(difference) <= spread, benchmark.extra_info[partition]
