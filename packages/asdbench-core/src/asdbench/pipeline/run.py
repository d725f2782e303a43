"""``asdbench run``: dataset -> clip table -> audio cache -> training -> embeddings -> backend
-> scores -> metrics -> submission files, results tables and MLflow.

Each trial's trained model and embeddings are cached under ``$ASDBENCH_CACHE_DIR/trials/<key>``,
keyed by everything that determines them (data, embedder, loss, training settings, seed), so a
different backend or ensemble is scored later without retraining, and an interrupted training
resumes from its last epoch with ``--resume``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import shutil
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from asdbench.data.audio_cache import AudioCache
from asdbench.data.clips import ClipTable
from asdbench.errors import DataError
from asdbench.paths import cache_dir, exclusive, write_atomically
from asdbench.pipeline.config import DEFAULT_COMPONENTS, Choice, RunConfig
from asdbench.reporting.tables import percent, render
from asdbench.scoring.metrics import Results, ScoredSection, evaluate_sections, label
from asdbench.scoring.submission import decide, threshold, write_section
from asdbench.tracking.tracker import Tracker

Echo = Callable[[str], None]
TEAM = "asdbench"
DECISION_QUANTILE = 0.9


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
class Outcome:
    """What ``asdbench run`` produced."""

    config: RunConfig
    table: ClipTable
    trials: list[Trial]
    results: dict[str, Results]
    output: Path
    run_id: str | None = None
    #: Mean and standard deviation over trials (``<partition>/<metric>[_std]``).
    aggregate: dict[str, float] = field(default_factory=dict)
    #: The ``asdbench sync`` command that uploads tracking kept locally (None: all on MLflow).
    sync_hint: str | None = None

    @property
    def submission(self) -> Path:
        """The cell's DCASE submission folder (``<output>/submission/<team>/<system>``)."""
        return submission_folder(self.output, self.config)


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
    from asdbench.model.training import NUMERICS_VERSION

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

    from asdbench.model.training import pick_device

    kind = pick_device("auto").type if config.device == "auto" else torch.device(config.device).type
    return cache_dir() / "trials" / training_key(config, cache, seed, kind)


def trial_is_cached(config: RunConfig, cache: AudioCache, index: int) -> bool:
    """Whether trial ``index`` is trained and embedded already (only scoring is left)."""
    workdir = trial_workdir(config, cache, trial_seed(config.seed, index))
    return (workdir / "embeddings.npy").exists()


def output_folder(config: RunConfig) -> Path:
    """Where a cell writes: ``--output``, else ``asdbench-output/<dataset>/<readable name>``
    (:func:`folder_name`)."""
    if config.output:
        return Path(config.output)
    return Path("asdbench-output") / config.dataset.name / folder_name(config)


#: The longest run of settings in a folder name; the hash tells longer ones apart.
FOLDER_SETTINGS_LENGTH = 60


def folder_name(config: RunConfig) -> str:
    """``adaproj-kmeans_subspace_dim=16_epochs=1_1c8c8c2d``: loss, backend (and embedder when
    not the default), the settings that are not their defaults (as many as fit), and the cell
    hash, which tells apart what the name leaves out."""
    parts = [config.loss.name, config.backend.name]
    if config.embedder.name != DEFAULT_COMPONENTS["embedder"]:
        parts.insert(1, config.embedder.name)
    settings: list[str] = []
    for key, value in config.non_default().items():
        text = re.sub(r"[^A-Za-z0-9.+=_-]", "-", f"{key.split('.', 1)[1]}={value}")
        if len("_".join([*settings, text])) > FOLDER_SETTINGS_LENGTH:
            break
        settings.append(text)
    return "_".join(["-".join(parts), *settings, config.cell_hash()[:8]])


def cell_name(config: RunConfig) -> str:
    """``loss/embedder/backend``: the name of a cell's MLflow run."""
    return f"{config.loss.name}/{config.embedder.name}/{config.backend.name}"


