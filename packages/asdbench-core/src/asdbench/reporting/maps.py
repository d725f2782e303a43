"""2-D maps of a trial's embeddings, one per machine type: its training and test clips (not the
supplemental ones), coloured by domain and marked by split and label, to see why a system fails
on the target domain (target test clips far from every target training clip, anomalies among
the normal clips...).

The projection is UMAP (cosine metric) where ``umap-learn`` is installed, else scikit-learn's
PCA; t-SNE is there on request. Each map is a PNG with its coordinates beside it in a CSV
(``map_<machine>.png``, ``map_<machine>.csv``).
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import numpy as np

from asdbench.backends.builtin import unit_rows
from asdbench.data.clips import ClipTable
from asdbench.files import atomic_file
from asdbench.reporting.plots import _pyplot, _save

METHODS = ("auto", "umap", "pca", "tsne")
#: Colour per domain and marker per (split, label): train clips small, anomalies crosses.
COLOURS = {"source": "tab:blue", "target": "tab:orange", "unknown": "tab:gray"}
MARKERS = {
    ("train", "normal"): (".", 12, "train"),
    ("test", "normal"): ("o", 22, "test normal"),
    ("test", "anomaly"): ("x", 30, "test anomalous"),
    ("test", "unknown"): ("+", 26, "test, label unknown"),
}


def projection(method: str = "auto") -> str:
    """The projection ``method`` stands for: ``auto`` is UMAP where umap-learn is installed
    (a module ``umap`` with ``UMAP``: PyPI's unrelated ``umap`` package has none), else PCA."""
    if method not in METHODS:
        raise ValueError(f"the map projection must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "auto":
        return "umap" if _has_umap() else "pca"
    return method


def _has_umap() -> bool:
    if importlib.util.find_spec("umap") is None:
        return False
    import umap

    return hasattr(umap, "UMAP")


def project(embeddings: np.ndarray, method: str, seed: int = 0) -> np.ndarray:
    """[N, 2] coordinates of the L2-normalised ``embeddings``."""
    x = unit_rows(embeddings)
    if method == "umap":
        import umap

        neighbours = min(15, len(x) - 1)
        return umap.UMAP(n_neighbors=neighbours, metric="cosine", random_state=seed).fit_transform(
            x
        )
    if method == "tsne":
        from sklearn.manifold import TSNE

        perplexity = min(30.0, (len(x) - 1) / 3)
        return TSNE(perplexity=perplexity, init="pca", random_state=seed).fit_transform(x)
    from sklearn.decomposition import PCA

    return PCA(n_components=2).fit_transform(x)


def write_embedding_maps(
    table: ClipTable,
    embeddings: np.ndarray,
    folder: Path,
    *,
    method: str = "auto",
    seed: int = 0,
) -> list[Path]:
    """One map per machine type with at least 3 training and test clips; the PNG paths."""
    chosen = projection(method)
    plt = _pyplot()
    written = []
    machines = sorted({c.machine for c in table})
    for machine in machines:
        rows = [
            i for i, c in enumerate(table) if c.machine == machine and c.split in ("train", "test")
        ]
        if len(rows) < 3:
            continue
        points = project(embeddings[rows], chosen, seed)
        clips = [table[i] for i in rows]
        with atomic_file(folder / f"map_{machine}.csv") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["file", "partition", "section", "split", "domain", "label", "x", "y"])
            for clip, (px, py) in zip(clips, points, strict=True):
                writer.writerow(
                    [clip.file, clip.partition, clip.section, clip.split, clip.domain,
                     clip.label, repr(float(px)), repr(float(py))]
                )  # fmt: skip
        figure, axes = plt.subplots(figsize=(6.0, 5.0))
        shown = []
        for (split, labelled), (marker, size, name) in MARKERS.items():
            for domain, colour in COLOURS.items():
                mask = np.array(
                    [c.split == split and c.label == labelled and c.domain == domain for c in clips]
                )
                if mask.any():
                    axes.scatter(*points[mask].T, marker=marker, s=size, c=colour, alpha=0.8,
                                 label=f"{domain} {name}")  # fmt: skip
                    shown.append(f"{domain} {name}: {int(mask.sum())}")
        axes.set_title(f"{machine}: {chosen.upper()} of the embeddings ({len(rows)} clips)")
        axes.set_xticks([])
        axes.set_yticks([])
        axes.legend(loc="best", fontsize=8)
        written.append(_save(figure, folder / f"map_{machine}.png", "; ".join(shown)))
    return written
