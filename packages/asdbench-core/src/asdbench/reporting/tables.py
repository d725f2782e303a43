"""The results tables of ``run``, ``evaluate`` and ``ensemble``: per partition, one row per
machine and section (the metrics the dataset's rule pools or averages, then AUC (all): AUC
(source), AUC (target), pAUC for 2022-2026, each domain's own AUC and pAUC for 2021, AUC (all)
and pAUC for 2020), their harmonic means, each machine type's arithmetic means where the rule
reports them (2020) and the partition's official score, as text, CSV, JSON or Markdown.

Partitions are never pooled: each has its own table and its own official score. Text and
Markdown show labels (``metrics.METRICS``), CSV and JSON show keys, in the same column order.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

from asdbench.data.score_rule import ScoreRule
from asdbench.files import write_atomically
from asdbench.scoring.metrics import DOMAIN_INDEPENDENT, Results, in_percent, label

FORMATS = ("text", "csv", "json", "markdown")
#: The row that holds the harmonic means over sections and the official score.
SUMMARY_ROW = "harmonic mean"
#: The section column of a machine type's row of arithmetic means (2020's figures).
MACHINE_MEAN_ROW = "arithmetic mean"


def percent(value: float) -> str:
    """A metric (computed as a fraction of 1) in percent with two decimals, or ``-`` when
    undefined."""
    return figure(in_percent(value))


def figure(value: float) -> str:
    """A figure already in percent (as MLflow, JSON and CSV hold it) with two decimals, or
    ``-`` when undefined."""
    return "-" if math.isnan(value) else f"{value:.2f}"


def official_line(partition: str, results: Results) -> str:
    """``eval official score (dcase2023 rule): 75.22`` (``(dcase2023 rule, on fan+valve
    only)`` for a subset of the machine types); for a rule without a single official score,
    says so."""
    head = f"{partition} {label('official_score')} ({results.rule.label})"
    if not results.rule.pooled:
        means = " and ".join(label(m) for m in results.rule.machine_means)
        return (
            f"{head}: none; the rule's figures are each machine type's arithmetic mean of {means}"
        )
    return f"{head}: {percent(results.official_score())}"


def columns(rule: ScoreRule) -> tuple[str, ...]:
    """The section columns under ``rule``: the metrics it pools or averages, then AUC (all)."""
    named = tuple(dict.fromkeys((*rule.pooled, *rule.machine_means)))
    return (*named, *(c for c in DOMAIN_INDEPENDENT if c not in named))


def _rows(results: Results) -> list[list[str]]:
    shown = columns(results.rule)
    rows = [
        [s.machine, s.section, *(percent(s.metrics.get(c, math.nan)) for c in shown)]
        for s in results.sections
    ]
    for machine, means in results.machine_means().items():
        rows.append([machine, MACHINE_MEAN_ROW, *(percent(means.get(c, math.nan)) for c in shown)])
    summary = results.summary()
    rows.append([SUMMARY_ROW, "", *(percent(summary.get(c, math.nan)) for c in shown)])
    return rows


def _csv(results: dict[str, Results]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # the partitions of one results file come from one dataset, so share its rule
    shown = columns(next(iter(results.values())).rule) if results else ()
    writer.writerow(["partition", "machine", "section", "official_score", *shown])
    for partition, result in results.items():
        for s in result.sections:
            writer.writerow([partition, s.machine, s.section, "", *_cells(s.metrics, shown)])
        for machine, means in result.machine_means().items():
            writer.writerow([partition, machine, MACHINE_MEAN_ROW, "", *_cells(means, shown)])
        summary = result.summary()
        official = _cells(summary, ("official_score",))
        writer.writerow([partition, SUMMARY_ROW, "", *official, *_cells(summary, shown)])
    return buffer.getvalue()


def _cells(metrics: dict[str, float], keys: tuple[str, ...]) -> list[float | str]:
    """CSV cells: each metric in percent, empty when absent or undefined."""
    values = [metrics.get(k, math.nan) for k in keys]
    return ["" if math.isnan(v) else in_percent(v) for v in values]


def _table(partition: str, results: Results, fmt: str, title: str) -> str:
    shown = columns(results.rule)
    header = ["machine", "section", *(label(c) for c in shown)]
    rows = _rows(results)
    if fmt == "markdown":
        lines = [f"### {title}", ""] if title else []
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * 2 + ["---:"] * len(shown)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([*lines, "", f"**{official_line(partition, results)}**"])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [title] if title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([*lines, official_line(partition, results)])


def render(results: dict[str, Results], fmt: str = "text", what: str = "") -> str:
    """Every partition's table in one of ``FORMATS``, every figure in percent (two decimals in
    text and Markdown).
    ``what`` completes each partition's title (``eval: <what>``)."""
    if fmt == "json":
        return json.dumps({p: r.as_json() for p, r in results.items()}, indent=1)
    if fmt == "csv":
        return _csv(results)
    tables = [
        _table(partition, result, fmt, f"{partition}: {what}" if what else partition)
        for partition, result in results.items()
    ]
    return "\n\n".join(tables)


RESULTS_FILE = "results.csv"


def write_results(results: dict[str, Results], folder: Path) -> None:
    """``results.csv``: every partition's per-section table, harmonic means, official score."""
    write_atomically(folder / RESULTS_FILE, render(results, "csv"))


def official_summary(results: dict[str, Results]) -> str:
    """``dev official score 66.41, eval official score 75.22``: one line for the log (for a
    rule without one, each machine type's means: ``dev fan AUC (all) 81.20 pAUC 60.10``)."""
    name = label("official_score")
    parts = []
    for partition, result in results.items():
        if result.rule.pooled:
            parts.append(f"{partition} {name} {percent(result.official_score())}")
            continue
        for machine, means in result.machine_means().items():
            figures = " ".join(f"{label(m)} {percent(v)}" for m, v in means.items())
            parts.append(f"{partition} {machine} {figures}")
    return ", ".join(parts)