def prepare(
    config: RunConfig, echo: Echo, progress: bool, workers: int = 1, *, build: bool = True
) -> tuple[object, ClipTable, AudioCache]:
    """Load the dataset's clip table and the decoded audio of every clip (decoded by
    ``workers`` threads the first time; with ``build=False`` a missing cache is an error, as on
    a cluster worker, where the driver has built it)."""
    dataset = config.dataset.create()
    table = dataset.load(config.data_dir, ground_truth=config.ground_truth, progress=progress)
    check_trainable(table)
    for problem in table.problems:
        echo(f"warning: {problem}")
    paths = [clip.path for clip in table]
    root = cache_dir() / "audio"
    if not AudioCache.exists(paths, root, dataset.audio_format):
        if not build:
            raise DataError(
                f"{socket.gethostname()} does not see the audio cache under {root}: the driver "
                "builds it once before the trials, so ASDBENCH_CACHE_DIR and the dataset folder "
                "must be on a file system every node shares"
            )
        check_disk_space(table, dataset.sample_rate, root)
    cache = AudioCache.build(
        paths,
        root,
        dataset.audio_format,
        skip_bad_files=dataset.skip_bad_files,
        progress=progress,
        workers=workers,
    )
    if cache.skipped:
        for path, reason in cache.skipped.items():
            echo(f"warning: skipped {path}: {reason}")
        kept = set(cache.files)
        table = ClipTable([c for c in table if str(c.path) in kept], table.classes, table.problems)
    return dataset, table, cache


def check_trainable(table: ClipTable) -> None:
    """Refuse, before any training, data the pipeline cannot train on or score: fewer than two
    training clips, or a section with test clips but no training clips (its back end would
    have nothing to fit)."""
    train = [c for c in table if c.split == "train" and c.aux_class is not None]
    if len(train) < 2:
        raise DataError(f"the data has {len(train)} training clip(s); training needs at least 2")
    trained = {c.section_id for c in train}
    untrained = sorted({c.section_id for c in table if c.split == "test"} - trained)
    if untrained:
        named = ", ".join(untrained[:5]) + (", ..." if len(untrained) > 5 else "")
        raise DataError(
            f"{len(untrained)} section(s) have test clips but no training clips ({named}): "
            "the back end could not score them; add their train/ folders or remove their tests"
        )


def check_disk_space(table: ClipTable, sample_rate: int, folder: Path) -> None:
    """Refuse early, with the needed and available space, when the decoded audio (int16) cannot
    fit where the cache goes."""
    needed = int(sum(clip.duration for clip in table) * sample_rate * 2 * 1.05)
    folder.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise DataError(
            f"the audio cache needs about {needed / 1e9:.1f} GB in {folder}, but only "
            f"{free / 1e9:.1f} GB are free; free space or set ASDBENCH_CACHE_DIR elsewhere"
        )


def train_and_embed(
    config: RunConfig,
    dataset: object,
    table: ClipTable,
    cache: AudioCache,
    seed: int,
    *,
    resume: bool,
    progress: bool,
    echo: Echo,
    on_step: Callable[[int, dict[str, float]], None] | None = None,
) -> tuple[np.ndarray, list[dict[str, float]], dict[str, float], Path]:
    """Embeddings of every clip (table order) from a model trained with ``seed``: from the
    trial cache when complete, else trained (or resumed) and cached. One process at a time
    trains a trial: a second one waits, then reuses what the first cached."""
    workdir = trial_workdir(config, cache, seed)
    with exclusive(workdir / "lock", f"training this trial ({workdir})", echo):
        return _train_and_embed(
            config,
            dataset,
            table,
            cache,
            seed,
            workdir,
            resume=resume,
            progress=progress,
            echo=echo,
            on_step=on_step,
        )


