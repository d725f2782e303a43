"""``asdbench plot``: figures that compare benchmark cells from MLflow (the AdaProj paper's
Figures 2 and 3), as PNG files and MLflow artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from asdbench.cli.options import WHERE, store_line
from asdbench.errors import AsdbenchError, OptionError
from asdbench.scoring.metrics import METRICS
from asdbench.scoring.statistics import STD

FIGURES = Path("asdbench-output") / "figures"


def figure_options(function: Any) -> Any:
    """--dataset, --where, --metric, --std and --output, shared by the plot commands."""
    options = [
        click.option("--dataset", default=None, help="Only cells of this dataset."),
        WHERE,
        click.option(
            "--metric",
            type=click.Choice(list(METRICS)),
            default="official_score",
            show_default=True,
            help="The metric (its harmonic mean over sections).",
        ),
        click.option("--std", type=click.Choice(list(STD)), default="sample", show_default=True),
        click.option(
            "--output",
            type=click.Path(file_okay=False, path_type=Path),
            default=FIGURES,
            show_default=True,
            help="Folder for the PNG files.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


@click.group("plot")
def plot_group() -> None:
    """Figures comparing the cells in MLflow: a metric against a setting (Figure 2), ensembles
    against their single trials (Figure 3). Each PNG is also logged to the experiment's
    `figures` run. Per-section ROC curves are drawn by every run (its output folder)."""


@plot_group.command("trials")
@click.option(
    "--vs", "key", required=True, metavar="KIND.OPTION", help="The setting on the x axis."
)
@figure_options
def trials_command(key: str, **options: Any) -> None:
    """A metric against setting --vs (e.g. loss.subspace_dim), mean ± std over each cell's
    trials, one line per configuration: the AdaProj paper's Figure 2."""
    _draw(key, ensemble=False, **options)


@plot_group.command("ensemble")
@click.option(
    "--vs",
    "key",
    default=None,
    metavar="KIND.OPTION",
    help="A setting on the x axis [default: the cells side by side].",
)
@figure_options
def ensemble_command(key: str | None, **options: Any) -> None:
    """Each cell's ensemble against its single trials (dots, and their mean ± std): the AdaProj
    paper's Figure 3. Needs cells run with --ensemble."""
    _draw(key, ensemble=True, **options)


def _draw(
    key: str | None,
    *,
    ensemble: bool,
    dataset: str | None,
    where: tuple[str, ...],
    metric: str,
    std: str,
    output: Path,
) -> None:
    from asdbench.reporting.leaderboard.records import load_cells, parse_where, select
    from asdbench.reporting.plots import comparison_figures
    from asdbench.tracking import connection, store

    uri = connection.existing_store()
    store_line(uri)
    mlflow = connection.client(uri)
    experiments = store.experiments(mlflow, dataset=dataset)
    cells = load_cells(mlflow, experiments)
    cells = select([c for c in cells if dataset in (None, c.dataset)], parse_where(where))
    if key is not None:
        if cells and not any(key in c.params for c in cells):
            known = ", ".join(sorted({k for c in cells for k in c.params}))
            raise OptionError(f"--vs {key}: no cell has this setting; settings: {known}")
        cells = _keep(cells, lambda c: key in c.params, f"no setting {key}")
    cells = _keep(cells, lambda c: c.complete, "unfinished, or fewer trials than it asked for")
    cells = _keep(
        cells,
        lambda c: any(f"{p}/{metric}" in t for t in c.trials for p in c.partitions),
        f"no {metric} (its dataset's rule gives none, as 2020's official score: choose another "
        "--metric)",
    )
    if ensemble:
        cells = _keep(cells, lambda c: bool(c.ensemble), "no ensemble (run it with --ensemble)")
    if not cells:
        raise AsdbenchError(f"no cell to plot in {uri}")
    written = comparison_figures(
        cells, key=key, metric=metric, std=std, ensemble=ensemble, folder=output
    )
    by_name = {e.name: e.experiment_id for e in experiments}
    for name in sorted({c.experiment for c in cells}):
        datasets = {c.dataset for c in cells if c.experiment == name}
        run_id = store.figures_run(mlflow, by_name[name])
        for figure_dataset, path in written:
            if figure_dataset in datasets:
                mlflow.log_artifact(run_id, str(path), "figures")
                mlflow.log_artifact(run_id, str(path.with_suffix(".csv")), "figures")
        click.echo(f"MLflow: experiment {name}, run {run_id}, artifacts figures/", err=True)
    for _, path in written:
        click.echo(str(path))


def _keep(cells: list, keep: Any, reason: str) -> list:
    """The cells ``keep`` accepts; the others are named on stderr with ``reason``."""
    for cell in cells:
        if not keep(cell):
            click.echo(f"left out: {cell.name} ({cell.run_id}): {reason}", err=True)
    return [cell for cell in cells if keep(cell)]
