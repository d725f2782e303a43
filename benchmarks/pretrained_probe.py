"""One process that builds a pretrained embedder at its published size (random weights in the
published checkpoint format) or the dual-branch network, and embeds or trains on one batch of
10 s clips; prints its timings and peak resident memory as JSON.

Run by ``test_pretrained_speed.py`` in a fresh interpreter, so that the peak (``ru_maxrss``) is
this model's alone.

    python benchmarks/pretrained_probe.py --embedder beats --batch-size 8 --mode embed
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import tempfile
import time
from pathlib import Path

import torch

SAMPLE_RATE, SECONDS = 16000, 10
DEVICE = torch.device(os.environ.get("ASDBENCH_BENCH_DEVICE", "cpu"))


def published_size_checkpoint(encoder: str, folder: Path) -> Path:
    """Random weights of BEATs iter3's or EAT-base's architecture, written as published."""
    torch.manual_seed(0)
    if encoder == "beats":
        from asdbench_pretrained.beats import Beats, BeatsConfig

        config = BeatsConfig()
        path = folder / "BEATs_random.pt"
        torch.save({"cfg": dataclasses.asdict(config), "model": Beats(config).state_dict()}, path)
        return path
    from asdbench_pretrained.eat import Eat, EatConfig
    from safetensors.torch import save_file

    config = EatConfig()
    weights = {f"model.{k}": v.contiguous() for k, v in Eat(config).state_dict().items()}
    save_file(weights, str(folder / "model.safetensors"))
    (folder / "config.json").write_text(json.dumps(dataclasses.asdict(config)))
    return folder


def build(name: str, folder: Path, embedding_dim: int) -> torch.nn.Module:
    import asdbench

    options = {}
    if name != "dual_branch":
        options["checkpoint"] = str(published_size_checkpoint(name.split("_")[0], folder))
    return asdbench.create(
        "embedder",
        name,
        sample_rate=SAMPLE_RATE,
        clip_samples=SAMPLE_RATE * SECONDS,
        embedding_dim=embedding_dim,
        **options,
    ).to(DEVICE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--embedder", required=True)
    parser.add_argument("--mode", choices=["embed", "train"], required=True)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    import asdbench

    frozen = args.embedder in ("beats", "eat")
    dim = 768 if frozen else 256
    with tempfile.TemporaryDirectory() as scratch:
        embedder = build(args.embedder, Path(scratch), dim)
    waves = 0.1 * torch.randn(args.batch_size, SAMPLE_RATE * SECONDS, device=DEVICE)
    if args.mode == "embed":
        embedder.eval()

        def step() -> None:
            with torch.no_grad():
                embedder(waves)
    else:
        loss = asdbench.create("loss", "adaproj", num_classes=16, embedding_dim=dim).to(DEVICE)
        trainable = [p for p in embedder.parameters() if p.requires_grad]
        optimizer = torch.optim.Adam(trainable, lr=1e-4)
        targets = torch.eye(16, device=DEVICE)[torch.arange(args.batch_size) % 16]

        def step() -> None:
            optimizer.zero_grad(set_to_none=True)
            loss(embedder.train()(waves), targets).backward()
            optimizer.step()

    step()  # warm-up
    times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        step()
        if DEVICE.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - started)
    seconds = sorted(times)[len(times) // 2]
    report = {
        "embedder": args.embedder,
        "mode": args.mode,
        "batch_size": args.batch_size,
        "seconds_per_batch": round(seconds, 3),
        "clips_per_second": round(args.batch_size / seconds, 3),
        "trainable_parameters": sum(p.numel() for p in embedder.parameters() if p.requires_grad),
        "parameters": sum(p.numel() for p in embedder.parameters()),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    if DEVICE.type == "cuda":
        report["peak_cuda_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
