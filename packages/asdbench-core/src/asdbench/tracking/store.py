"""The MLflow schema of asdbench, in one place: which store a command uses and its client, the
experiment names, the tags and params every run carries, the queries that find cells and
trials, and the experiment page (the UI's leaderboard). Writing runs is
:mod:`asdbench.tracking.tracker`'s; every other module reads the schema from here.

Layout: one experiment per dataset (``asdbench-<dataset>``), one parent run per benchmark cell
(``asdbench.run_type = cell``), one nested run per trial (``trial``); ensembles of finished
trials (``ensemble``) and comparison figures (``figures``) have runs of their own. Read-only
commands never create a store: a sqlite file that does not exist is an error naming it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

from asdbench.errors import AsdbenchError

#: Every asdbench tag starts so; a run also has one tag per component kind
#: (``asdbench.loss = adaproj``, see :func:`cell_tags`).
TAG_PREFIX = "asdbench."
RUN_TYPE = "asdbench.run_type"
#: A cell is its configuration's hash, its number of trials and its first seed.
CELL = "asdbench.cell"
TRIALS = "asdbench.trials"
SEED = "asdbench.seed"
DATASET = "asdbench.dataset"
#: The rule of the dataset's official score (``dcase2025``): the leaderboard names it.
SCORE_RULE = "asdbench.score_rule"
#: The preset a cell was run from, ``NAME@VERSION`` (with what the run changed of it); also
#: its ``preset`` param, so the leaderboard can show and select it.
PRESET = "asdbench.preset"
#: On trial runs: the trial's index, whether its model was trained or reused from the trial
#: cache, and where it ran.
TRIAL = "asdbench.trial"
TRIAL_CACHE = "asdbench.trial_cache"
EXECUTOR = "asdbench.executor"
RAY_NODE = "asdbench.ray_node"
#: The process that runs a cell or trial: a run left RUNNING by a process that is gone is
#: continued or ended, never left beside a new one.
HOST = "asdbench.host"
PID = "asdbench.pid"
#: ``asdbench.pkg.<distribution>``: the installed version of core and of every plugin.
PACKAGE_PREFIX = "asdbench.pkg."
#: On a run created by ``asdbench sync``: the key it had in the journal.
OFFLINE_KEY = "asdbench.offline_key"
#: On ensemble runs: the ensemble's name and the trial runs it combines (comma-separated).
ENSEMBLE = "asdbench.ensemble"
SOURCES = "asdbench.sources"
#: The cell's output folder (absolute), where its submission, results and figures are.
OUTPUT = "asdbench.output"
#: The unit of the figures a run holds: percent, as every output (docs/metrics.md). Runs
#: logged before this tag existed (asdbench 0.3) hold fractions of 1.
METRIC_UNIT = "asdbench.metric_unit"
PERCENT = "percent"
#: The metric keys that are figures (``train/``, ``time/`` and the like are not).
FIGURE_PREFIXES = ("dev/", "eval/", "ensemble/")
PARENT = "mlflow.parentRunId"
#: Experiment tags read by the MLflow UI: the description (markdown), the kind of experiment
#: (the model-training view rather than the GenAI one) and a saved view of the runs table.
DESCRIPTION = "mlflow.note.content"
EXPERIMENT_KIND = "mlflow.experimentKind"
MODEL_TRAINING = "custom_model_development"
SHARED_VIEW_PREFIX = "mlflow.sharedViewState."
LEADERBOARD_VIEW = "asdbench-leaderboard"
RUN_NAME_COLUMN = "attributes.`Run Name`"
EXPERIMENT_PREFIX = "asdbench-"
MAX_RESULTS = 50_000


def experiment_name(dataset: str, explicit: str | None = None) -> str:
    """The experiment of a dataset's cells: ``asdbench-<dataset>``, or the one asked for."""
    return explicit or f"{EXPERIMENT_PREFIX}{dataset}"


def cell_tags(
    *,
    components: dict[str, str],
    run_type: str,
    cell: str,
    trials: int,
    seed: int,
    rule: str,
    preset: str | None,
) -> dict[str, str]:
    """The tags of every run of a cell: components (kind -> name), run type, cell identity,
    installed versions (nested runs do not inherit their parent's tags, so each run has them
    all)."""
    from asdbench.registry.manager import CORE_DISTRIBUTION, core_version, get_plugins

    tags = {f"{TAG_PREFIX}{kind}": name for kind, name in components.items()}
    tags[RUN_TYPE] = run_type
    tags[METRIC_UNIT] = PERCENT
    tags[CELL] = cell
    tags[TRIALS] = str(trials)
    tags[SEED] = str(seed)
    tags[SCORE_RULE] = rule
    if preset is not None:
        tags[PRESET] = preset
    versions = {CORE_DISTRIBUTION: core_version()}
    for info in get_plugins().info():
        if info.distribution and info.version:
            versions[info.distribution] = info.version
    tags.update({f"{PACKAGE_PREFIX}{dist}": version for dist, version in versions.items()})
    return tags


