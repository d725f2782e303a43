"""Per-machine figures: ROC curves (official source and target subsets) and score histograms."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from asdbench.clips import ClipTable


def write_figures(table: ClipTable, scores: np.ndarray, folder: Path) -> list[Path]:
    """``roc_<machine>.png`` and ``hist_<machine>.png`` for every machine with labelled test
    clips; returns the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import roc_curve

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    index = {clip.path: i for i, clip in enumerate(table)}
    for machine in dict.fromkeys(clip.machine for clip in table):
        test = [c for c in table.where(machine=machine, split="test") if c.label != "unknown"]
        if not test or len({c.label for c in test}) < 2:
            continue
        values = np.array([scores[index[c.path]] for c in test])
        anomaly = np.array([c.label == "anomaly" for c in test])
        domain = np.array([c.domain for c in test])
        figure, axis = plt.subplots(figsize=(4.5, 4.5))
        for name in ("source", "target"):
            keep = anomaly | (domain == name)
            if (keep & ~anomaly).any():
                fpr, tpr, _ = roc_curve(anomaly[keep], values[keep])
                axis.plot(fpr, tpr, label=f"{name} normals + all anomalies")
        axis.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
        axis.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC: {machine}")
        axis.legend(loc="lower right", fontsize=8)
        written.append(folder / f"roc_{machine}.png")
        figure.savefig(written[-1], dpi=80, bbox_inches="tight")
        plt.close(figure)
        figure, axis = plt.subplots(figsize=(5, 3.5))
        bins = np.histogram_bin_edges(values, bins=30)
        for name in ("source", "target"):
            for label, is_anomaly in (("normal", False), ("anomaly", True)):
                chosen = values[(domain == name) & (anomaly == is_anomaly)]
                if len(chosen):
                    axis.hist(chosen, bins=bins, alpha=0.45, label=f"{name} {label}")
        axis.set(xlabel="anomaly score", ylabel="clips", title=f"scores: {machine}")
        axis.legend(fontsize=8)
        written.append(folder / f"hist_{machine}.png")
        figure.savefig(written[-1], dpi=80, bbox_inches="tight")
        plt.close(figure)
    return written
