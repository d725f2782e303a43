"""A benchmark cell (one configuration, all its trials) from start to end, tracked in MLflow:
``open_cell`` prepares the data and starts the parent run, ``run_trial`` trains (or reuses),
scores, evaluates and logs one trial as a nested run, ``close_cell`` aggregates the trials,
combines them and finishes the run. ``run_benchmark`` does all three in this process; the Ray
executor runs the trials elsewhere (:mod:`asdbench.pipeline.ray_executor`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asdbench.data.audio_cache import AudioCache
from asdbench.data.clips import ClipTable
from asdbench.errors import DataError
from asdbench.files import write_atomically
from asdbench.paths import cache_dir, check_writable_folder
from asdbench.pipeline.config import RunConfig, cell_hash_of
from asdbench.pipeline.outputs import Echo, cell_name, output_folder, submission_folder
from asdbench.pipeline.prepare import prepare
from asdbench.pipeline.trials import (
    WEIGHTS,
    Trial,
    train_and_embed,
    trial_is_cached,
    trial_seed,
)
from asdbench.reporting.tables import RESULTS_FILE, official_summary, write_results
from asdbench.scoring.metrics import Results, in_percent
from asdbench.scoring.scores import (
    combine_trials,
    decisions_for,
    evaluate_partitions,
    metric_values,
    score_sections,
    write_scores,
)
from asdbench.scoring.statistics import STD, over_trials
from asdbench.submission.files import write_submission
from asdbench.tracking import connection, store
from asdbench.tracking.tracker import Tracker

if TYPE_CHECKING:
    import numpy as np

    from asdbench.contracts import Dataset


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


@dataclass
class Cell:
    """A benchmark cell in progress: its data, its MLflow parent run and where it writes."""

    config: RunConfig
    dataset: Dataset
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
    output = output_folder(config)
    check_output(config, output)
    check_writable_folder(cache_dir(), "the cache folder (ASDBENCH_CACHE_DIR)")
    dataset, table, cache = prepare(config, echo, progress, workers)
    output.mkdir(parents=True, exist_ok=True)
    write_atomically(output / "config.json", json.dumps(config.as_dict(), indent=1, default=str))
    echo(f"{len(table)} clips, {len(table.classes)} classes; MLflow: {tracker.uri}")
    tags = {
        **config.tags("cell"),
        store.OUTPUT: str(output.resolve()),
        **store.this_process(),
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
        run_id = tracker.start(cell_name(config), tags, config.params())
    tracker.json(run_id, config.as_dict(), "config/resolved.json")
    return Cell(config, dataset, table, cache, output, run_id)


def check_output(config: RunConfig, output: Path) -> None:
    """Refuse an output folder that cannot be written, or that holds another cell's files
    (a second cell given the same ``--output`` would overwrite the first one's)."""
    check_writable_folder(output, "--output")
    written = output / "config.json"
    if not written.is_file():
        return
    try:
        other = cell_hash_of(json.loads(written.read_text()))
    except (OSError, ValueError) as exc:
        raise DataError(f"--output {output}: its config.json cannot be read ({exc})") from exc
    if other != config.cell_hash():
        raise DataError(
            f"--output {output} holds the files of another cell ({other}; this one is "
            f"{config.cell_hash()}): choose another folder"
        )


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
    config, table = cell.config, cell.table
    seed = trial_seed(config.seed, index)
    tags = {
        **config.tags("trial"),
        store.TRIAL: str(index),
        **store.this_process(),
        store.TRIAL_CACHE: "reused" if trial_is_cached(config, cell.cache, index) else "trained",
        **(where or {}),
    }
    params = {**config.params(), "trial_seed": str(seed)}
    with tracker.run(f"{cell.name} trial {index}", tags, params, parent=cell.run_id) as trial_id:
        steps: list[tuple[int, dict[str, float]]] = []
        trained = train_and_embed(
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
        _log_training(tracker, trial_id, steps, trained.history)
        scores = score_sections(table, trained.embeddings, config.backend.create)
        decided = decisions_for(table, scores)
        results = evaluate_partitions(table, scores, decided, cell.dataset.official_score)
        folder = cell.output / f"trial-{index}"
        _write_trial_files(cell, folder, (scores, decided, results), trained.embeddings, seed)
        tracker.metrics(
            trial_id,
            {**metric_values(results), **{f"time/{k}": v for k, v in trained.timings.items()}},
        )
        tracker.artifacts(trial_id, folder / "submission", "submission")
        tracker.artifacts(trial_id, folder / "plots", "plots")
        tracker.artifacts(trial_id, folder / "maps", "maps")
        tracker.artifact(trial_id, folder / RESULTS_FILE, "results")
        tracker.artifact(trial_id, folder / "scores.csv", "scores")
        if (trained.workdir / WEIGHTS).exists():
            tracker.artifact(trial_id, trained.workdir / WEIGHTS, "weights")
    echo(f"{cell.name} trial {index} (seed {seed}): {official_summary(results)}")
    return Trial(
        index, seed, scores, decided, results, trained.history, trained.timings, trained.workdir
    )


def _log_training(
    tracker: Tracker,
    trial_id: str,
    steps: list[tuple[int, dict[str, float]]],
    history: list[dict[str, Any]],
) -> None:
    """A trial's training curves: every step's values, then each epoch's."""
    tracker.step_metrics(trial_id, steps)
    for epoch in history:
        reported = {f"train/epoch_{k}": v for k, v in epoch.get("reported", {}).items()}
        tracker.metrics(
            trial_id, {"train/epoch_loss": epoch["loss"], **reported}, step=int(epoch["epoch"])
        )


def _write_trial_files(
    cell: Cell,
    folder: Path,
    scored: tuple[np.ndarray, np.ndarray, dict[str, Results]],
    embeddings: np.ndarray,
    seed: int,
) -> None:
    """A trial's files in ``folder``: submission, results, scores, figures, embedding maps."""
    from asdbench.reporting.maps import write_embedding_maps
    from asdbench.reporting.plots import write_section_figures

    scores, decided, results = scored
    table = cell.table
    files = cell.dataset.official_score.files
    write_submission(table, scores, decided, submission_folder(folder, cell.config), files=files)
    write_results(results, folder)
    write_scores(table, scores, folder / "scores.csv")
    write_section_figures(table, scores, folder / "plots")
    write_embedding_maps(table, embeddings, folder / "maps", seed=seed)


def close_cell(cell: Cell, trials: list[Trial], tracker: Tracker, echo: Echo) -> Outcome:
    """Aggregate the trials (mean ± std), combine them when an ensemble is chosen, write the
    cell's submission and finish its parent run."""
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
    write_submission(
        table,
        scores_out,
        decided_out,
        submission_folder(output, config),
        files=cell.dataset.official_score.files,
    )
    write_results(final, output)
    write_scores(table, scores_out, output / "scores.csv")
    tracker.artifacts(cell.run_id, output / "submission", "submission")
    tracker.end(cell.run_id, "FINISHED")
    hint = tracker.sync_hint()
    if hint:
        echo(f"MLflow was unavailable; upload this run's tracking with: {hint}")
    else:
        publish_leaderboard(tracker.uri, config.experiment_name, cell.run_id)
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

    tracker = Tracker(  # fails first if the tracking store is unusable
        config.experiment_name,
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
    from asdbench.reporting.leaderboard.publish import publish

    connection.client(uri).log_text(run_id, publish(uri, experiment) + "\n", "leaderboard.md")


def aggregate_trials(trials: list[Trial]) -> dict[str, float]:
    """Mean, sample and population standard deviation over trials of every aggregate metric,
    in percent (the paper's "mean ± std" of Table 1; the released code prints the population
    one):
    ``<partition>/<metric>_mean``, ``..._std`` (ddof 1) and ``..._pstd`` (ddof 0), the
    stds from two trials on; a machine type's mean where the rule has them (2020) as
    ``<partition>/<metric>_mean/<machine>``."""
    per_trial = [
        {
            **{
                (f"{p}/{k}", ""): in_percent(v)
                for p, r in trial.results.items()
                for k, v in r.summary().items()
            },
            **{
                (f"{p}/{k}", f"/{machine}"): in_percent(v)
                for p, r in trial.results.items()
                for machine, means in r.machine_means().items()
                for k, v in means.items()
            },
        }
        for trial in trials
    ]
    keys = sorted({key for values in per_trial for key in values})
    aggregated = {}
    for key, machine in keys:
        values = [t.get((key, machine), math.nan) for t in per_trial]
        stats = {suffix: over_trials(values, ddof) for ddof, suffix in STD.values()}
        if stats["std"].n:
            aggregated[f"{key}_mean{machine}"] = stats["std"].mean
        if stats["std"].n > 1:
            aggregated.update({f"{key}_{s}{machine}": stat.std for s, stat in stats.items()})
    return aggregated
