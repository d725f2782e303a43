"""AdaProj at paper size: the Gram form against the naive [B, D, C, J] form of the Keras code.

Each implementation's forward + backward is timed with pytest-benchmark, and its peak resident
memory is measured in a fresh subprocess (the rise of VmHWM over the step), so the two figures
come from the same run and are recorded in ``extra_info``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

import asdbench

BATCH, DIM, CLASSES, J = 64, 512, 200, 32


def naive_logits(embeddings: torch.Tensor, centers: torch.Tensor) -> torch.Tensor:
    """The Keras reference's way: materialise every weighted centre, [B, C, J, D]."""
    x = F.normalize(embeddings, dim=1)
    a = torch.einsum("bd,cjd->bcj", x, centers)
    weighted = a.unsqueeze(-1) * centers.unsqueeze(0)  # the (B, D, C, J) tensor
    projections = weighted.sum(dim=2)
    return F.cosine_similarity(x.unsqueeze(1), projections, dim=-1)


def make_inputs():
    torch.manual_seed(0)
    loss = asdbench.create(
        "loss",
        "adaproj",
        num_classes=CLASSES,
        embedding_dim=DIM,
        subspace_dim=J,
        dynamic_scale=False,
    )
    x = torch.randn(BATCH, DIM, requires_grad=True)
    y = torch.eye(CLASSES)[torch.randint(CLASSES, (BATCH,))]
    return loss, x, y


def gram_step(loss, x, y):
    loss(x, y).backward()


def naive_step(loss, x, y):
    logits = naive_logits(x, loss.centers)
    (-(y * torch.log_softmax(loss.scale * logits, 1)).sum(1).mean()).backward()


# VmHWM (the process's own peak RSS, reset by exec) rather than ru_maxrss, which a child
# inherits from its parent on Linux.
MEASURE = """
import json, sys
sys.path.insert(0, {path!r})
import test_adaproj_loss as b

def high_water_kb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])

loss, x, y = b.make_inputs()
before = high_water_kb()
getattr(b, {step!r})(loss, x, y)
print(json.dumps({{"peak_mb": (high_water_kb() - before) / 1024}}))
"""


def peak_mb(step: str) -> float:
    code = MEASURE.format(path=str(Path(__file__).parent), step=step)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)["peak_mb"]


def test_gram_and_naive_forms_agree():
    loss, x, _ = make_inputs()
    assert torch.allclose(loss.logits(x), naive_logits(x, loss.centers), atol=1e-5)


@pytest.mark.parametrize("form", ["gram_step", "naive_step"])
def test_forward_backward_time_and_peak_memory(benchmark, form):
    loss, x, y = make_inputs()
    step = globals()[form]
    benchmark.pedantic(step, args=(loss, x, y), rounds=5, warmup_rounds=1)
    benchmark.extra_info["peak_rss_mb"] = round(peak_mb(form), 1)
    benchmark.extra_info["shape"] = f"B={BATCH} D={DIM} C={CLASSES} J={J}"
    if form == "gram_step":
        assert benchmark.extra_info["peak_rss_mb"] < 100
    else:
        assert benchmark.extra_info["peak_rss_mb"] > 800  # 210 M floats, kept for backward
