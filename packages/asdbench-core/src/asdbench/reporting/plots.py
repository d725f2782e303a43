"""Figures: per section of a trial, ROC curves with their AUCs and score histograms; across
cells, a metric against a varying setting (the AdaProj paper's Figure 2) and ensembles against
their single trials (Figure 3).

Sizes are chosen to read on a laptop screen: 6 x 5 inches at 140 dpi (840 x 700 pixels), text
at 11 points. Labels are the metrics' display labels (:data:`asdbench.scoring.metrics.METRICS`).
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from asdbench.data.clips import ClipTable
from asdbench.files import atomic_file
from asdbench.reporting.tables import percent
from asdbench.scoring.metrics import label, section_metrics

DPI = 140
SIZE = (6.0, 5.0)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 11, "axes.titlesize": 12, "legend.fontsize": 10})
    return plt


def _save(figure: Any, path: Path, description: str = "") -> Path:
    """Write ``figure`` as PNG; ``description`` (what the figure states, e.g. its legend) goes
    into the file's Description text field, for tools and tests that read figures back."""
    with atomic_file(path, "wb") as out:
        figure.savefig(
            out, format="png", dpi=DPI, bbox_inches="tight", metadata={"Description": description}
        )
    figure.clear()
    _pyplot().close(figure)
    return path


def write_section_figures(table: ClipTable, scores: np.ndarray, folder: Path) -> list[Path]:
    """``roc_<machine>_section_<SS>.png`` (the official AUC (source) and AUC (target) subsets
    and all clips, each AUC in the legend) and ``hist_<machine>_section_<SS>.png`` for every
    section with labelled test clips of both kinds; returns the files written."""
    from sklearn.metrics import roc_curve

    plt = _pyplot()
    grouped: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for i, clip in enumerate(table):
        if clip.split == "test" and clip.label != "unknown" and clip.domain != "unknown":
            grouped[(clip.partition, clip.machine, clip.section)].append(i)
    written = []
    for (partition, machine, section), indices in sorted(grouped.items()):
        values = scores[indices]
        anomaly = np.array([table[i].label == "anomaly" for i in indices])
        target = np.array([table[i].domain == "target" for i in indices])
        if anomaly.all() or not anomaly.any():
            continue
        metrics = section_metrics(values, anomaly.astype(int), target.astype(int))
        name = f"{machine}_section_{section}"
        figure, axis = plt.subplots(figsize=(SIZE[1], SIZE[1]))
        subsets = (
            ("auc_source", anomaly | ~target),
            ("auc_target", anomaly | target),
            ("auc_all", np.ones_like(anomaly)),
        )
        for key, keep in subsets:
            if (keep & ~anomaly).any():
                fpr, tpr, _ = roc_curve(anomaly[keep], values[keep])
                axis.plot(fpr, tpr, label=f"{label(key)} = {percent(metrics[key])}")
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        axis.axvline(0.1, color="grey", linewidth=0.8, linestyle="--")
        axis.text(0.11, 0.5, "FPR 0.1: the pAUC's limit", rotation=90, color="grey", va="center")
        axis.set(
            xlabel="false positive rate",
            ylabel="true positive rate",
            title=f"{machine} section {section} ({partition}): {label('pauc')} "
            f"{percent(metrics['pauc'])}",
        )
        legend = axis.legend(loc="lower right")
        lines = "\n".join(text.get_text() for text in legend.get_texts())
        written.append(_save(figure, folder / f"roc_{name}.png", lines))
        figure, axis = plt.subplots(figsize=SIZE)
        bins = np.histogram_bin_edges(values, bins=30)
        for domain, is_target in (("source", False), ("target", True)):
            for kind, is_anomaly in (("normal", False), ("anomaly", True)):
                chosen = values[(target == is_target) & (anomaly == is_anomaly)]
                if len(chosen):
                    axis.hist(chosen, bins=bins, alpha=0.45, label=f"{domain} {kind}")
        axis.set(
            xlabel="anomaly score",
            ylabel="clips",
            title=f"scores: {machine} section {section} ({partition})",
        )
        axis.legend()
        written.append(_save(figure, folder / f"hist_{name}.png"))
    return written


