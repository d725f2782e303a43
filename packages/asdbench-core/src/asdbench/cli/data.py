"""``asdbench data``: inspect, export, generate and download datasets."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import click

from asdbench.cli.options import dataset_instance, dataset_options
from asdbench.cli.signals import stop_on_sigterm
from asdbench.data.clips import ClipTable
from asdbench.errors import AsdbenchError
from asdbench.files import write_atomically
from asdbench.pipeline.resolve import choose


@click.group("data")
def data_group() -> None:
    """Inspect, export, generate and download datasets."""


def load_table(
    dataset: str, data_dir: Path | None, ground_truth: Path | None, sets: tuple[str, ...]
) -> tuple[Any, ClipTable]:
    instance = dataset_instance(dataset, sets)
    return instance, instance.load(data_dir, ground_truth=ground_truth)


def describe(table: ClipTable) -> dict[str, Any]:
    """Counts, classes, durations and problems of a table (``data info --json``)."""
    counts = [
        dict(zip(("partition", "machine", "section", "split", "domain", "label"), key, strict=True))
        | {"clips": number}
        for key, number in sorted(
            table.counts("partition", "machine", "section", "split", "domain", "label").items()
        )
    ]
    durations: dict[str, list[float]] = defaultdict(list)
    for clip in table:
        durations[clip.machine].append(clip.duration)
    return {
        "clips": len(table),
        "counts": counts,
        "classes": table.classes,
        "durations": {
            machine: {"min": min(v), "mean": round(sum(v) / len(v), 3), "max": max(v)}
            for machine, v in sorted(durations.items())
        },
        "problems": table.problems,
    }


@data_group.command("info")
@dataset_options
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object.")
def info_command(
    dataset: str,
    data_dir: Path | None,
    ground_truth: Path | None,
    sets: tuple[str, ...],
    as_json: bool,
) -> None:
    """Counts per partition, machine, section, split, domain and label; classes; durations;
    and every problem found."""
    _, table = load_table(dataset, data_dir, ground_truth, sets)
    summary = {"dataset": dataset, **describe(table)}
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    click.echo(f"dataset {dataset}: {summary['clips']} clips")
    width = max([5, *(len(row["split"]) for row in summary["counts"])])  # supplemental
    click.echo(
        f"  {'partition':<9} {'machine':<12} {'sec':<3} {'split':<{width}} {'domain':<7} "
        f"{'label':<8} clips"
    )
    for row in summary["counts"]:
        click.echo(
            f"  {row['partition']:<9} {row['machine']:<12} {row['section']:<3} "
            f"{row['split']:<{width}} {row['domain']:<7} {row['label']:<8} {row['clips']}"
        )
    click.echo(f"classes ({len(table.classes)}):")
    for name in table.classes:
        click.echo(f"  {name}")
    click.echo("durations (s):")
    for machine, stats in summary["durations"].items():
        click.echo(
            f"  {machine:<12} min {stats['min']:.2f}  mean {stats['mean']:.2f}  "
            f"max {stats['max']:.2f}"
        )
    click.echo(f"problems ({len(table.problems)}):" if table.problems else "problems: none")
    for problem in table.problems:
        click.echo(f"  {problem}")


@data_group.command("table")
@dataset_options
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file instead of standard output.",
)
def table_command(
    dataset: str,
    data_dir: Path | None,
    ground_truth: Path | None,
    sets: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """The clip table, one row per clip: file, partition, machine, section, domain, split,
    label, attributes (key=value;...) and class."""
    _, table = load_table(dataset, data_dir, ground_truth, sets)
    text = table.to_csv() if fmt == "csv" else table.to_json() + "\n"
    if output:
        write_atomically(output, text)
    else:
        click.echo(text, nl=False)


@data_group.command("synth")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Folder to write (must be new or empty).",
)
@click.option(
    "--size",
    type=click.Choice(["tiny", "small", "bench", "full"]),
    default="small",
    show_default=True,
    help="tiny: tests; small: the main job's, 2 + 2 machine types; bench: the benchmark's, "
    "6 + 6 types; full: DCASE2023 scale, 7 + 7 types.",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--microphones",
    type=click.IntRange(1, 2),
    default=1,
    show_default=True,
    help="2: stereo clips, the near microphone left and a far one right.",
)
def synth_command(out: Path, size: str, seed: int, microphones: int) -> None:
    """Write the synthetic dataset (DCASE2023 layout plus ground_truth/) to OUT."""
    from asdbench.synthetic import SyntheticDataset, ensure_tree

    dataset = SyntheticDataset(size=size, seed=seed, microphones=microphones)  # type: ignore[arg-type]
    root = ensure_tree(out, dataset.plan)
    click.echo(f"synthetic dataset in {root} (ground truth in {root / 'ground_truth'})")


@data_group.command("download")
@click.argument("dataset")
@click.option(
    "--to",
    "target",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="Folder to unpack into.",
)
@click.option(
    "--part",
    "parts",
    multiple=True,
    type=click.Choice(["dev", "eval-train", "eval-test"]),
    help="Parts to fetch [default: all the year has].",
)
@click.option("--machine", "machines", multiple=True, help="Only these machine types.")
@click.option("--mirror", default=None, help="Base URL of a Zenodo mirror (testing, caches).")
@click.option(
    "--list",
    "listing",
    is_flag=True,
    help="Only list the archives it would fetch, with their sizes, and fetch nothing.",
)
def download_command(
    dataset: str,
    target: Path,
    parts: tuple[str, ...],
    machines: tuple[str, ...],
    mirror: str | None,
    listing: bool,
) -> None:
    """Download and unpack DATASET into --to (plain DCASE layout), resuming partial files and
    checking checksums."""
    instance = choose("dataset", dataset).create()
    if not hasattr(instance, "download"):
        raise AsdbenchError(f"dataset {dataset!r} cannot be downloaded")
    chosen = {"parts": parts} if parts else {}  # none: every part the year has
    if listing:
        if not hasattr(instance, "archives"):
            raise AsdbenchError(f"dataset {dataset!r} cannot list its archives")
        _list_archives(instance.archives(**chosen, machines=machines, mirror=mirror))
        return
    stop_on_sigterm()
    try:
        root = instance.download(target, **chosen, machines=machines, mirror=mirror)
    except KeyboardInterrupt:
        click.echo(
            "download interrupted; what was received is kept in .part files: run the same "
            "command again to resume",
            err=True,
        )
        sys.exit(130)
    click.echo(f"{dataset} is in {root}; use --data-dir {root}")


def _list_archives(archives: list) -> None:
    """One line per archive (part, name, size as its record states it) and the total."""
    for part, remote in archives:
        size = "size not stated" if remote.size is None else f"{remote.size / 1e9:.2f} GB"
        click.echo(f"{part:<10}  {remote.name:<40}  {size}")
    sizes = [remote.size for _, remote in archives]
    known = sum(size for size in sizes if size is not None)
    unstated = sum(size is None for size in sizes)
    tail = f" ({unstated} archive(s) without a stated size)" if unstated else ""
    click.echo(f"{len(archives)} archive(s), {known / 1e9:.2f} GB{tail}")
