"""The paper's Table 1 layout of a leaderboard (``--layout table1``): losses as rows, datasets
and partitions as column groups, in a fixed row order."""

from __future__ import annotations

import csv
import io
from collections import defaultdict

from asdbench.errors import OptionError
from asdbench.reporting.leaderboard.board import COMPONENT_COLUMNS, Leaderboard, Row
from asdbench.reporting.leaderboard.records import is_data
from asdbench.reporting.leaderboard.render import aligned, cell_text, markdown_table, trials_text
from asdbench.reporting.tables import figure
from asdbench.scoring.metrics import label
from asdbench.scoring.statistics import STD

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
    settings = [k for k in board.settings if not is_data(k)]
    by_key: dict[tuple, dict[tuple[str, str], Row]] = defaultdict(dict)
    for row in board.rows:
        cell = row.cell
        assert cell is not None
        key = (
            cell.configuration,
            tuple(cell.params.get(k, "-") for k in board.settings if is_data(k)),
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
        trials = sorted({trials_text(r) for r in cells if r is not None})
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
                *(cell_text(r.values["official_score"]) if r else "-" for r in cells),
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
        fixed = len(COMPONENT_COLUMNS) + len([k for k in board.settings if not is_data(k)]) + 1
        return "\n".join([*markdown_table(header, table, fixed), "", note])
    return "\n".join([*aligned([header, *table]), "", note])