def this_process() -> dict[str, str]:
    """The :data:`HOST` and :data:`PID` tags of the process that runs a cell or trial."""
    import socket

    return {HOST: socket.gethostname(), PID: str(os.getpid())}


def flat_params(sections: dict[str, object]) -> dict[str, str]:
    """A resolved configuration (``RunConfig.as_dict()``) as ``section.option`` params; a
    component's input digests (a checkpoint's SHA-256) sit beside its options."""
    params: dict[str, str] = {}
    for section, value in sections.items():
        if isinstance(value, dict):
            if "options" in value:
                params[f"{section}.name"] = str(value["name"])
                params.update({f"{section}.{k}": str(v) for k, v in value["options"].items()})
                params.update({f"{section}.{k}": v for k, v in value.get("digests", {}).items()})
            else:
                params.update({f"{section}.{k}": str(v) for k, v in value.items()})
        else:
            params[section] = str(value)
    return params


def cell_identity(tags: dict[str, str]) -> str:
    """``<cell hash>:<trials>:<seed>``: what makes two runs the same cell."""
    return f"{tags.get(CELL)}:{tags.get(TRIALS)}:{tags.get(SEED)}"


def same_cell(tags: dict[str, str]) -> str:
    """The search filter of the cell runs of the cell ``tags`` describe."""
    keys = " and ".join(f"tags.`{key}` = '{tags[key]}'" for key in (CELL, TRIALS, SEED))
    return f"{keys} and tags.`{RUN_TYPE}` = 'cell'"


def finished_cells(mlflow: Any, names: Iterable[str]) -> set[str]:
    """The :func:`cell_identity` of every FINISHED cell run in the experiments ``names``."""
    done = set()
    for name in set(names):
        experiment = mlflow.get_experiment_by_name(name)
        if experiment is not None:
            runs = runs_of_type(mlflow, [experiment.experiment_id], "cell", "FINISHED")
            done |= {cell_identity(run.data.tags) for run in runs}
    return done


def children(parent: str, condition: str = "") -> str:
    """The search filter of the runs nested under ``parent`` (and ``condition``)."""
    query = f"tags.`{PARENT}` = '{parent}'"
    return f"{query} and {condition}" if condition else query


def experiments(mlflow: Any, names: list[str] | None = None, dataset: str | None = None) -> list:
    """The named experiments (each must exist), the one of ``dataset``, or every asdbench one."""
    if names:
        found = [mlflow.get_experiment_by_name(name) for name in names]
        missing = [n for n, e in zip(names, found, strict=True) if e is None]
        if missing:
            raise AsdbenchError(f"no MLflow experiment {missing[0]!r} in {mlflow.tracking_uri}")
        return found
    if dataset:
        found = mlflow.get_experiment_by_name(f"{EXPERIMENT_PREFIX}{dataset}")
        return [found] if found is not None else []
    return [e for e in mlflow.search_experiments() if e.name.startswith(EXPERIMENT_PREFIX)]


def runs_of_type(mlflow: Any, experiment_ids: list[str], run_type: str, status: str = "") -> list:
    """Every run of ``run_type`` (cell, trial, ensemble) in the experiments, newest first."""
    if not experiment_ids:
        return []
    query = f"tags.`{RUN_TYPE}` = '{run_type}'"
    if status:
        query += f" and attributes.status = '{status}'"
    return mlflow.search_runs(
        experiment_ids, query, max_results=MAX_RESULTS, order_by=["attributes.start_time DESC"]
    )


def set_up_experiment(mlflow: Any, experiment_id: str, partition: str = "eval") -> None:
    """Open the experiment on the model-training runs view, with the leaderboard's columns
    shown and sorted by ``partition``'s official score (a saved view, see
    :func:`leaderboard_link`)."""
    # The figure it sorts by first, then the other partition's, then the ensembles' (empty
    # for cells without one), narrow enough to fit beside MLflow's side bar at 1280 px.
    order = (partition, "dev" if partition == "eval" else "eval")
    columns = [
        *(f"metrics.`{p}/official_score{s}`" for p in order for s in ("_mean", "_std")),
        *(f"metrics.`ensemble/{p}/official_score`" for p in order),
    ]
    view = {
        "searchFilter": f"tags.`{RUN_TYPE}` = 'cell'",
        "orderByKey": f"metrics.`{partition}/official_score_mean`",
        "orderByAsc": False,
        "selectedColumns": columns,
        # The UI applies widths to the columns listed in columnOrder only.
        "columnOrder": [RUN_NAME_COLUMN, *columns],
        "columnWidths": {RUN_NAME_COLUMN: 300, **dict.fromkeys(columns, 110)},
    }
    mlflow.set_experiment_tag(experiment_id, EXPERIMENT_KIND, MODEL_TRAINING)
    mlflow.set_experiment_tag(
        experiment_id, SHARED_VIEW_PREFIX + LEADERBOARD_VIEW, json.dumps(view)
    )


