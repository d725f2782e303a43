"""The leaderboard's third layer: a :class:`~asdbench.reporting.leaderboard.board.Leaderboard`
rendered as text, Markdown, CSV or JSON, every row naming its configuration."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

from asdbench.reporting.leaderboard.board import COMPONENT_COLUMNS, Leaderboard, Row
from asdbench.reporting.tables import figure
from asdbench.scoring.metrics import label
from asdbench.scoring.statistics import STD, Stat

FORMATS = ("text", "csv", "json", "markdown")


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


def cell_text(value: Stat) -> str:
    if math.isnan(value.mean):
        return "-"
    if math.isnan(value.std):
        return figure(value.mean)
    return f"{figure(value.mean)} ± {figure(value.std)}"


def trials_text(row: Row) -> str:
    """The finished trials (of how many asked, marked, when unfinished); for a mean over
    datasets, each member's where they differ."""
    if row.cell is None:
        counts = [trials_text(m) for m in row.members]
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
    """The leaderboard in one of ``FORMATS``: text and Markdown show labels with a caption;
    CSV and JSON show keys; every figure in percent. ``compact`` (text and Markdown): the
    dataset, component and ensemble columns that are the same in every row are named once
    above the table instead."""
    if fmt == "json":
        return _json(board)
    if fmt == "csv":
        return _csv(board)
    header, table, means, notes = _text_blocks(board, compact=compact)
    machine = _machine_table(board)
    if fmt == "markdown":
        return _markdown(board, (header, table, means), machine, notes)
    lines = aligned([header, *table, *means])
    if means:
        shown = lines[: 1 + len(table)]
        lines = [*shown, "", "arithmetic mean over datasets", lines[0], *lines[1 + len(table) :]]
    if machine[1]:
        lines += ["", MACHINE_TITLE, *aligned([machine[0], *machine[1]])]
    return "\n".join([*lines, "", *notes])


def aligned(rows: list[list[str]]) -> list[str]:
    """Rows as lines of text, each column as wide as its widest value."""
    widths = [max(len(x) for x in column) for column in zip(*rows, strict=True)]
    return [
        "  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def markdown_table(header: list[str], rows: list[list[str]], left: int) -> list[str]:
    """A Markdown table: the first ``left`` columns left-aligned, the figures right-aligned."""
    align = "|" + "---|" * left + "---:|" * (len(header) - left)
    return ["| " + " | ".join(header) + " |", align, *("| " + " | ".join(r) + " |" for r in rows)]


def _json(board: Leaderboard) -> str:
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


Blocks = tuple[list[str], list[list[str]], list[list[str]], list[str]]


def _text_blocks(board: Leaderboard, *, compact: bool) -> Blocks:
    """The header, the cells' rows, the means' rows and the notes of the text and Markdown
    forms; with ``compact``, the columns the same in every row moved to the notes."""
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
    return header, table, means, notes


def _markdown(
    board: Leaderboard,
    blocks: tuple[list[str], list[list[str]], list[list[str]]],
    machine: tuple[list[str], list[list[str]]],
    notes: list[str],
) -> str:
    header, table, means = blocks
    left = len(header) - len(board.metrics) - 1
    lines = markdown_table(header, table, left)
    if means:
        lines += ["", "**Arithmetic mean over datasets**", ""]
        lines += markdown_table(header, means, left)
    if machine[1]:
        described = 6 + len(board.settings)  # dataset ... trials
        lines += ["", f"**{MACHINE_TITLE}**", "", *markdown_table(*machine, described)]
    return "\n".join([*lines, "", *notes])


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
            trials_text(r),
            *(
                cell_text(r.machine_means[m][k]) if k in r.machine_means.get(m, {}) else "-"
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
        trials_text(row),
        *(cell_text(row.values[m]) for m in board.metrics),
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
