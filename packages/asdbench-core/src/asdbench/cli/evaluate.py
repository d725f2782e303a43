"""``asdbench evaluate``: score a DCASE submission folder against ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from asdbench.cli.data import load_table
from asdbench.cli.main import cli
from asdbench.config import choose, parse_sets
from asdbench.evaluation import TruthTable, evaluate_submission, truth_from_folder, truth_from_table
from asdbench.report import FORMATS, render


@cli.command("evaluate")
@click.argument("submission_dir", type=click.Path(path_type=Path))
@click.option(
    "--dataset",
    default="dcase2023",
    show_default=True,
    help="The dataset, which decides the official-score rule.",
)
@click.option(
    "--ground-truth",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Evaluator-format ground truth (ground_truth_data/, ground_truth_domain/).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset root: dev test labels come from the file names.",
)
@click.option("--set", "sets", multiple=True, metavar="dataset.OPTION=VALUE")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results CSV [default: SUBMISSION_DIR/asdbench_results.csv].",
)
def evaluate_command(
    submission_dir: Path,
    dataset: str,
    ground_truth: Path | None,
    data_dir: Path | None,
    sets: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Score SUBMISSION_DIR (anomaly_score_* and decision_result_* files) by file name against
    the ground truth; print the per-section table and the official score, write a results CSV.
    """
    if data_dir is not None:
        instance, table = load_table(dataset, data_dir, ground_truth, sets)
        truth: TruthTable = truth_from_table(table)
    else:
        instance = choose("dataset", dataset, parse_sets(sets).get("dataset")).create()
        truth = truth_from_folder(ground_truth) if ground_truth else {}
    results = evaluate_submission(submission_dir, truth, instance.official_score)
    target = output or submission_dir / "asdbench_results.csv"
    target.write_text(render(results, "csv"))
    click.echo(render(results, fmt))
    for note in results.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "text":
        click.echo(f"results written to {target}", err=True)
