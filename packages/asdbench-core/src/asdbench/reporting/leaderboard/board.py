"""The leaderboard's second layer: logged cells aggregated into rows, one per cell and
partition (mean ± std over its trials), and a block of means over datasets for a configuration
with cells on several datasets.

Columns follow the AdaProj paper's Table 1 (harmonic means over sections, mean ± std over the
trials) with the official DCASE score and the official score of the cell's ensemble. Which
source/target AUCs a leaderboard shows is named in its caption and its column labels: the
own-domain ones of the AdaProj code (``table1``) or the official DCASE ones (``official``).
Rows identify their cell: every setting that differs among the listed cells of a dataset is a
column of its own.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from asdbench.errors import OptionError
from asdbench.reporting.leaderboard.records import LoggedCell, load_cells, parse_where, select
from asdbench.scoring.statistics import STD, Stat, over_trials

#: The source/target/domain-independent columns of each layout, before the official score.
DOMAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "table1": (
        "auc_source_own",
        "pauc_source_own",
        "auc_target_own",
        "pauc_target_own",
        "auc_all",
        "pauc",
    ),
    "official": ("auc_source", "auc_target", "pauc", "auc_all"),
}
CAPTIONS = {
    "table1": "Source/target: each domain's normals against that domain's own anomalies "
    "(source-only, target-only), as the AdaProj code computes the paper's Table 1.",
    "official": "Source/target: the official DCASE AUCs, each domain's normals against the "
    "anomalies of both domains.",
}
#: Settings shown as columns of their own rather than among the differing settings.
COMPONENT_COLUMNS = ("loss", "embedder", "backend")
_OWN_COLUMNS = {
    "dataset.name",
    "ensemble.name",
    "trials",
    *(f"{k}.name" for k in COMPONENT_COLUMNS),
}


@dataclass
class Row:
    """One cell and partition, or (``cell`` None) a configuration's mean over datasets."""

    dataset: str
    partition: str
    values: dict[str, Stat]
    ensemble_official: float
    cell: LoggedCell | None = None
    #: The datasets a mean-over-datasets row averages, and its rows on each (one per dataset).
    datasets: tuple[str, ...] = ()
    members: tuple[Row, ...] = ()
    #: machine type -> metric -> over trials, where the dataset's rule reports each machine
    #: type's mean (2020's figures: ``<partition>/<metric>/<machine>`` trial metrics).
    machine_means: dict[str, dict[str, Stat]] = field(default_factory=dict)

    @property
    def official(self) -> float:
        return self.values["official_score"].mean

    @property
    def configured(self) -> LoggedCell:
        """The cell whose configuration the row shows: its own, or for a mean over datasets
        its first member's (every member has the same configuration but for the data)."""
        return self.cell if self.cell is not None else self.members[0].cell  # type: ignore[return-value]

    def setting(self, key: str, missing: str = "-") -> str:
        """A setting's value; for a mean over datasets, each member's where they differ (a
        data setting), in the order of ``datasets``."""
        rows = self.members or (self,)
        values = [r.cell.params.get(key, missing) if r.cell else missing for r in rows]
        return values[0] if len(set(values)) == 1 else " / ".join(values)


@dataclass
class Leaderboard:
    store: str
    layout: str
    std: str
    #: The settings that differ among the listed cells (columns of their own).
    settings: list[str]
    rows: list[Row]
    means: list[Row]
    #: The ``--where`` filters the cells were selected by.
    where: list[tuple[str, str]] = field(default_factory=list)

    @property
    def metrics(self) -> tuple[str, ...]:
        return (*DOMAIN_COLUMNS[self.layout], "official_score")

    @property
    def caption(self) -> str:
        ddof = STD[self.std][0]
        selected = ", ".join(f"{key}={value}" for key, value in self.where)
        rules = sorted({(r.dataset, r.cell.rule) for r in self.rows if r.cell and r.cell.rule})
        scored = {r.dataset for r in self.rows if not math.isnan(r.official)}
        named = ", ".join(
            f"{dataset}: {rule} rule"
            if dataset in scored
            else f"{dataset}: none, the {rule} rule has no single official score"
            for dataset, rule in rules
        )
        return (
            f"Harmonic means over sections, in %; mean ± {self.std} std (ddof {ddof}) over "
            f"trials. {CAPTIONS[self.layout]}"
            + (f" Official score by each dataset's rule ({named})." if named else "")
            + (f" Cells with {selected}." if selected else "")
        )


