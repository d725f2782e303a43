"""Options and helpers several commands share, defined once: the tracking fallback, workers
and precision of ``run`` and ``sweep``; the cell filter of ``leaderboard``, ``runs`` and
``plot``; the dataset options of ``data`` and ``evaluate``."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import click

from asdbench.contracts import Dataset
from asdbench.errors import OptionError
from asdbench.pipeline.config import DEFAULT_COMPONENTS
from asdbench.pipeline.resolve import choose, parse_sets
from asdbench.training.settings import Precision

TRACKING_FALLBACK = click.option(
    "--tracking-fallback",
    type=click.Choice(["error", "local"]),
    default="error",
    show_default=True,
    help="When the MLflow server does not answer at the start: fail, or keep the tracking "
    "locally for `asdbench sync`. (A server lost during the run always falls back to local.)",
)


NUM_WORKERS = click.option(
    "--num-workers",
    type=int,
    default=None,
    help="Audio decoding threads and torch threads [default: the cores available to this "
    "process; more is cut to that].",
)


PRECISION = click.option(
    "--precision",
    type=click.Choice(typing.get_args(Precision)),
    default=None,
    help="bf16: autocast training and embedding (CPU and CUDA) [default: fp32]. Faster only "
    "where the hardware has bf16 matrix units (docs/performance.md).",
)


WHERE = click.option(
    "--where",
    multiple=True,
    metavar="KIND.OPTION=VALUE",
    help="Only cells with this setting (repeat to combine), e.g. loss=adaproj, "
    "loss.subspace_dim=16, train.epochs=10.",
)


def store_line(uri: str) -> None:
    click.echo(f"MLflow store: {uri}", err=True)


def dataset_options(function: Any) -> Any:
    """--dataset, --data-dir, --ground-truth and --set, shared by the data commands."""
    options = [
        click.option(
            "--dataset",
            default=DEFAULT_COMPONENTS["dataset"],
            show_default=True,
            help="Dataset name.",
        ),
        click.option(
            "--data-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="Dataset root (plain DCASE or baseline layout).",
        ),
        click.option(
            "--ground-truth",
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="Evaluator-format ground truth for the eval test clips.",
        ),
        click.option(
            "--set",
            "sets",
            multiple=True,
            metavar="dataset.OPTION=VALUE",
            help="A dataset option, e.g. dataset.classes=train+dev-test.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def dataset_instance(dataset: str, sets: tuple[str, ...]) -> Dataset:
    """The dataset ``dataset`` built with its ``--set dataset.*`` options."""
    sections = parse_sets(sets)
    other = set(sections) - {"dataset"}
    if other:
        raise OptionError(f"--set {sorted(other)[0]}.*: data commands take dataset.* options only")
    return choose("dataset", dataset, sections.get("dataset")).create()
