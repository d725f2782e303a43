"""``asdbench evaluate``: score a DCASE submission folder against ground truth."""

from __future__ import annotations

from pathlib import Path

import click

from asdbench.cli.options import dataset_instance
from asdbench.data.datasets import DcaseLayoutDataset, first_differences
from asdbench.errors import DataError, OptionError
from asdbench.files import write_atomically
from asdbench.reporting.tables import FORMATS, render
from asdbench.submission.evaluation import (
    TruthTable,
    evaluate_submission,
    truth_from_folder,
    truth_from_table,
)


@click.command("evaluate")
@click.argument("submission_dir", type=click.Path(path_type=Path))
@click.option(
    "--dataset",
    default="dcase2023",
    show_default=True,
    help="The dataset: its official-score rule and which sections are dev and which eval.",
)
@click.option(
    "--ground-truth",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The official evaluator's ground truth, in the dataset's year's form "
    "(ground_truth_data/ and ground_truth_domain/; 2021: ground_truth_data/ per domain; 2020: "
    "eval_data_list.csv).",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Dataset root: dev test labels come from the file names, eval labels from "
    "--ground-truth. A dataset that has its own data (synthetic) needs neither.",
)
@click.option("--set", "sets", multiple=True, metavar="dataset.OPTION=VALUE")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the results as CSV to this file (nothing is written otherwise).",
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
    the ground truth. Each partition (dev, eval) the submission covers gets its own table and
    its own official score, by the dataset's rule; partitions are never pooled, and a partition
    is scored over all of its sections or not at all."""
    if output is not None and not output.parent.is_dir():
        raise OptionError(f"--output {output}: the folder {output.parent} does not exist")
    instance = dataset_instance(dataset, sets)
    if data_dir is None and ground_truth is not None:
        truth = truth_from_folder(ground_truth, instance.partition_of, instance.official_score)
        if isinstance(instance, DcaseLayoutDataset):
            truth = whole_truth(instance, truth, ground_truth)
    else:
        try:
            root = instance.data_dir(data_dir)
        except DataError as exc:
            raise OptionError(f"{exc} Or give --ground-truth alone (eval labels).") from exc
        truth = truth_from_table(instance.load(root, ground_truth=ground_truth))
    results, notes = evaluate_submission(submission_dir, truth, instance.official_score)
    if output is not None:
        write_atomically(output, render(results, "csv"))
    click.echo(render(results, fmt, what=f"{submission_dir} ({dataset})").rstrip("\n"))
    for note in notes:
        click.echo(f"note: {note}", err=True)
    if output is not None:
        click.echo(f"results written to {output}", err=True)


def whole_truth(dataset: DcaseLayoutDataset, truth: TruthTable, folder: Path) -> TruthTable:
    """``truth`` for the machine types the run is about (``dataset.machines``, when asked for),
    refused when its sections are not the dataset's: another year's or part of this one's
    would be scored under the year's official name."""
    if dataset.subset:
        truth = {key: rows for key, rows in truth.items() if key[1] in dataset.subset}
    differences = dataset.check_sections(truth)
    if differences:
        raise DataError(
            f"--ground-truth {folder} is not {dataset.name}'s: {first_differences(differences)}"
            "; score part of it with --set dataset.machines=TYPE+TYPE"
        )
    return truth
