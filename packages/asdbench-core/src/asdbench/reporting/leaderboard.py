"""The challenge-style leaderboard: one row per benchmark cell and partition, from MLflow.

Columns follow the AdaProj paper's Table 1 (harmonic means over sections, mean ± std over the
trials) with the official DCASE score and the official score of the cell's ensemble. Which
source/target AUCs a leaderboard shows is named in its caption and its column labels: the
own-domain ones of the AdaProj code (``table1``) or the official DCASE ones (``official``).

Rows identify their cell: every setting of the resolved configuration that differs among the
listed cells of a dataset is a column. A cell whose parent run did not finish, or that has
fewer finished trials than it asked for, is listed with what it has and marked. When the same
configuration has cells on several datasets, a block gives its arithmetic mean over them.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from asdbench.errors import OptionError
from asdbench.reporting.tables import figure
from asdbench.scoring.metrics import label

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
#: Standard deviation over trials: its numpy ``ddof`` and its key suffix.
STD = {"sample": (1, "std"), "population": (0, "pstd")}
FORMATS = ("text", "csv", "json", "markdown")
#: Settings shown as columns of their own rather than among the differing settings.
COMPONENT_COLUMNS = ("loss", "embedder", "backend")
_OWN_COLUMNS = {
    "dataset.name",
    "ensemble.name",
    "trials",
    *(f"{k}.name" for k in COMPONENT_COLUMNS),
}
#: Settings that belong to the data rather than to the configuration compared across datasets.
_DATA_SETTINGS = ("dataset.", "data_dir", "ground_truth")


@dataclass
class Cell:
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
        return tuple(sorted((k, v) for k, v in self.params.items() if not _is_data(k)))


def _is_data(key: str) -> bool:
    return key.startswith(_DATA_SETTINGS)


@dataclass(frozen=True)
class Stat:
    """Mean and standard deviation over ``n`` trials (std NaN when undefined)."""

    mean: float
    std: float
    n: int


def stat(values: Sequence[float], ddof: int) -> Stat:
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return Stat(math.nan, math.nan, 0)
    mean = sum(kept) / len(kept)
    if len(kept) <= ddof:
        return Stat(mean, math.nan, len(kept))
    variance = sum((v - mean) ** 2 for v in kept) / (len(kept) - ddof)
    return Stat(mean, math.sqrt(variance), len(kept))


@dataclass
class Row:
    """One cell and partition, or (``cell`` None) a configuration's mean over datasets."""

    dataset: str
    partition: str
    values: dict[str, Stat]
    ensemble_official: float
    cell: Cell | None = None
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
    def configured(self) -> Cell:
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


