"""The leaderboard's last layer: an experiment made its own leaderboard in the MLflow UI (its
description, its parent runs named by what differs between cells, the runs view on the
official scores)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from asdbench.reporting.leaderboard.board import COMPONENT_COLUMNS, Leaderboard, Row, build
from asdbench.reporting.leaderboard.records import LoggedCell, load_cells
from asdbench.reporting.leaderboard.render import cell_text, render_leaderboard
from asdbench.scoring.metrics import label

DESCRIPTION_LIMIT = 19_000


def headline(board: Leaderboard) -> str:
    """The best official score of each dataset and partition, short enough for the one line
    that the collapsed experiment description shows in the MLflow UI."""
    best: dict[str, dict[str, Row]] = defaultdict(dict)
    for row in board.rows:
        best[row.dataset].setdefault(row.partition, row)
    parts = [
        f"**{dataset}** "
        + ", ".join(f"{p} {cell_text(r.values['official_score'])}" for p, r in rows.items())
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
    from asdbench.tracking import connection, store

    mlflow = connection.client(uri)
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


def run_name(cell: LoggedCell, settings: list[str]) -> str:
    """``adaproj/dual_branch/kmeans loss.subspace_dim=16``: the components, the dataset when
    the cell ran on part of it, and every setting that differs between the experiment's
    cells."""
    base = "/".join(cell.component(kind) for kind in COMPONENT_COLUMNS)
    if cell.shown_dataset != cell.dataset:
        base += f" on {cell.shown_dataset}"
    differing = [f"{key}={cell.params[key]}" for key in settings if key in cell.params]
    return " ".join([base, *differing])