def _train_and_embed(
    config: RunConfig,
    dataset: object,
    table: ClipTable,
    cache: AudioCache,
    seed: int,
    workdir: Path,
    *,
    resume: bool,
    progress: bool,
    echo: Echo,
    on_step: Callable[[int, dict[str, float]], None] | None,
) -> tuple[np.ndarray, list[dict[str, float]], dict[str, float], Path]:
    import torch

    from asdbench.model.training import Trainer, embed, pick_device, save_atomically

    embeddings_path = workdir / "embeddings.npy"
    history_path = workdir / "history.json"
    position = {path: i for i, path in enumerate(cache.files)}
    rows = np.array([position[str(c.path)] for c in table], dtype=np.int64)
    if embeddings_path.exists():
        echo(f"reusing the trained model and embeddings in {workdir}")
        record = json.loads(history_path.read_text())
        return np.load(embeddings_path), record["history"], record["timings"], workdir
    device = pick_device(config.device)
    train = config.train
    torch.manual_seed(seed)
    embedder = config.embedder.create(
        sample_rate=dataset.sample_rate,
        clip_samples=dataset.clip_samples,
        embedding_dim=train.embedding_dim,
    )
    loss = config.loss.create(num_classes=len(table.classes), embedding_dim=train.embedding_dim)
    checkpoint = workdir / "checkpoint.pt"
    trainer = Trainer(
        embedder,
        loss,
        train,
        seed=seed,
        device=device,
        checkpoint=checkpoint,
        progress=progress,
        on_step=on_step,
    )
    if checkpoint.exists() and not resume:
        echo("found an interrupted training of this trial; starting again (--resume continues it)")
        checkpoint.unlink()
    elif trainer.resume():
        echo(f"resuming from epoch {trainer.start_epoch} of {train.epochs}")
    train_clips = [i for i, c in enumerate(table) if c.split == "train" and c.aux_class is not None]
    classes = np.array([table.class_index(table[i]) for i in train_clips])
    started = time.perf_counter()
    history = trainer.fit(
        cache, rows[train_clips], classes, len(table.classes), dataset.clip_samples
    )
    train_seconds = time.perf_counter() - started
    started = time.perf_counter()
    embeddings = embed(
        embedder,
        cache,
        rows,
        dataset.clip_samples,
        batch_size=train.batch_size,
        device=device,
        progress=progress,
        precision=train.precision,
    )
    embed_seconds = time.perf_counter() - started
    trained = list(history.epochs)
    clip_passes = len(train_clips) * (train.epochs - trainer.start_epoch)
    timings = {
        "train_seconds": train_seconds,
        "train_clips_per_second": clip_passes / train_seconds if train_seconds else math.nan,
        "embed_seconds": embed_seconds,
        "embed_clips_per_second": len(rows) / embed_seconds if embed_seconds else math.nan,
    }
    save_atomically(
        {"embedder": embedder.state_dict(), "loss": loss.state_dict()}, workdir / "weights.pt"
    )
    write_atomically(history_path, json.dumps({"history": trained, "timings": timings}))
    temporary = workdir / "embeddings.tmp.npy"
    np.save(temporary, embeddings)
    temporary.replace(embeddings_path)
    checkpoint.unlink(missing_ok=True)
    return embeddings, trained, timings, workdir


def score_sections(config: RunConfig, table: ClipTable, embeddings: np.ndarray) -> np.ndarray:
    """Per section: fit the backend on the training clips, score every clip of the section."""
    scores = np.full(len(table), np.nan)
    sections: dict[str, list[int]] = {}
    for i, clip in enumerate(table):
        sections.setdefault(clip.section_id, []).append(i)
    for indices in sections.values():
        train = [i for i in indices if table[i].split == "train"]
        if not train:
            continue
        backend = config.backend.create()
        backend.fit(embeddings[train], np.array([table[i].domain for i in train]))
        scores[indices] = backend.score(embeddings[indices])
    return scores


def decisions_for(table: ClipTable, scores: np.ndarray) -> np.ndarray:
    """1 where a clip's score exceeds the 0.9 quantile of its section's training scores."""
    decided = np.zeros(len(table), dtype=int)
    for section in table.sections():
        indices = [i for i, c in enumerate(table) if c.section_id == section]
        train = [i for i in indices if table[i].split == "train"]
        if train:
            limit = threshold(scores[train], DECISION_QUANTILE)
            decided[indices] = decide(scores[indices], limit)
    return decided


def evaluate_partitions(
    table: ClipTable, scores: np.ndarray, decided: np.ndarray, rule: str
) -> dict[str, Results]:
    """Results per partition over test clips with known labels (dev names; eval with ground
    truth); ``decided`` are the clips' 0/1 decisions. A partition without such clips is left
    out."""
    results = {}
    for partition in ("dev", "eval"):
        grouped: dict[tuple[str, str], list[int]] = {}
        for i, clip in enumerate(table):
            if (
                clip.partition == partition
                and clip.split == "test"
                and clip.label != "unknown"
                and clip.domain != "unknown"
            ):
                grouped.setdefault((clip.machine, clip.section), []).append(i)
        if not grouped:
            continue
        sections = [
            ScoredSection(
                machine,
                section,
                [table[i].file for i in idx],
                scores[idx],
                np.array([table[i].label == "anomaly" for i in idx], dtype=int),
                np.array([table[i].domain == "target" for i in idx], dtype=int),
                decided[idx],
            )
            for (machine, section), idx in grouped.items()
        ]
        results[partition] = evaluate_sections(sections, rule)
    return results


