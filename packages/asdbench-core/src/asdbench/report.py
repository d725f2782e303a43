"""The results table: per machine and section AUC (source), AUC (target), pAUC and the
domain-independent columns, their harmonic means and the official score, as text, CSV, JSON or
Markdown. Used by ``evaluate``, ``run`` and ``leaderboard``."""

from __future__ import annotations

import csv
import io
import json
import math

from asdbench.metrics import DOMAIN_INDEPENDENT, OFFICIAL, Results

COLUMNS = OFFICIAL + DOMAIN_INDEPENDENT
HEADERS = {
    "auc_source": "AUC (source)",
    "auc_target": "AUC (target)",
    "pauc": "pAUC",
    "auc_all": "AUC (all)",
    "pauc_all": "pAUC (all)",
}
FORMATS = ("text", "csv", "json", "markdown")


def _rows(results: Results) -> list[list[str]]:
    rows = [
        [s.machine, s.section, *(_percent(s.metrics.get(c, math.nan)) for c in COLUMNS)]
        for s in results.sections
    ]
    summary = results.summary()
    rows.append(["harmonic mean", "", *(_percent(summary.get(c, math.nan)) for c in COLUMNS)])
    return rows


def _percent(value: float) -> str:
    return "-" if math.isnan(value) else f"{100 * value:.2f}"


def render(results: Results, fmt: str = "text", title: str = "") -> str:
    """The table in one of ``FORMATS``; values are percentages except in CSV and JSON."""
    if fmt == "json":
        return json.dumps(results.as_json(), indent=1)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["machine", "section", *COLUMNS])
        for s in results.sections:
            writer.writerow([s.machine, s.section, *(s.metrics.get(c, "") for c in COLUMNS)])
        summary = results.summary()
        writer.writerow(["harmonic mean", "", *(summary.get(c, "") for c in COLUMNS)])
        writer.writerow(["official score", "", summary["official_score"]])
        return buffer.getvalue()
    header = ["machine", "section", *(HEADERS[c] for c in COLUMNS)]
    rows = _rows(results)
    official = f"official score ({results.rule}): {_percent(results.official_score())}"
    if fmt == "markdown":
        lines = [f"### {title}", ""] if title else []
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join(["---"] * 2 + ["---:"] * len(COLUMNS)) + "|")
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join([*lines, "", f"**{official}**"])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = [title] if title else []
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join([*lines, official])