def _numeric(values: Sequence[str]) -> list[float] | None:
    try:
        return [float(v) for v in values]
    except ValueError:
        return None


def _x_axis(axis: Any, values: Sequence[str], title: str) -> list[float]:
    """Positions for ``values`` (numbers where they are; powers of two on a log2 axis)."""
    numbers = _numeric(values)
    if numbers is None:
        axis.set_xticks(range(len(values)), values, rotation=20, ha="right")
        axis.set_xlabel(title)
        return [float(i) for i in range(len(values))]
    if all(n > 0 and math.log2(n).is_integer() for n in numbers) and len(set(numbers)) > 2:
        axis.set_xscale("log", base=2)
        axis.set_xticks(numbers, [f"{n:g}" for n in numbers])
    axis.set_xlabel(title)
    return numbers


def line_figure(
    series: dict[str, list[tuple[str, float, float]]],
    *,
    x_key: str,
    x_title: str,
    y_title: str,
    title: str,
    path: Path,
    points: dict[str, list[tuple[str, list[float]]]] | None = None,
) -> Path:
    """Lines of (x value, mean, std) per series name, the std as a band and error bars;
    ``points`` adds each series' single values at every x (single trials, as dots). The data
    goes beside the figure as CSV, its x column named ``x_key``; the axis reads ``x_title``
    (also in the PNG's Description, ``x: <title>``)."""
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=SIZE)
    every_x = list(dict.fromkeys(x for entries in series.values() for x, _, _ in entries))
    numbers = _numeric(every_x)
    if numbers is not None:
        every_x = [x for _, x in sorted(zip(numbers, every_x, strict=True))]
    positions = dict(zip(every_x, _x_axis(axis, every_x, x_title), strict=True))
    for name, entries in series.items():
        ordered = sorted(entries, key=lambda e: positions[e[0]])
        xs = [positions[x] for x, _, _ in ordered]
        means = np.array([m for _, m, _ in ordered])
        stds = np.array([s for _, _, s in ordered])
        style = "-" if numbers is not None else "none"
        if np.isnan(stds).all():
            axis.plot(xs, means, marker="o", linestyle=style, label=name)
            continue
        drawn = axis.errorbar(
            xs, means, yerr=np.nan_to_num(stds), marker="o", capsize=3, label=name, linestyle=style
        )
        band = np.nan_to_num(stds)
        axis.fill_between(
            xs, means - band, means + band, alpha=0.15, color=drawn.lines[0].get_color()
        )
    for name, entries in (points or {}).items():
        xs = [positions[x] for x, values in entries for _ in values]
        ys = [v for _, values in entries for v in values]
        axis.scatter(xs, ys, s=14, alpha=0.6, label=name, zorder=3)
    axis.set(ylabel=y_title, title=title)
    axis.grid(alpha=0.3)
    axis.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), frameon=False)
    _write_data(series, points or {}, x_key, path.with_suffix(".csv"))
    return _save(figure, path, f"x: {x_title}")


def _write_data(
    series: dict[str, list[tuple[str, float, float]]],
    points: dict[str, list[tuple[str, list[float]]]],
    x_title: str,
    path: Path,
) -> None:
    """The numbers a comparison figure draws, beside it as CSV (in percent, as MLflow holds
    them)."""
    import csv

    with atomic_file(path) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["series", x_title, "mean", "std", "values"])
        for name, entries in series.items():
            for x, mean, std in entries:
                writer.writerow([name, x, mean, "" if math.isnan(std) else std, ""])
        for name, entries in points.items():
            for x, values in entries:
                writer.writerow([name, x, "", "", " ".join(repr(v) for v in values)])


