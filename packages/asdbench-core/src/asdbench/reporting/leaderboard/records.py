"""The leaderboard's first layer: benchmark cells as MLflow holds them, read from the store
and selected by ``--where``.

A *logged cell* is a cell's parent run with its finished trials' metrics; the cell being run
is :class:`asdbench.pipeline.cells.Cell`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from asdbench.errors import OptionError

#: Settings that belong to the data rather than to the configuration compared across datasets.
DATA_SETTINGS = ("dataset.", "data_dir", "ground_truth")


@dataclass
class LoggedCell:
    """A benchmark cell as MLflow holds it: its parent run and its finished trials."""

    run_id: str
    experiment: str
    dataset: str
    name: str
    status: str
    #: The resolved configuration as flat ``kind.option`` params.
    params: dict[str, str]
    trials_asked: int
    #: The metrics of each finished trial run.
    trials: list[dict[str, float]]
    ensemble: str = ""
    #: ``<partition>/<metric>`` of the cell's ensemble (its parent's ``ensemble/`` metrics).
    ensemble_scores: dict[str, float] = field(default_factory=dict)
    #: When the parent run started (ms since the epoch) and where the cell wrote its files.
    started: int = 0
    output: str = ""
    #: The name of the rule its official score follows (the dataset's year).
    rule: str = ""

    @property
    def complete(self) -> bool:
        return self.status == "FINISHED" and len(self.trials) >= self.trials_asked

    @property
    def partitions(self) -> list[str]:
        """The partitions its trials scored (2020's rule has no official score: any metric)."""
        return [
            p for p in ("dev", "eval") if any(k.startswith(f"{p}/") for t in self.trials for k in t)
        ]

    def component(self, kind: str) -> str:
        return self.params.get(f"{kind}.name", "?")

    @property
    def shown_dataset(self) -> str:
        """The dataset as every output names it: marked when the cell ran on some of its
        machine types only (``dataset.machines``), so that part is never read as the whole."""
        machines = self.params.get("dataset.machines", "None")
        return self.dataset if machines in ("None", "") else f"{self.dataset} ({machines} only)"

    @property
    def configuration(self) -> tuple[tuple[str, str], ...]:
        """Everything but the data: what makes cells on two datasets the same system."""
        return tuple(sorted((k, v) for k, v in self.params.items() if not is_data(k)))


def is_data(key: str) -> bool:
    """Whether setting ``key`` belongs to the data (:data:`DATA_SETTINGS`)."""
    return key.startswith(DATA_SETTINGS)


def load_cells(mlflow: Any, experiments: list, *, every: bool = False) -> list[LoggedCell]:
    """The cells of the experiments, with their finished trials: for each cell identity
    (configuration, trials, seed) the newest finished parent run, else the newest unfinished
    one; with ``every``, every parent run, newest first."""
    from asdbench.tracking import store

    ids = [e.experiment_id for e in experiments]
    names = {e.experiment_id: e.name for e in experiments}
    trials: dict[str, list[dict[str, float]]] = defaultdict(list)
    for run in store.runs_of_type(mlflow, ids, "trial", "FINISHED"):
        trials[run.data.tags.get(store.PARENT, "")].append(store.figures_of(run))
    chosen: dict[tuple[str, ...], Any] = {}
    for run in store.runs_of_type(mlflow, ids, "cell"):
        tags = run.data.tags
        identity = (
            run.info.experiment_id,
            tags.get(store.CELL, ""),
            tags.get(store.TRIALS, ""),
            tags.get(store.SEED, ""),
        )
        if every:
            identity = (run.info.run_id,)
        previous = chosen.get(identity)
        if previous is None or (
            previous.info.status != "FINISHED" and run.info.status == "FINISHED"
        ):
            chosen[identity] = run
    cells = []
    for run in chosen.values():
        tags, metrics = run.data.tags, store.figures_of(run)
        cells.append(
            LoggedCell(
                run.info.run_id,
                names[run.info.experiment_id],
                tags.get(store.DATASET, "?"),
                run.info.run_name,
                run.info.status,
                dict(run.data.params),
                int(tags.get(store.TRIALS, "1")),
                trials.get(run.info.run_id, []),
                tags.get(store.ENSEMBLE, ""),
                {
                    key.removeprefix("ensemble/"): value
                    for key, value in metrics.items()
                    if key.startswith("ensemble/")
                },
                run.info.start_time or 0,
                tags.get(store.OUTPUT, ""),
                tags.get(store.SCORE_RULE, ""),
            )
        )
    return cells


RUN_SETTINGS = ("trials", "seed", "device", "data_dir", "ground_truth", "preset")


def parse_where(pairs: Iterable[str]) -> list[tuple[str, str]]:
    """``["loss=adaproj", "loss.subspace_dim=16"]`` -> ``[("loss.name", "adaproj"), ...]``."""
    parsed = []
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise OptionError(f"--where {pair!r}: expected KIND.OPTION=VALUE, e.g. loss=adaproj")
        if "." not in key and key not in RUN_SETTINGS:
            key = f"{key}.name"
        parsed.append((key, value.strip()))
    return parsed


def _same(text: str, wanted: str) -> bool:
    if text == wanted:
        return True
    try:
        return float(text) == float(wanted)
    except ValueError:
        return text.lower() == wanted.lower() and text.lower() in ("true", "false", "none")


def select(cells: list[LoggedCell], where: list[tuple[str, str]]) -> list[LoggedCell]:
    """The cells whose settings match every ``(key, value)``; a key no cell has is an error."""
    for key, _ in where:
        if cells and not any(key in c.params for c in cells):
            known = sorted({k for c in cells for k in c.params})
            raise OptionError(
                f"--where {key}: no cell has this setting; settings: {', '.join(known)}"
            )
    chosen = [c for c in cells if all(_same(c.params.get(k, ""), v) for k, v in where)]
    if cells and not chosen:
        for key, value in where:
            if not any(_same(c.params.get(key, ""), value) for c in cells):
                values = sorted({c.params[key] for c in cells if key in c.params})
                raise OptionError(
                    f"--where {key}={value}: no cell has this value; its values: "
                    f"{', '.join(values)}"
                )
        wanted = ", ".join(f"{key}={value}" for key, value in where)
        raise OptionError(f"--where: no cell has all of {wanted}")
    return chosen
