"""One training process at a given data scale, reporting its peak resident memory as JSON.

Run by ``test_memory.py`` in a fresh interpreter, so that the figure is the whole process's
peak (``ru_maxrss``) and nothing from other benchmarks counts in it. The process goes the way
``asdbench run`` does: clip table of the whole dataset, audio cache of every clip (decoded now
if it is not cached yet), then training for one epoch over a slice of the training clips spread
over every machine type, then embedding a slice of the test clips.

    python benchmarks/memory_probe.py --size full --clip-seconds 18 --batch-size 16 --steps 40
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from pathlib import Path

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="full")
    parser.add_argument("--clip-seconds", type=float, default=18.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--data-dir", type=Path, default=None)
    args = parser.parse_args()

    import torch

    from asdbench.pipeline.prepare import prepare
    from asdbench.pipeline.resolve import resolve
    from asdbench.pipeline.resources import available_cores, use_threads
    from asdbench.training.embedding import embed
    from asdbench.training.loop import Trainer

    started = time.perf_counter()
    config = resolve(
        loss="adaproj",
        embedder="dual_branch",
        backend="kmeans",
        dataset="synthetic",
        sets=[f"dataset.size={args.size}", f"dataset.clip_seconds={args.clip_seconds}"],
        train={"epochs": 1, "batch_size": args.batch_size},
        data_dir=args.data_dir,
    )
    workers = available_cores()
    use_threads(workers)
    dataset, table, cache = prepare(config, lambda message: None, False, workers)
    prepared = time.perf_counter()
    train_clips = [i for i, c in enumerate(table) if c.split == "train"]
    wanted = min(len(train_clips), args.steps * args.batch_size)
    chosen = np.linspace(0, len(train_clips) - 1, wanted).round().astype(int)
    position = {path: row for row, path in enumerate(cache.files)}
    rows = np.array([position[str(table[train_clips[i]].path)] for i in chosen])
    classes = np.array([table.class_index(table[train_clips[i]]) for i in chosen])
    torch.manual_seed(0)
    embedder = config.embedder.create(
        sample_rate=dataset.sample_rate, clip_samples=dataset.clip_samples, embedding_dim=512
    )
    loss = config.loss.create(num_classes=len(table.classes), embedding_dim=512)
    trainer = Trainer(
        embedder, loss, config.train, seed=0, device=torch.device("cpu"), progress=False
    )
    trainer.fit(cache, rows, classes, len(table.classes), dataset.clip_samples)
    trained = time.perf_counter()
    test_rows = np.arange(len(cache))[-4 * args.batch_size :]
    embed(
        embedder,
        cache,
        test_rows,
        dataset.clip_samples,
        batch_size=args.batch_size,
        device=torch.device("cpu"),
        progress=False,
    )
    samples = int(cache.lengths.sum())
    print(
        json.dumps(
            {
                "size": args.size,
                "clips": len(table),
                "train_clips": len(train_clips),
                "machine_types": len({c.machine for c in table}),
                "dataset_gb_float32": samples * 4 / 1e9,
                "cache_gb_int16": samples * 2 / 1e9,
                "batch_size": args.batch_size,
                "trained_clips": int(wanted),
                "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6,
                "prepare_seconds": prepared - started,
                "train_clips_per_second": wanted / (trained - prepared),
            }
        )
    )


if __name__ == "__main__":
    main()
