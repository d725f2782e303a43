"""Training the embedder on the auxiliary classification task, and extracting embeddings.

As in the reference: Adam (lr 1e-3, betas 0.9/0.999, eps 1e-7), an explicit L2 penalty of
1e-5 * sum(w²) on every conv and dense kernel (not on batch-norm parameters or the loss's
centres), batches of 64 reshuffled every epoch with the last partial batch kept, and mixup on
the waveforms before the network: each clip is mixed with its partner in the reversed batch
with a coefficient drawn from U(0, 1) (with probability ``mixup_prob``), targets likewise.
By default each epoch draws a new random crop of every clip from the int16 cache and clips are
embedded from their start; ``train.crop=once`` and ``train.embed_offset=random`` do as the
reference does instead: one random offset per clip, drawn once (from the seed) and used for
every epoch and for the embedding.

The randomness of an epoch (order, crops, mixup) is derived from (seed, epoch), and a
checkpoint holding model, loss buffers, optimiser and epoch is written after every epoch, so
an interrupted run resumed from its checkpoint ends bit for bit where an uninterrupted one does
(on CPU).
"""

from __future__ import annotations

import ctypes
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from asdbench.contracts import Embedder, Loss, ReportsTrainingMetrics
from asdbench.data.audio import max_offset
from asdbench.data.audio_cache import AudioCache
from asdbench.errors import DataError
from asdbench.files import atomic_file
from asdbench.training.settings import TrainConfig

StepCallback = Callable[[int, dict[str, float]], None]


M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's mallopt parameters
#: Steps between progress-bar updates (each reads the loss, which waits for a GPU).
PROGRESS_EVERY = 10


#: The version of the numbers the training loop and the embedding extraction compute: bump it
#: with any change that alters them (the trial cache is keyed by it, not by core's release).
NUMERICS_VERSION = "1"


def keep_freed_memory() -> None:
    """Have glibc keep large freed blocks for reuse instead of unmapping them.

    By default every large tensor freed after a step goes back to the operating system and the
    next step faults fresh pages in again; at batch 64 on 18 s clips that page churn cost about
    40 % of a CPU training step (10.7 -> 21 clips/s with this setting, see
    docs/performance.md). Without glibc (macOS, musl) this does nothing.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return
    libc.mallopt(M_MMAP_MAX, 0)
    libc.mallopt(M_TRIM_THRESHOLD, 1 << 30)


def pick_device(choice: str) -> torch.device:
    """``auto``: CUDA when available, else CPU."""
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cuda" and not torch.cuda.is_available():
        from asdbench.errors import AsdbenchError

        raise AsdbenchError("--device cuda: no CUDA device is available (torch sees none)")
    return torch.device(choice)


def epoch_rng(seed: int, epoch: int) -> tuple[np.random.Generator, torch.Generator]:
    numpy_rng = np.random.default_rng([seed, epoch])
    torch_rng = torch.Generator().manual_seed(int(numpy_rng.integers(2**62)))
    return numpy_rng, torch_rng


#: The stream of ``numpy.random.default_rng([seed, CROP_STREAM])`` that draws the fixed
#: offsets, apart from every epoch's stream ``[seed, epoch]``.
CROP_STREAM = 2**32 - 1


def random_offsets(rng: np.random.Generator, lengths: np.ndarray, clip_samples: int) -> np.ndarray:
    """One offset per clip, uniform over the valid ones {0, ..., max_offset} of its tiling."""
    limits = np.array([max_offset(int(n), clip_samples) for n in lengths], dtype=np.int64)
    return (rng.random(len(limits)) * (limits + 1)).astype(np.int64)


def fixed_offsets(cache: AudioCache, clip_samples: int, seed: int) -> np.ndarray:
    """The offset of every cache clip drawn once from ``seed``: the crop every epoch uses with
    ``train.crop=once`` and the cut embedded with ``train.embed_offset=random``."""
    rng = np.random.default_rng([seed, CROP_STREAM])
    return random_offsets(rng, np.asarray(cache.lengths), clip_samples)


def batch_bounds(clips: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, stop) of each batch of an epoch: ``batch_size`` clips, the last partial batch
    kept (as the reference code), except that a last batch of one clip joins the one before
    (batch norm cannot train on a single clip)."""
    bounds = [(start, min(start + batch_size, clips)) for start in range(0, clips, batch_size)]
    if len(bounds) > 1 and bounds[-1][1] - bounds[-1][0] == 1:
        bounds[-2:] = [(bounds[-2][0], clips)]
    return bounds