def leaderboard_link(base_url: str, experiment_id: str) -> str:
    """The UI address of the experiment's runs table in its leaderboard view."""
    return (
        f"{base_url.rstrip('/')}/#/experiments/{experiment_id}/runs"
        f"?viewStateShareKey={LEADERBOARD_VIEW}&workflowType=machine_learning"
    )


def figures_of(run: Any) -> dict[str, float]:
    """A run's metrics with every figure in percent. A run logged by asdbench 0.3 (without
    the :data:`METRIC_UNIT` tag) holds fractions of 1; they are converted here, so that a
    store with old and new runs shows one unit."""
    metrics = dict(run.data.metrics)
    if run.data.tags.get(METRIC_UNIT) == PERCENT:
        return metrics
    return {k: 100.0 * v if k.startswith(FIGURE_PREFIXES) else v for k, v in metrics.items()}


def trials_of(mlflow: Any, run: Any) -> list:
    """The trial runs nested under cell run ``run``, in trial order."""
    nested = mlflow.search_runs(
        [run.info.experiment_id],
        children(run.info.run_id, f"tags.`{RUN_TYPE}` = 'trial'"),
        max_results=MAX_RESULTS,
    )
    return sorted(nested, key=lambda r: int(r.data.tags.get(TRIAL, "0")))


def get_run(mlflow: Any, run_id: str) -> Any:
    """Run ``run_id``, or an error naming the store."""
    from mlflow.exceptions import MlflowException

    try:
        return mlflow.get_run(run_id)
    except MlflowException as exc:
        raise AsdbenchError(f"no MLflow run {run_id!r} in {mlflow.tracking_uri}") from exc


def finished_trials(mlflow: Any, run_ids: Iterable[str]) -> list:
    """The finished trial runs named, directly or through their cell runs, in the order given
    (a cell's trials in trial order); an error names a run that is neither, or when none of
    them has finished."""
    trials = []
    for run_id in run_ids:
        run = get_run(mlflow, run_id)
        kind = run.data.tags.get(RUN_TYPE)
        if kind == "cell":
            trials += trials_of(mlflow, run)
        elif kind == "trial":
            trials.append(run)
        else:
            raise AsdbenchError(f"run {run_id} is not an asdbench cell or trial run")
    counted: dict[str, int] = {}
    for trial in trials:
        counted[trial.info.run_id] = counted.get(trial.info.run_id, 0) + 1
    twice = [run_id for run_id, count in counted.items() if count > 1]
    if twice:
        raise AsdbenchError(
            f"trial run {twice[0]} is named twice (directly or through its cell): each trial "
            "counts once in an ensemble"
        )
    finished = [t for t in trials if t.info.status == "FINISHED"]
    if not finished:
        raise AsdbenchError("none of these runs has a finished trial")
    return finished


def dataset_of(runs: list) -> str:
    """The one dataset of ``runs``; an error when they were trained on different ones."""
    names = {run.data.tags.get(DATASET) for run in runs}
    if len(names) != 1:
        raise AsdbenchError(f"the runs use different datasets: {sorted(map(str, names))}")
    return str(names.pop())


def ensemble_tags(trials: list, method: str) -> dict[str, str]:
    """The tags of a run that combines ``trials`` with ensemble ``method``: the configuration
    of the first trial, the run type and the source runs."""
    tags = {k: v for k, v in trials[0].data.tags.items() if k.startswith("asdbench.")}
    tags.update(
        {
            RUN_TYPE: "ensemble",
            METRIC_UNIT: PERCENT,
            ENSEMBLE: method,
            SOURCES: ",".join(t.info.run_id for t in trials),
        }
    )
    return tags


def figures_run(mlflow: Any, experiment_id: str) -> str:
    """The experiment's run that holds its comparison figures (``asdbench plot``), made the
    first time: figures span cells, so they belong to none of the cells' runs."""
    found = runs_of_type(mlflow, [experiment_id], "figures")
    if found:
        return found[0].info.run_id
    run = mlflow.create_run(experiment_id, tags={RUN_TYPE: "figures"}, run_name="figures")
    mlflow.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id