def write_submission(
    table: ClipTable, scores: np.ndarray, decided: np.ndarray, folder: Path
) -> None:
    """Both submission files for every section with test clips."""
    for section in table.sections():
        idx = [i for i, c in enumerate(table) if c.section_id == section and c.split == "test"]
        if idx:
            clip = table[idx[0]]
            write_section(
                folder,
                clip.machine,
                clip.section,
                [table[i].file for i in idx],
                scores[idx],
                decided[idx],
            )


RESULTS_FILE = "results.csv"
SCORE_COLUMNS = ("file", "partition", "machine", "section", "split", "domain", "label", "score")


def write_scores(table: ClipTable, scores: np.ndarray, path: Path) -> None:
    """Every clip's score with what is known about it: the input of later ensembles."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(SCORE_COLUMNS)
        for clip, score in zip(table, scores, strict=True):
            writer.writerow(
                [
                    clip.file,
                    clip.partition,
                    clip.machine,
                    clip.section,
                    clip.split,
                    clip.domain,
                    clip.label,
                    repr(float(score)),
                ]
            )


def read_scores(path: Path) -> tuple[ClipTable, np.ndarray]:
    """The clips and scores of a ``scores.csv`` written by ``write_scores``."""
    import csv

    from asdbench.data.clips import Clip

    clips, scores = [], []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            clips.append(
                Clip(
                    Path(row["file"]),
                    "",
                    row["partition"],
                    row["machine"],  # type: ignore[arg-type]
                    row["section"],
                    row["domain"],
                    row["split"],
                    row["label"],
                )
            )  # type: ignore[arg-type]
            scores.append(float(row["score"]))
    return ClipTable(clips), np.array(scores)


def combine_trials(ensemble: object, table: ClipTable, per_trial: list[np.ndarray]) -> np.ndarray:
    """The ensemble's scores for ``table``'s clips from aligned per-trial scores."""
    sections = np.array([clip.section_id for clip in table])
    train = np.array([clip.split == "train" for clip in table])
    return ensemble.combine(per_trial, sections, train)


def write_results(results: dict[str, Results], folder: Path) -> None:
    """``results.csv``: every partition's per-section table, harmonic means, official score."""
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / RESULTS_FILE, render(results, "csv"))


def official_summary(results: dict[str, Results]) -> str:
    """``dev official score 66.41, eval official score 75.22``: one line for the log."""
    name = label("official_score")
    return ", ".join(f"{p} {name} {percent(r.official_score())}" for p, r in results.items())


def metric_values(results: dict[str, Results], prefix: str = "") -> dict[str, float]:
    """``<partition>/<metric>`` for the aggregates and ``<partition>/<metric>/<section>``."""
    values = {}
    for partition, result in results.items():
        values.update({f"{prefix}{partition}/{k}": v for k, v in result.summary().items()})
        values.update({f"{prefix}{partition}/{k}": v for k, v in result.per_section().items()})
    return values


def system_name(config: RunConfig) -> str:
    return f"{config.loss.name}_{config.embedder.name}_{config.backend.name}_{config.cell_hash()}"


def submission_folder(folder: Path, config: RunConfig) -> Path:
    """Where the submission files of ``folder`` (a cell's or a trial's) go: the evaluator's
    ``<team>/<system>`` depth under ``submission/``."""
    return folder / "submission" / TEAM / system_name(config)


@dataclass
class Cell:
    """A benchmark cell in progress: its data, its MLflow parent run and where it writes."""

    config: RunConfig
    dataset: object
    table: ClipTable
    cache: AudioCache
    output: Path
    run_id: str

    @property
    def name(self) -> str:
        return cell_name(self.config)