def differing_settings(cells: list[LoggedCell]) -> list[str]:
    """The settings with two or more values among the cells of one dataset (any dataset)."""
    by_dataset: dict[str, list[LoggedCell]] = defaultdict(list)
    for cell in cells:
        by_dataset[cell.dataset].append(cell)
    keys = set()
    for group in by_dataset.values():
        for key in {k for c in group for k in c.params} - _OWN_COLUMNS:
            if len({c.params[key] for c in group if key in c.params}) > 1:
                keys.add(key)
    order = ("loss.", "embedder.", "backend.", "dataset.", "ensemble.", "train.")
    return sorted(
        keys, key=lambda k: (next((i for i, p in enumerate(order) if k.startswith(p)), 9), k)
    )


def build(
    cells: list[LoggedCell],
    *,
    store: str,
    layout: str = "table1",
    std: str = "sample",
    where: list[tuple[str, str]] | None = None,
) -> Leaderboard:
    """The leaderboard of ``cells``: rows sorted by dataset, partition and official score."""
    if layout not in DOMAIN_COLUMNS:
        raise OptionError(f"unknown columns {layout!r}; columns: {', '.join(DOMAIN_COLUMNS)}")
    if std not in STD:
        raise OptionError(f"unknown std {std!r}; choose {' or '.join(STD)}")
    ddof = STD[std][0]
    metrics = (*DOMAIN_COLUMNS[layout], "official_score")
    rows = [
        Row(
            cell.shown_dataset,
            partition,
            {
                m: over_trials([t.get(f"{partition}/{m}", math.nan) for t in cell.trials], ddof)
                for m in metrics
            },
            cell.ensemble_scores.get(f"{partition}/official_score", math.nan),
            cell,
            machine_means=_machine_stats(cell, partition, ddof),
        )
        for cell in cells
        for partition in cell.partitions
    ]
    rows.sort(key=lambda r: (r.dataset, r.partition, -_key(r.official)))
    means = _means(rows, metrics)
    return Leaderboard(store, layout, std, differing_settings(cells), rows, means, where or [])


def _machine_stats(cell: LoggedCell, partition: str, ddof: int) -> dict[str, dict[str, Stat]]:
    """Each machine type's means its trials logged (``<partition>/<metric>/<machine>``; a
    section's key ends ``<machine>_<section>``), over trials."""
    found = sorted(
        {
            (parts[2], parts[1])
            for t in cell.trials
            for key in t
            if len(parts := key.split("/")) == 3 and parts[0] == partition and "_" not in parts[2]
        }
    )
    stats: dict[str, dict[str, Stat]] = {}
    for machine, metric in found:
        values = [t.get(f"{partition}/{metric}/{machine}", math.nan) for t in cell.trials]
        stats.setdefault(machine, {})[metric] = over_trials(values, ddof)
    return stats


def _means(rows: list[Row], metrics: tuple[str, ...]) -> list[Row]:
    """For each configuration and partition with complete cells on two or more datasets, the
    arithmetic mean over those datasets of its per-dataset means."""
    groups: dict[tuple, list[Row]] = defaultdict(list)
    for row in rows:
        if row.cell is not None and row.cell.complete:
            groups[(row.cell.configuration, row.partition)].append(row)
    means = []
    for (_, partition), members in groups.items():
        datasets = tuple(sorted({r.dataset for r in members}))
        if len(datasets) < 2 or len(datasets) != len(members):
            continue
        values = {
            m: Stat(sum(r.values[m].mean for r in members) / len(members), math.nan, len(members))
            for m in metrics
        }
        ensemble = sum(r.ensemble_official for r in members) / len(members)
        members.sort(key=lambda r: r.dataset)
        means.append(
            Row(
                "mean over " + ", ".join(datasets),
                partition,
                values,
                ensemble,
                None,
                datasets,
                members=tuple(members),
            )
        )
    means.sort(key=lambda r: (r.partition, -_key(r.official)))
    return means


def _key(value: float) -> float:
    return -1.0 if math.isnan(value) else value


def query(
    uri: str,
    experiments: list[str] | None = None,
    dataset: str | None = None,
    *,
    where: Iterable[str] = (),
    layout: str = "table1",
    std: str = "sample",
) -> Leaderboard:
    """The leaderboard of the store at ``uri``: the named experiments, the one of
    ``dataset``, or every ``asdbench-*`` experiment; cells filtered by ``where``."""
    from asdbench.tracking import connection, store

    mlflow = connection.client(uri)
    found = store.experiments(mlflow, experiments, dataset)
    cells = [c for c in load_cells(mlflow, found) if dataset is None or c.dataset == dataset]
    filters = parse_where(where)
    return build(select(cells, filters), store=uri, layout=layout, std=std, where=filters)
