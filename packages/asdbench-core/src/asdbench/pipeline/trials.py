"""A trial: one model trained with its own seed, and its embeddings of every clip.

Each trial's trained model and embeddings are cached under
``$ASDBENCH_CACHE_DIR/trials/<key>``, keyed by everything that determines them (the data, the
components, the versions of the numbers they and the training loop compute, the training
settings, the seed, the kind of device), so a different back end or ensemble is scored later
without retraining, and an interrupted training resumes from its last epoch with ``--resume``.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from asdbench.data.audio_cache import AudioCache
from asdbench.data.clips import ClipTable
from asdbench.files import atomic_file, exclusive, write_atomically
from asdbench.paths import cache_dir
from asdbench.pipeline.config import Choice, RunConfig, embedder_context
from asdbench.pipeline.outputs import Echo
from asdbench.scoring.metrics import Results

if TYPE_CHECKING:
    import torch

    from asdbench.contracts import Dataset, Embedder
    from asdbench.training.loop import Trainer

EMBEDDINGS = "embeddings.npy"
HISTORY = "history.json"
WEIGHTS = "weights.pt"
CHECKPOINT = "checkpoint.pt"


@dataclass
class Trial:
    """One trained model's outcome."""

    index: int
    seed: int
    scores: np.ndarray
    #: 0/1 decisions per clip (threshold: the section's training-score quantile).
    decisions: np.ndarray
    results: dict[str, Results]
    history: list[dict[str, float]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    workdir: Path | None = None


@dataclass
class Embedded:
    """A trained model's embeddings of every clip (table order), its training history (one
    record per epoch), its timings and the trial cache folder that holds them."""

    embeddings: np.ndarray
    history: list[dict[str, Any]]
    timings: dict[str, float]
    workdir: Path


def trial_seed(seed: int, trial: int) -> int:
    """Trial k's seed, derived from ``--seed`` (trial 0 uses the seed itself)."""
    return seed if trial == 0 else int(np.random.default_rng([seed, trial]).integers(2**31))


def numerics_of(choice: Choice) -> str:
    """The version of the numbers a component computes: its ``numerics_version`` when it
    declares one, else its distribution's version (each release of it then retrains)."""
    declared = getattr(choice.component.spec.resolve(), "numerics_version", None)
    if declared is not None:
        return f"{choice.name} numerics {declared}"
    plugin = choice.component.plugin
    return f"{plugin.distribution or plugin.name} {plugin.version}"


def training_key(config: RunConfig, cache: AudioCache, seed: int, device: str) -> str:
    """Everything that determines a trained model: data (the audio cache's key, which names
    the decoding's numerics version), components and the versions of the numbers they and the
    training loop compute (a release that changes none of them reuses cached trials), training
    settings, seed and the kind of device (CPU and CUDA kernels differ in their last bits)."""
    from asdbench.training.loop import NUMERICS_VERSION

    settings = config.as_dict()
    identity = {
        "dataset": settings["dataset"],
        "loss": settings["loss"],
        "embedder": settings["embedder"],
        "code": {
            "training": NUMERICS_VERSION,
            "loss": numerics_of(config.loss),
            "embedder": numerics_of(config.embedder),
        },
        "train": settings["train"],
        "seed": seed,
        "audio": cache.directory.name,
        "device": device,
    }
    text = json.dumps(identity, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def trial_workdir(config: RunConfig, cache: AudioCache, seed: int) -> Path:
    """The trial cache folder of the model trained with ``seed`` on the kind of device
    ``config.device`` names (found without needing that device: a driver can look)."""
    import torch

    from asdbench.training.loop import pick_device

    kind = pick_device("auto").type if config.device == "auto" else torch.device(config.device).type
    return cache_dir() / "trials" / training_key(config, cache, seed, kind)


def trial_is_cached(config: RunConfig, cache: AudioCache, index: int) -> bool:
    """Whether trial ``index`` is trained and embedded already (only scoring is left)."""
    workdir = trial_workdir(config, cache, trial_seed(config.seed, index))
    return (workdir / EMBEDDINGS).exists()


def train_and_embed(
    config: RunConfig,
    dataset: Dataset,
    table: ClipTable,
    cache: AudioCache,
    seed: int,
    *,
    resume: bool,
    progress: bool,
    echo: Echo,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> Embedded:
    """Embeddings of every clip (table order) from a model trained with ``seed``: from the
    trial cache when complete, else trained (or resumed) and cached. One process at a time
    trains a trial: a second one waits, then reuses what the first cached."""
    workdir = trial_workdir(config, cache, seed)
    with exclusive(workdir / "lock", f"training this trial ({workdir})", echo):
        if (workdir / EMBEDDINGS).exists():
            echo(f"reusing the trained model and embeddings in {workdir}")
            return _cached(workdir)
        job = _Job(config, dataset, table, cache, seed, workdir, resume, progress, echo, on_step)
        return _train(job)


def _cached(workdir: Path) -> Embedded:
    record = json.loads((workdir / HISTORY).read_text())
    return Embedded(np.load(workdir / EMBEDDINGS), record["history"], record["timings"], workdir)


@dataclass(frozen=True)
class _Job:
    """One trial to train: its run, data, seed, cache folder and how it reports."""

    config: RunConfig
    dataset: Dataset
    table: ClipTable
    cache: AudioCache
    seed: int
    workdir: Path
    resume: bool
    progress: bool
    echo: Echo
    on_step: Callable[[int, dict[str, float]], None] | None


def _train(job: _Job) -> Embedded:
    """Train (continuing a checkpoint with ``resume``), embed every clip, store the trial. An
    embedder that needs no training embeds as built: no loss, no epochs."""
    import torch

    from asdbench.contracts import needs_training
    from asdbench.training.loop import pick_device

    config, dataset, table, cache, seed = job.config, job.dataset, job.table, job.cache, job.seed
    position = {path: i for i, path in enumerate(cache.files)}
    rows = np.array([position[str(c.path)] for c in table], dtype=np.int64)
    train_clips = [i for i, c in enumerate(table) if c.split == "train" and c.aux_class is not None]
    epochs: list[dict[str, Any]] = []
    clip_passes, train_seconds = 0, 0.0
    if needs_training(config.embedder.component.spec.resolve()):
        trainer = _trainer(job)
        classes = np.array([table.class_index(table[i]) for i in train_clips])
        started = time.perf_counter()
        history = trainer.fit(
            cache, rows[train_clips], classes, len(table.classes), dataset.clip_samples
        )
        train_seconds = time.perf_counter() - started
        epochs = list(history.epochs)
        clip_passes = len(train_clips) * (config.train.epochs - trainer.start_epoch)
        embedder, device = trainer.embedder, trainer.device
        weights = {"embedder": learned_state(embedder), "loss": trainer.loss.state_dict()}
    else:
        torch.manual_seed(seed)
        device = pick_device(config.device)
        embedder = config.embedder.create(**embedder_context(config, dataset)).to(device)
        weights = {"embedder": learned_state(embedder)}
    started = time.perf_counter()
    embeddings = _embed_every_clip(job, rows, embedder, device)
    embed_seconds = time.perf_counter() - started
    timings = {
        "train_seconds": train_seconds,
        "train_clips_per_second": clip_passes / train_seconds if train_seconds else math.nan,
        "embed_seconds": embed_seconds,
        "embed_clips_per_second": len(rows) / embed_seconds if embed_seconds else math.nan,
    }
    trained = Embedded(embeddings, epochs, timings, job.workdir)
    _store(trained, weights)
    (job.workdir / CHECKPOINT).unlink(missing_ok=True)
    return trained


def _embed_every_clip(
    job: _Job, rows: np.ndarray, embedder: Embedder, device: torch.device
) -> np.ndarray:
    """Every clip's embedding (cache ``rows``) with ``embedder`` on ``device``; cut at the
    trial's fixed offsets when ``train.embed_offset`` is ``random``."""
    from asdbench.training.embedding import embed
    from asdbench.training.loop import fixed_offsets

    config, dataset, cache = job.config, job.dataset, job.cache
    return embed(
        embedder,
        cache,
        rows,
        dataset.clip_samples,
        batch_size=config.train.batch_size,
        device=device,
        progress=job.progress,
        precision=config.train.precision,
        offsets=(
            fixed_offsets(cache, dataset.clip_samples, job.seed)[rows]
            if config.train.embed_offset == "random"
            else None
        ),
    )


def _trainer(job: _Job) -> Trainer:
    """The embedder and loss built with the trial's seed for this data, in a trainer that
    continues the trial's checkpoint with ``resume`` (and discards it without)."""
    import torch

    from asdbench.training.loop import Trainer, pick_device

    config, dataset, table, seed = job.config, job.dataset, job.table, job.seed
    torch.manual_seed(seed)
    embedding_dim = config.train.embedding_dim
    embedder = config.embedder.create(**embedder_context(config, dataset))
    loss = config.loss.create(num_classes=len(table.classes), embedding_dim=embedding_dim)
    checkpoint = job.workdir / CHECKPOINT
    trainer = Trainer(
        embedder,
        loss,
        config.train,
        seed=seed,
        device=pick_device(config.device),
        checkpoint=checkpoint,
        identity=job.workdir.name,
        progress=job.progress,
        on_step=job.on_step,
    )
    if checkpoint.exists() and not job.resume:
        job.echo(
            "found an interrupted training of this trial; starting again (--resume continues it)"
        )
        checkpoint.unlink()
    elif trainer.resume():
        job.echo(f"resuming from epoch {trainer.start_epoch} of {config.train.epochs}")
    return trainer


def learned_state(embedder: torch.nn.Module) -> dict[str, Any]:
    """The embedder's state less the parameters it holds fixed (a pretrained encoder's, which
    its checkpoint holds and the run's params name by SHA-256): a trial stores what training
    made, not hundreds of megabytes it read."""
    fixed = {n for n, p in embedder.named_parameters(remove_duplicate=False) if not p.requires_grad}
    return {k: v for k, v in embedder.state_dict().items() if k not in fixed}


def _store(trained: Embedded, weights: dict[str, Any]) -> None:
    """Write the trial into its cache folder, the embeddings last: their file marks the trial
    complete, so a trial killed while it is stored is trained again, never half reused."""
    from asdbench.training.loop import save_atomically

    workdir = trained.workdir
    save_atomically(weights, workdir / WEIGHTS)
    record = {"history": trained.history, "timings": trained.timings}
    write_atomically(workdir / HISTORY, json.dumps(record))
    with atomic_file(workdir / EMBEDDINGS, "wb") as out:
        np.save(out, trained.embeddings)