def open_cell(
    config: RunConfig,
    tracker: Tracker,
    *,
    progress: bool,
    echo: Echo,
    workers: int = 1,
    resume: bool = False,
) -> Cell:
    """Prepare the data (decoding the audio cache once, before any trial) and start the
    cell's parent run. Runs of this cell left RUNNING by a process that is gone are continued
    (``resume``: the newest, with its trials) or ended KILLED, never left running beside a new
    one."""
    from asdbench.tracking import store
    from asdbench.tracking.tracker import cell_tags, flat_params

    output = output_folder(config)
    dataset, table, cache = prepare(config, echo, progress, workers)
    output.mkdir(parents=True, exist_ok=True)
    (output / "config.json").write_text(json.dumps(config.as_dict(), indent=1, default=str))
    echo(f"{len(table)} clips, {len(table.classes)} classes; MLflow: {tracker.uri}")
    tags = {
        **cell_tags(config, "cell"),
        store.OUTPUT: str(output.resolve()),
        "asdbench.host": socket.gethostname(),
        "asdbench.pid": str(os.getpid()),
    }
    abandoned = tracker.abandoned_cells(tags)
    continued = abandoned.pop(0) if resume and abandoned else None
    for run_id in abandoned:
        echo(f"ending run {run_id}, left RUNNING by a process that is gone, as KILLED")
        tracker.end_unfinished_children(run_id, "KILLED")
        tracker.end(run_id, "KILLED")
    if continued is not None:
        echo(f"continuing run {continued}, left RUNNING by a process that is gone")
        run_id = tracker.continue_run(continued, tags)
    else:
        run_id = tracker.start(cell_name(config), tags, flat_params(config))
    tracker.json(run_id, config.as_dict(), "config/resolved.json")
    return Cell(config, dataset, table, cache, output, run_id)


def run_trial(
    cell: Cell,
    index: int,
    tracker: Tracker,
    *,
    resume: bool,
    progress: bool,
    echo: Echo,
    where: dict[str, str] | None = None,
) -> Trial:
    """Trial ``index`` of ``cell``: train (or reuse the trial cache), score, evaluate, write
    its files and log its nested run. ``where`` tags the run with the place it ran."""
    from asdbench.reporting.plots import write_section_figures
    from asdbench.tracking.tracker import cell_tags, flat_params

    config, table = cell.config, cell.table
    seed = trial_seed(config.seed, index)
    tags = {
        **cell_tags(config, "trial"),
        "asdbench.trial": str(index),
        "asdbench.host": socket.gethostname(),
        "asdbench.pid": str(os.getpid()),
        "asdbench.trial_cache": "reused"
        if trial_is_cached(config, cell.cache, index)
        else "trained",
        **(where or {}),
    }
    params = {**flat_params(config), "trial_seed": str(seed)}
    with tracker.run(f"{cell.name} trial {index}", tags, params, parent=cell.run_id) as trial_id:
        steps: list[tuple[int, dict[str, float]]] = []
        embeddings, history, timings, workdir = train_and_embed(
            config,
            cell.dataset,
            table,
            cell.cache,
            seed,
            resume=resume,
            progress=progress,
            echo=echo,
            on_step=lambda step, values: steps.append((step, values)),
        )
        tracker.step_metrics(trial_id, steps)
        for epoch in history:
            reported = {f"train/epoch_{k}": v for k, v in epoch.get("reported", {}).items()}
            tracker.metrics(
                trial_id,
                {"train/epoch_loss": epoch["loss"], **reported},
                step=int(epoch["epoch"]),
            )
        scores = score_sections(config, table, embeddings)
        decided = decisions_for(table, scores)
        results = evaluate_partitions(table, scores, decided, cell.dataset.official_score)
        folder = cell.output / f"trial-{index}"
        write_submission(table, scores, decided, submission_folder(folder, config))
        write_results(results, folder)
        write_scores(table, scores, folder / "scores.csv")
        write_section_figures(table, scores, folder / "plots")
        tracker.metrics(
            trial_id, {**metric_values(results), **{f"time/{k}": v for k, v in timings.items()}}
        )
        tracker.artifacts(trial_id, folder / "submission", "submission")
        tracker.artifacts(trial_id, folder / "plots", "plots")
        tracker.artifact(trial_id, folder / RESULTS_FILE, "results")
        tracker.artifact(trial_id, folder / "scores.csv", "scores")
        if (workdir / "weights.pt").exists():
            tracker.artifact(trial_id, workdir / "weights.pt", "weights")
    echo(f"{cell.name} trial {index} (seed {seed}): {official_summary(results)}")
    return Trial(index, seed, scores, decided, results, history, timings, workdir)