def _series_names(cells: list[Any], key: str | None) -> dict[str, str]:
    """A name per cell for its line: the components, and the settings other than ``key``
    that differ among the cells (the same rule as the leaderboard's columns)."""
    from asdbench.reporting.leaderboard.board import differing_settings
    from asdbench.reporting.leaderboard.publish import run_name

    settings = [s for s in differing_settings(cells) if s != key]
    return {cell.run_id: run_name(cell, settings) for cell in cells}


def setting_title(key: str, cells: list[Any]) -> str:
    """The x axis of a figure against setting ``key`` (``loss.subspace_dim``): the name its
    declaration gives it (the description's words before a colon: "Subspace dimension J"),
    then the key; the key alone where the component is not installed or gives no name."""
    from asdbench.errors import AsdbenchError
    from asdbench.registry.components import get
    from asdbench.training.settings import train_options

    kind, _, option = key.partition(".")
    try:
        if kind == "train":
            described = train_options()[option].description
        else:
            component = get(kind, cells[0].params[f"{kind}.name"])
            described = {o.name: o.description for o in component.options()}[option]
    except (AsdbenchError, KeyError, IndexError):
        return key
    name, colon, _ = described.partition(":")
    return f"{name} ({key})" if colon and len(name) <= 40 else key


def comparison_figures(
    cells: list[Any],
    *,
    key: str | None,
    metric: str,
    std: str,
    ensemble: bool,
    folder: Path,
) -> list[tuple[str, Path]]:
    """Per dataset and partition, ``metric`` (mean ± std over each cell's trials) against
    setting ``key`` (the paper's Figure 2), or against the cells themselves when ``key`` is
    None. With ``ensemble``, each cell's single trials are dots and its ensemble a line of its
    own (Figure 3). ``cells`` are complete cells (leaderboard ``Cell`` records). Returns
    (dataset, file) of every figure."""
    from asdbench.scoring.statistics import STD, over_trials

    ddof = STD[std][0]
    names = _series_names(cells, key)
    groups: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for cell in cells:
        for partition in cell.partitions:
            groups[(cell.shown_dataset, partition)].append(cell)
    written = []
    for (dataset, partition), members in sorted(groups.items()):
        series: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
        points: dict[str, list[tuple[str, list[float]]]] = defaultdict(list)
        for cell in members:
            x = cell.params[key] if key else names[cell.run_id]
            values = [t.get(f"{partition}/{metric}", math.nan) for t in cell.trials]
            summary = over_trials(values, ddof)
            line = names[cell.run_id] if key else "cells"
            if ensemble:
                series[f"{line}: single trials (mean ± {std} std)"].append(
                    (x, summary.mean, summary.std)
                )
                points[f"{line}: single trials"].append((x, values))
                value = cell.ensemble_scores.get(f"{partition}/{metric}", math.nan)
                series[f"{line}: ensemble ({cell.ensemble})"].append((x, value, math.nan))
            else:
                series[line].append((x, summary.mean, summary.std))
        stem = f"{'ensemble_' if ensemble else ''}{metric}" + (f"_vs_{key}" if key else "")
        written.append(
            (
                dataset,
                line_figure(
                    dict(series),
                    x_key=key or "cell",
                    x_title=setting_title(key, members) if key else "cell",
                    y_title=f"{partition} {label(metric)} (%)",
                    title=f"{dataset} {partition}: {label(metric)}"
                    + (" of ensembles and single trials" if ensemble else f" (mean ± {std} std)"),
                    path=folder / f"{stem}_{_slug(dataset)}_{partition}.png",
                    points=dict(points) if ensemble else None,
                ),
            )
        )
    return written


def _slug(dataset: str) -> str:
    """A dataset's name in a file name: ``dcase2023 (fan+valve only)`` ->
    ``dcase2023-fan+valve-only``."""
    return re.sub(r"[^A-Za-z0-9_.+]+", "-", dataset).strip("-")