def mixup(
    waveforms: torch.Tensor, targets: torch.Tensor, probability: float, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Mix each clip (``[B, T]`` or ``[B, channels, T]``) with its partner in the reversed
    batch, λ ~ U(0, 1), with probability ``probability`` per clip (λ = 1 otherwise); targets
    are mixed with the same λ."""
    n = waveforms.shape[0]
    lam = torch.rand(n, generator=generator)
    applied = torch.rand(n, generator=generator) < probability
    lam = torch.where(applied, lam, torch.ones_like(lam)).to(waveforms.device, waveforms.dtype)
    per_clip = lam.view(-1, *([1] * (waveforms.dim() - 1)))  # every channel alike
    mixed = per_clip * waveforms + (1 - per_clip) * waveforms.flip(0)
    mixed_targets = lam[:, None] * targets + (1 - lam[:, None]) * targets.flip(0)
    return mixed, mixed_targets


def l2_penalty(model: nn.Module) -> torch.Tensor:
    """sum(w²) over conv and dense kernels (every trainable parameter with more than one
    dimension; weights held fixed are not the model's to shrink)."""
    kernels = [p for p in model.parameters() if p.dim() > 1 and p.requires_grad]
    return torch.stack([p.square().sum() for p in kernels]).sum()


def metrics_reader(loss: Loss) -> Callable[[], dict[str, torch.Tensor]]:
    """Reads the values a loss declares it reports
    (:class:`~asdbench.contracts.ReportsTrainingMetrics`), as tensors on its device (no wait
    for a GPU); nothing for a loss that reports none."""
    if not isinstance(loss, ReportsTrainingMetrics):
        return dict
    return lambda: {name: v.detach().clone() for name, v in loss.training_metrics().items()}


#: A training batch on the device: waveforms and soft targets.
Batch = tuple[torch.Tensor, torch.Tensor]
#: What a step leaves on the device: its loss and the loss's reported values.
Logged = tuple[torch.Tensor, dict[str, torch.Tensor]]


@dataclass
class History:
    """Per-epoch training figures."""

    epochs: list[dict[str, float]] = field(default_factory=list)


def save_atomically(payload: dict, path: Path) -> None:
    """``torch.save`` through :func:`asdbench.files.atomic_file`: an interruption or a full
    disk leaves the previous file (or none), never half of one, and no temporary file."""
    try:
        with atomic_file(path, "wb") as out:
            torch.save(payload, out)
    except RuntimeError as exc:  # torch's zip writer reports a failed write so
        raise DataError(f"{path}: cannot be written (the write failed; is the disk full?)") from exc


class Trainer:
    """Trains ``embedder`` with ``loss`` (whose own parameters join the optimiser)."""

    def __init__(
        self,
        embedder: Embedder,
        loss: Loss,
        config: TrainConfig,
        *,
        seed: int,
        device: torch.device,
        checkpoint: Path | None = None,
        identity: str = "",
        progress: bool = True,
        on_step: StepCallback | None = None,
    ) -> None:
        keep_freed_memory()
        self.embedder = embedder.to(device)
        self.loss = loss.to(device)
        self.config = config
        self.seed = seed
        self.device = device
        self.checkpoint = checkpoint
        #: What the checkpoint must be of (the trial's cache key): another trial's, another
        #: cell's, is refused.
        self.identity = identity
        self.progress = progress
        self.on_step = on_step
        groups = [{"params": [p for p in embedder.parameters() if p.requires_grad]}]
        loss_parameters = [p for p in loss.parameters() if p.requires_grad]
        if loss_parameters:
            groups.append({"params": loss_parameters})
        self.optimizer = torch.optim.Adam(
            groups, lr=config.learning_rate, betas=(0.9, 0.999), eps=config.adam_eps
        )
        self.start_epoch = 0
        self.history = History()

    def _to_device(self, batch: np.ndarray) -> torch.Tensor:
        """A host batch on the training device; on CUDA through pinned memory, without waiting
        for the copy."""
        waves = torch.from_numpy(batch)
        if self.device.type == "cuda":
            return waves.pin_memory().to(self.device, non_blocking=True)
        return waves

    def resume(self) -> bool:
        """Load the checkpoint if there is one; returns whether training continues from it."""
        if self.checkpoint is None or not self.checkpoint.exists():
            return False
        try:
            state = torch.load(self.checkpoint, map_location=self.device, weights_only=True)
            if state.get("trial") != self.identity:
                raise ValueError("it is another trial's, or written by an older asdbench")
            epoch = state["epoch"]
            if not isinstance(epoch, int) or not 0 < epoch <= self.config.epochs:
                raise ValueError(
                    f"epoch {epoch!r} is not one of this trial's 1..{self.config.epochs}"
                )
            self.embedder.load_state_dict(state["embedder"])
            self.loss.load_state_dict(state["loss"])
            self.optimizer.load_state_dict(state["optimizer"])
            torch.set_rng_state(state["torch_rng"])
            self.start_epoch = epoch
            self.history.epochs = [dict(e) for e in state["history"]]
        except Exception as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(
                f"{self.checkpoint}: the checkpoint cannot be resumed ({reason}); run without "
                "--resume to train this trial from the start (the checkpoint is replaced)"
            ) from exc
        return True

    def _save(self, epoch: int) -> None:
        if self.checkpoint is None:
            return
        save_atomically(
            {
                "trial": self.identity,
                "epoch": epoch,
                "seed": self.seed,
                "embedder": self.embedder.state_dict(),
                "loss": self.loss.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "torch_rng": torch.get_rng_state(),
                "history": self.history.epochs,
            },
            self.checkpoint,
        )

    def fit(
        self,
        cache: AudioCache,
        rows: np.ndarray,
        classes: np.ndarray,
        num_classes: int,
        clip_samples: int,
    ) -> History:
        """Train on cache clips ``rows`` with class indices ``classes``: each epoch its steps
        (:meth:`_epoch`), their values logged once it is over (:meth:`_log_steps`), its line of
        the history and a checkpoint."""
        config = self.config
        eye = torch.eye(num_classes)
        autocast = torch.autocast(
            self.device.type, dtype=torch.bfloat16, enabled=config.precision == "bf16"
        )
        bounds = batch_bounds(len(rows), config.batch_size)
        kept = (
            fixed_offsets(cache, clip_samples, self.seed)[rows] if config.crop == "once" else None
        )
        for epoch in range(self.start_epoch, config.epochs):
            self.embedder.train()
            self.loss.train()
            numpy_rng, torch_rng = epoch_rng(self.seed, epoch)
            order = numpy_rng.permutation(len(rows))
            offsets = (
                random_offsets(numpy_rng, np.asarray(cache.lengths)[rows], clip_samples)
                if kept is None
                else kept
            )

            def load(
                batch: np.ndarray,
                offsets: np.ndarray = offsets,
                torch_rng: torch.Generator = torch_rng,
            ) -> Batch:
                waves = self._to_device(cache.batch(rows[batch], clip_samples, offsets[batch]))
                targets = eye[classes[batch]].to(self.device, non_blocking=True)
                return mixup(waves, targets, config.mixup_prob, torch_rng)

            started = time.perf_counter()
            logged = self._epoch(epoch, [(order[a:b], b) for a, b in bounds], load, autocast)
            total, reported = self._log_steps(epoch, bounds, logged)
            seconds = time.perf_counter() - started
            self.history.epochs.append(
                {
                    "epoch": epoch + 1,
                    "loss": total / len(rows),
                    #: each reported value at the end of the epoch
                    "reported": {name: v[-1] for name, v in reported.items()},
                    "clips_per_second": len(rows) / seconds,
                    "seconds": seconds,
                }
            )
            self._save(epoch + 1)
        return self.history

    def _epoch(
        self,
        epoch: int,
        batches: list[tuple[np.ndarray, int]],
        load: Callable[[np.ndarray], Batch],
        autocast: torch.autocast,
    ) -> list[Logged]:
        """One epoch's steps over ``batches`` (clip indices, and how many clips the epoch has
        seen after it), with a progress bar; each step's loss and reported values stay on the
        device (reading them here would wait for the GPU every step)."""
        from tqdm.auto import tqdm

        started = time.perf_counter()
        bar = tqdm(
            total=len(batches),
            desc=f"epoch {epoch + 1}/{self.config.epochs}",
            unit="batch",
            disable=not self.progress,
            leave=False,
        )
        logged: list[Logged] = []
        read_metrics = metrics_reader(self.loss)
        for step, (batch, seen) in enumerate(batches):
            logged.append(self._step(*load(batch), autocast, read_metrics))
            if self.progress and (step % PROGRESS_EVERY == 0 or step == len(batches) - 1):
                bar.set_postfix(
                    loss=f"{float(logged[-1][0]):.3f}",
                    **{name: f"{float(v):.2f}" for name, v in logged[-1][1].items()},
                    clips_s=f"{seen / (time.perf_counter() - started):.0f}",
                )
            bar.update()
        bar.close()
        return logged

    def _step(
        self,
        waves: torch.Tensor,
        targets: torch.Tensor,
        autocast: torch.autocast,
        read_metrics: Callable[[], dict[str, torch.Tensor]],
    ) -> Logged:
        """One optimiser step: the loss, plus the L2 penalty on the embedder's weights."""
        with autocast:
            embeddings = self.embedder(waves)
        value = self.loss(embeddings.float(), targets)
        objective = value + self.config.l2_weight * l2_penalty(self.embedder)
        self.optimizer.zero_grad(set_to_none=True)
        objective.backward()
        self.optimizer.step()
        return value.detach(), read_metrics()

    def _log_steps(
        self, epoch: int, bounds: list[tuple[int, int]], logged: list[Logged]
    ) -> tuple[float, dict[str, list[float]]]:
        """Read an epoch's step values from the device at once and pass each step's to
        ``on_step``; returns the clip-weighted loss sum and each reported value per step."""
        values = torch.stack([v for v, _ in logged]).cpu().tolist()
        reported = {
            name: torch.stack([m[name].float().to(self.device) for _, m in logged]).cpu().tolist()
            for name in logged[0][1]
        }
        total = 0.0
        for step, loss_value in enumerate(values):
            start, stop = bounds[step]
            total += loss_value * (stop - start)
            if self.on_step is not None:
                self.on_step(
                    epoch * len(bounds) + step,
                    {
                        "train/loss": loss_value,
                        **{f"train/{name}": v[step] for name, v in reported.items()},
                    },
                )
        return total, reported