def close_cell(cell: Cell, trials: list[Trial], tracker: Tracker, echo: Echo) -> Outcome:
    """Aggregate the trials (mean ± std), combine them when an ensemble is chosen, write the
    cell's submission and finish its parent run."""
    from asdbench.tracking.tracker import experiment_name

    config, table = cell.config, cell.table
    trials = sorted(trials, key=lambda t: t.index)
    aggregate = aggregate_trials(trials)
    tracker.metrics(cell.run_id, aggregate)
    if config.ensemble is not None:
        scores_out = combine_trials(config.ensemble.create(), table, [t.scores for t in trials])
        decided_out = decisions_for(table, scores_out)
        final = evaluate_partitions(table, scores_out, decided_out, cell.dataset.official_score)
        tracker.metrics(cell.run_id, metric_values(final, prefix="ensemble/"))
        echo(f"ensemble ({config.ensemble.name} of {len(trials)}): {official_summary(final)}")
    else:  # as the reference: the submission of the last trial
        last = trials[-1]
        scores_out, decided_out, final = last.scores, last.decisions, last.results
    output = cell.output
    write_submission(table, scores_out, decided_out, submission_folder(output, config))
    write_results(final, output)
    write_scores(table, scores_out, output / "scores.csv")
    tracker.artifacts(cell.run_id, output / "submission", "submission")
    tracker.end(cell.run_id, "FINISHED")
    hint = tracker.sync_hint()
    if hint:
        echo(f"MLflow was unavailable; upload this run's tracking with: {hint}")
    else:
        publish_leaderboard(tracker.uri, experiment_name(config), cell.run_id)
        link = tracker.run_link(cell.run_id)
        if link:
            echo(f"MLflow run: {link}")
    return Outcome(config, table, trials, final, output, cell.run_id, aggregate, hint)


def run_benchmark(
    config: RunConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    echo: Echo = print,
    tracking_fallback: str = "error",
    num_workers: int | None = None,
) -> Outcome:
    """Every trial of one benchmark cell, in this process, tracked in MLflow (a parent run and
    nested trials).

    ``tracking_fallback="local"``: a tracking server that does not answer at the start is not an
    error; the tracking goes to a local journal for ``asdbench sync`` (as it does anyway when
    the server goes away during the run). ``num_workers``: decoding threads and torch's
    intra-op threads, at most (and by default) the cores available to the process."""
    from asdbench.pipeline.resources import bounded_workers, use_threads
    from asdbench.tracking.tracker import experiment_name

    tracker = Tracker(  # fails first if the tracking store is unusable
        experiment_name(config),
        fallback=tracking_fallback,
        offline_dir=output_folder(config) / "mlflow-offline",
        echo=echo,
    )
    workers = bounded_workers(num_workers, echo)
    use_threads(workers)
    cell = open_cell(config, tracker, progress=progress, echo=echo, workers=workers, resume=resume)
    with tracker.ending(cell.run_id):
        trials = [
            run_trial(cell, index, tracker, resume=resume, progress=progress, echo=echo)
            for index in range(config.trials)
        ]
        return close_cell(cell, trials, tracker, echo)


def publish_leaderboard(uri: str, experiment: str, run_id: str) -> None:
    """Refresh the experiment's leaderboard in the MLflow UI (this cell included) and attach
    it to the finished parent run as ``leaderboard.md``."""
    from asdbench.reporting.leaderboard import publish
    from asdbench.tracking import store

    store.client(uri).log_text(run_id, publish(uri, experiment) + "\n", "leaderboard.md")


def aggregate_trials(trials: list[Trial]) -> dict[str, float]:
    """Mean and sample standard deviation (ddof 1) over trials of every aggregate metric (the
    paper's "mean ± std" of Table 1): ``<partition>/<metric>_mean`` and ``..._std``; the std
    only from two trials on."""
    per_trial = [
        {f"{p}/{k}": v for p, r in trial.results.items() for k, v in r.summary().items()}
        for trial in trials
    ]
    keys = sorted({key for values in per_trial for key in values})
    aggregated = {}
    for key in keys:
        values = np.array([t.get(key, math.nan) for t in per_trial], dtype=float)
        values = values[~np.isnan(values)]
        if len(values):
            aggregated[f"{key}_mean"] = float(values.mean())
        if len(values) > 1:
            aggregated[f"{key}_std"] = float(values.std(ddof=1))
    return aggregated
