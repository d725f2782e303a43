"""Figures: one ROC figure per section (DCASE2022 puts dev and eval sections under one machine
name), the AUCs in its legend equal to pair counting, at a size that reads on a laptop."""

import numpy as np
import pytest
from PIL import Image

from asdbench.data.layout import read_tree
from asdbench.reporting.plots import write_section_figures
from asdbench.synthetic import Synthetic2022Dataset, ensure_tree


def pair_auc(labels, scores):
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None]).sum() + 0.5 * (
        positives[:, None] == negatives[None]
    ).sum()
    return wins / (len(positives) * len(negatives))


def test_each_section_has_its_roc_figure_with_its_aucs(tmp_path):
    dataset = Synthetic2022Dataset(size="tiny")
    root = ensure_tree(tmp_path / "tree", dataset.plan, progress=False)
    table = read_tree(root, dataset="synthetic2022", ground_truth=root / "ground_truth")
    rng = np.random.default_rng(0)
    anomaly = np.array([c.label == "anomaly" for c in table])
    scores = rng.normal(size=len(table)) + anomaly
    written = write_section_figures(table, scores, tmp_path / "plots")
    names = sorted(p.name for p in written)
    # Machine "rotor" has dev section 00 and eval section 03: a figure for each.
    assert {"roc_rotor_section_00.png", "roc_rotor_section_03.png"} <= set(names)
    assert len([n for n in names if n.startswith("roc_")]) == 4  # 2 machines x 2 sections
    for path in written:
        if not path.name.startswith("roc_"):
            continue
        _, machine, _, section = path.stem.split("_")
        picked = [
            i
            for i, c in enumerate(table)
            if c.machine == machine and c.section == section and c.split == "test"
        ]
        labels = anomaly[picked].astype(int)
        target = np.array([table[i].domain == "target" for i in picked])
        values = scores[picked]
        expected = {
            "AUC (source)": pair_auc(
                labels[~target | (labels == 1)], values[~target | (labels == 1)]
            ),
            "AUC (target)": pair_auc(
                labels[target | (labels == 1)], values[target | (labels == 1)]
            ),
            "AUC (all)": pair_auc(labels, values),
        }
        with Image.open(path) as image:
            assert image.width >= 600 and image.height >= 600
            legend = dict(line.split(" = ") for line in image.info["Description"].splitlines())
        assert {k: float(v) for k, v in legend.items()} == pytest.approx(
            {k: round(100 * v, 2) for k, v in expected.items()}, abs=0.006
        )