def load_cells(mlflow: Any, experiments: list, *, every: bool = False) -> list[Cell]:
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
            Cell(
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


#: Settings of a run that are not components (``--where preset=adaproj-code@1``).
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


def select(cells: list[Cell], where: list[tuple[str, str]]) -> list[Cell]:
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


def differing_settings(cells: list[Cell]) -> list[str]:
    """The settings with two or more values among the cells of one dataset (any dataset)."""
    by_dataset: dict[str, list[Cell]] = defaultdict(list)
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
    cells: list[Cell],
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
                m: stat([t.get(f"{partition}/{m}", math.nan) for t in cell.trials], ddof)
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


def _machine_stats(cell: Cell, partition: str, ddof: int) -> dict[str, dict[str, Stat]]:
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
        stats.setdefault(machine, {})[metric] = stat(values, ddof)
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


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def _cell_text(value: Stat) -> str:
    if math.isnan(value.mean):
        return "-"
    if math.isnan(value.std):
        return figure(value.mean)
    return f"{figure(value.mean)} ± {figure(value.std)}"


def _trials_text(row: Row) -> str:
    """The finished trials (of how many asked, marked, when unfinished); for a mean over
    datasets, each member's where they differ."""
    if row.cell is None:
        counts = [_trials_text(m) for m in row.members]
        return counts[0] if len(set(counts)) == 1 else " / ".join(counts)
    cell = row.cell
    if cell.complete:
        return str(len(cell.trials))
    state = "" if cell.status == "FINISHED" else f", {cell.status.lower()}"
    return f"{len(cell.trials)} of {cell.trials_asked}{state} *"


def _row_json(board: Leaderboard, row: Row) -> dict[str, Any]:
    suffix = STD[board.std][1]
    cell = row.cell
    configured = row.configured
    out: dict[str, Any] = {
        "dataset": row.dataset if cell else None,
        "partition": row.partition,
        **{kind: configured.component(kind) for kind in COMPONENT_COLUMNS},
        "settings": {k: row.setting(k, None) for k in board.settings},  # type: ignore[arg-type]
        "ensemble": configured.ensemble or None,
    }
    if cell is not None:
        out.update(
            {
                "run_id": cell.run_id,
                "experiment": cell.experiment,
                "name": cell.name,
                "status": cell.status,
                "complete": cell.complete,
                "trials": len(cell.trials),
                "trials_asked": cell.trials_asked,
                "rule": cell.rule or None,
            }
        )
    else:
        out["datasets"] = list(row.datasets)
        out["run_ids"] = [m.cell.run_id for m in row.members if m.cell]
        out["trials"] = {m.dataset: len(m.cell.trials) for m in row.members if m.cell}
    for metric in board.metrics:
        value = row.values[metric]
        out[f"{metric}_mean"] = _num(value.mean)
        if cell is not None:
            out[f"{metric}_{suffix}"] = _num(value.std)
    out["ensemble_official_score"] = _num(row.ensemble_official)
    if row.machine_means:
        out["machine_means"] = {
            machine: {
                key: _num(value)
                for metric, s in stats.items()
                for key, value in ((f"{metric}_mean", s.mean), (f"{metric}_{suffix}", s.std))
            }
            for machine, stats in row.machine_means.items()
        }
    return out


def render_leaderboard(board: Leaderboard, fmt: str = "text", *, compact: bool = False) -> str:
    """The leaderboard in one of ``FORMATS``: text and Markdown show labels and percentages
    with a caption; CSV and JSON show keys and fractions. ``compact`` (text and Markdown):
    the dataset, component and ensemble columns that are the same in every row are named once
    above the table instead."""
    if fmt == "json":
        return json.dumps(
            {
                "store": board.store,
                "columns": board.layout,
                "std": f"{board.std} (ddof {STD[board.std][0]})",
                "caption": board.caption,
                "cells": [_row_json(board, r) for r in board.rows],
                "means_over_datasets": [_row_json(board, r) for r in board.means],
            },
            indent=1,
        )
    if fmt == "csv":
        return _csv(board)
    header = [
        "dataset",
        "partition",
        *COMPONENT_COLUMNS,
        *board.settings,
        "trials",
        *(label(m) for m in board.metrics),
        "ensemble",
        f"ensemble {label('official_score')}",
    ]
    table = [_text_row(board, r) for r in board.rows]
    means = [_text_row(board, r) for r in board.means]
    notes = [board.caption]
    if any(r.cell is not None and not r.cell.complete for r in board.rows):
        notes.append("* an unfinished cell, or one with fewer trials than it asked for.")
    if compact and table and not means:
        same = {
            i
            for i, name in enumerate(header)
            if name in ("dataset", *COMPONENT_COLUMNS, "ensemble")
            and len({row[i] for row in table}) == 1
        }
        named = ", ".join(f"{header[i]} {table[0][i]}" for i in sorted(same))
        notes.insert(0, f"All cells: {named}.")
        header = [v for i, v in enumerate(header) if i not in same]
        table = [[v for i, v in enumerate(row) if i not in same] for row in table]
    machine_header, machine_table = _machine_table(board)
    if fmt == "markdown":
        align = "|" + "---|" * (len(header) - len(board.metrics) - 1)
        align += "---:|" * len(board.metrics) + "---:|"
        lines = ["| " + " | ".join(header) + " |", align]
        lines += ["| " + " | ".join(row) + " |" for row in table]
        if means:
            lines += ["", "**Arithmetic mean over datasets**", "", lines[0], lines[1]]
            lines += ["| " + " | ".join(row) + " |" for row in means]
        if machine_table:
            lines += ["", f"**{MACHINE_TITLE}**", "", "| " + " | ".join(machine_header) + " |"]
            described = 6 + len(board.settings)  # dataset ... trials
            lines.append("|" + "---|" * described + "---:|" * (len(machine_header) - described))
            lines += ["| " + " | ".join(row) + " |" for row in machine_table]
        return "\n".join([*lines, "", *notes])
    blocks = [table, means] if means else [table]
    widths = [
        max(len(x) for x in column)
        for column in zip(header, *[r for block in blocks for r in block], strict=True)
    ]

    def line(row: list[str]) -> str:
        return "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()

    lines = [line(header), *(line(r) for r in table)]
    if means:
        lines += ["", "arithmetic mean over datasets", line(header), *(line(r) for r in means)]
    if machine_table:
        sizes = [
            max(len(x) for x in column)
            for column in zip(machine_header, *machine_table, strict=True)
        ]
        lines += ["", MACHINE_TITLE]
        lines += [
            "  ".join(v.ljust(w) for v, w in zip(row, sizes, strict=True)).rstrip()
            for row in (machine_header, *machine_table)
        ]
    return "\n".join([*lines, "", *notes])


#: The paper's Table 1 row order: the baselines, then AdaProj; other losses follow by name.
TABLE1_LOSSES = ("compactness", "compactness_cce", "adacos", "subcluster_adacos", "adaproj")
LAYOUTS = ("cells", "table1")
TABLE1_FORMATS = ("text", "markdown", "csv")


def check_table1_format(fmt: str) -> None:
    """The table1 layout has a text, Markdown and CSV form; JSON lists the cells instead."""
    if fmt not in TABLE1_FORMATS:
        raise OptionError(
            "--layout table1 prints text, markdown or csv; --format json lists every cell and "
            "mean over datasets with its configuration"
        )


def table1(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """The paper's Table 1 layout: one row per configuration (losses in the paper's order),
    one column per dataset and partition with the official score (mean ± std over trials),
    then the arithmetic mean over the datasets of each partition. Settings that differ between
    configurations are columns, so that every number is attributed."""
    settings = [k for k in board.settings if not _is_data(k)]
    by_key: dict[tuple, dict[tuple[str, str], Row]] = defaultdict(dict)
    for row in board.rows:
        cell = row.cell
        assert cell is not None
        key = (
            cell.configuration,
            tuple(cell.params.get(k, "-") for k in board.settings if _is_data(k)),
        )
        held = by_key[key].get((row.dataset, row.partition))
        if held is None or (cell.complete, cell.started) > (held.cell.complete, held.cell.started):  # type: ignore[union-attr]
            by_key[key][(row.dataset, row.partition)] = row
    averaged: dict[str, list[tuple[set[str], Row]]] = defaultdict(list)
    for mean in board.means:
        ids = {m.cell.run_id for m in mean.members if m.cell}
        averaged[mean.partition].append((ids, mean))
    groups = sorted({(r.dataset, r.partition) for r in board.rows})
    partitions = [p for p in ("dev", "eval") if any(g[1] == p for g in groups)]
    header = [*COMPONENT_COLUMNS, *settings, "trials"]
    header += [f"{dataset} {partition}" for dataset, partition in groups]
    header += [f"mean over datasets {p}" for p in partitions]
    table = []
    for rows in by_key.values():
        cell = next(iter(rows.values())).cell
        assert cell is not None
        cells = [rows.get(group) for group in groups]
        trials = sorted({_trials_text(r) for r in cells if r is not None})
        means = []
        for partition in partitions:
            mine = {r.cell.run_id for (_, p), r in rows.items() if p == partition and r.cell}
            whole = len(mine) == len({d for d, p in groups if p == partition})
            found = [m for m in averaged.get(partition, []) if m[0] == mine]
            means.append(figure(found[0][1].official) if whole and found else "-")
        table.append(
            [
                *(cell.component(k) for k in COMPONENT_COLUMNS),
                *(cell.params.get(k, "-") for k in settings),
                " / ".join(trials),
                *(_cell_text(r.values["official_score"]) if r else "-" for r in cells),
                *means,
            ]
        )
    order = {loss: i for i, loss in enumerate(TABLE1_LOSSES)}
    table.sort(key=lambda r: (order.get(r[0], len(order)), r))
    return header, table


def render_table1(board: Leaderboard, fmt: str) -> str:
    """:func:`table1` as text, Markdown or CSV (JSON has every cell and mean attributed)."""
    check_table1_format(fmt)
    header, table = table1(board)
    ddof = STD[board.std][0]
    note = (
        f"{label('official_score')} by each dataset's rule, in %; mean ± {board.std} std "
        f"(ddof {ddof}) over trials; the mean over datasets is the arithmetic mean of the "
        "datasets' means, where the configuration has a complete cell on every dataset."
    )
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerows([header, *table])
        return buffer.getvalue()
    if fmt == "markdown":
        fixed = len(COMPONENT_COLUMNS) + len([k for k in board.settings if not _is_data(k)]) + 1
        lines = ["| " + " | ".join(header) + " |"]
        lines.append("|" + "---|" * fixed + "---:|" * (len(header) - fixed))
        lines += ["| " + " | ".join(row) + " |" for row in table]
        return "\n".join([*lines, "", note])
    widths = [max(len(x) for x in column) for column in zip(header, *table, strict=True)]
    lines = [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *table)
    ]
    return "\n".join([*lines, "", note])


MACHINE_TITLE = (
    "Machine type means (the figures of a rule without a single official score, as 2020's): "
    "the arithmetic mean over each machine type's sections (machine IDs), in %"
)


def _machine_table(board: Leaderboard) -> tuple[list[str], list[list[str]]]:
    """The rows with machine type means, one column per machine type and metric."""
    rows = [r for r in board.rows if r.machine_means]
    columns = sorted({(m, k) for r in rows for m, stats in r.machine_means.items() for k in stats})
    named = ["dataset", "partition", *COMPONENT_COLUMNS, *board.settings, "trials"]
    header = [*named, *(f"{label(k)} {m}" for m, k in columns)]
    table = [
        [
            r.dataset,
            r.partition,
            *(r.cell.component(k) if r.cell else "" for k in COMPONENT_COLUMNS),
            *(r.cell.params.get(k, "-") if r.cell else "" for k in board.settings),
            _trials_text(r),
            *(
                _cell_text(r.machine_means[m][k]) if k in r.machine_means.get(m, {}) else "-"
                for m, k in columns
            ),
        ]
        for r in rows
    ]
    return header, table


def _text_row(board: Leaderboard, row: Row) -> list[str]:
    configured = row.configured
    return [
        row.dataset,
        row.partition,
        *(configured.component(k) for k in COMPONENT_COLUMNS),
        *(row.setting(k) for k in board.settings),
        _trials_text(row),
        *(_cell_text(row.values[m]) for m in board.metrics),
        configured.ensemble or "-",
        figure(row.ensemble_official),
    ]


def _csv(board: Leaderboard) -> str:
    suffix = STD[board.std][1]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    keys = [key for m in board.metrics for key in (f"{m}_mean", f"{m}_{suffix}")]
    machine_columns = sorted(
        {(m, k) for r in board.rows for m, stats in r.machine_means.items() for k in stats}
    )
    machine_keys = [f"{k}_{what}/{m}" for m, k in machine_columns for what in ("mean", suffix)]
    writer.writerow(
        [
            "run_id",
            "dataset",
            "partition",
            *COMPONENT_COLUMNS,
            *board.settings,
            "trials",
            "trials_asked",
            "status",
            *keys,
            "ensemble",
            "ensemble_official_score",
            *machine_keys,
        ]
    )
    for row in [*board.rows, *board.means]:
        cell, configured = row.cell, row.configured
        members = [m.cell for m in row.members if m.cell]
        values = [
            "" if math.isnan(v) else v
            for m in board.metrics
            for v in (row.values[m].mean, row.values[m].std)
        ]
        writer.writerow(
            [
                cell.run_id if cell else "+".join(m.run_id for m in members),
                row.dataset,
                row.partition,
                *(configured.component(k) for k in COMPONENT_COLUMNS),
                *(row.setting(k, "") for k in board.settings),
                len(cell.trials) if cell else " / ".join(str(len(m.trials)) for m in members),
                cell.trials_asked if cell else " / ".join(str(m.trials_asked) for m in members),
                cell.status if cell else "",
                *values,
                configured.ensemble,
                "" if math.isnan(row.ensemble_official) else row.ensemble_official,
                *_machine_values(row, machine_columns),
            ]
        )
    return buffer.getvalue()


def _machine_values(row: Row, columns: list[tuple[str, str]]) -> list[float | str]:
    """A row's machine type means and stds in the CSV's machine columns; empty where none."""
    values: list[float | str] = []
    for machine, metric in columns:
        stats = row.machine_means.get(machine, {}).get(metric)
        for value in (stats.mean, stats.std) if stats else (math.nan, math.nan):
            values.append("" if math.isnan(value) else value)
    return values


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
    from asdbench.tracking import store

    mlflow = store.client(uri)
    found = store.experiments(mlflow, experiments, dataset)
    cells = [c for c in load_cells(mlflow, found) if dataset is None or c.dataset == dataset]
    filters = parse_where(where)
    return build(select(cells, filters), store=uri, layout=layout, std=std, where=filters)


#: MLflow's limit on an experiment tag's value, with room to spare.
DESCRIPTION_LIMIT = 19_000


def headline(board: Leaderboard) -> str:
    """The best official score of each dataset and partition, short enough for the one line
    that the collapsed experiment description shows in the MLflow UI."""
    best: dict[str, dict[str, Row]] = defaultdict(dict)
    for row in board.rows:
        best[row.dataset].setdefault(row.partition, row)
    parts = [
        f"**{dataset}** "
        + ", ".join(f"{p} {_cell_text(r.values['official_score'])}" for p, r in rows.items())
        for dataset, rows in best.items()
    ]
    return (
        f"Best {label('official_score')} (mean ± {board.std} std over trials): "
        + "; ".join(parts)
        + " (expand for the leaderboard)"
    )


def description(board: Leaderboard) -> str:
    """The experiment's description in the MLflow UI (markdown): the best cells in one line,
    then the leaderboard, cut to the best rows of each dataset and partition when it would not
    fit in a tag."""
    intro = (
        f"{headline(board)}\n\n## asdbench leaderboard\n\nOne parent run per benchmark cell "
        "(named by the settings that differ between cells), its trials nested under it. "
        "Refreshed after each cell; `asdbench leaderboard` prints it in full.\n\n"
    )
    text = intro + render_leaderboard(board, "markdown", compact=True)
    shown = max(len(board.rows), 1)
    while len(text) > DESCRIPTION_LIMIT and shown > 1:
        shown = max(1, shown // 2)
        kept: dict[tuple[str, str], int] = defaultdict(int)
        rows = []
        for row in board.rows:
            kept[(row.dataset, row.partition)] += 1
            if kept[(row.dataset, row.partition)] <= shown:
                rows.append(row)
        cut = dataclasses.replace(board, rows=rows)
        hidden = len(board.rows) - len(rows)
        text = (
            intro
            + render_leaderboard(cut, "markdown", compact=True)
            + f"\n\nThe best {shown} of each dataset and partition; {hidden} rows more in "
            "`asdbench leaderboard`."
        )
    return text


def publish(uri: str, experiment: str) -> str:
    """Make experiment ``experiment`` its own leaderboard in the MLflow UI: the description
    holds the leaderboard, parent runs are named by the settings that differ between cells,
    and the runs view opens on the official scores
    (:func:`asdbench.tracking.store.set_up_experiment`). Returns the whole leaderboard as
    Markdown."""
    from asdbench.tracking import store

    mlflow = store.client(uri)
    found = store.experiments(mlflow, [experiment])
    board = build(load_cells(mlflow, found), store=uri)
    experiment_id = found[0].experiment_id
    partitions = {row.partition for row in board.rows}
    store.set_up_experiment(mlflow, experiment_id, "eval" if "eval" in partitions else "dev")
    mlflow.set_experiment_tag(experiment_id, store.DESCRIPTION, description(board))
    for cell in {row.cell.run_id: row.cell for row in board.rows if row.cell}.values():
        name = run_name(cell, board.settings)
        if name != cell.name:
            mlflow.update_run(cell.run_id, name=name)
    return render_leaderboard(board, "markdown")


def run_name(cell: Cell, settings: list[str]) -> str:
    """``adaproj/dual_branch/kmeans loss.subspace_dim=16``: the components, the dataset when
    the cell ran on part of it, and every setting that differs between the experiment's
    cells."""
    base = "/".join(cell.component(kind) for kind in COMPONENT_COLUMNS)
    if cell.shown_dataset != cell.dataset:
        base += f" on {cell.shown_dataset}"
    differing = [f"{key}={cell.params[key]}" for key in settings if key in cell.params]
    return " ".join([base, *differing])
