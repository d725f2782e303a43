"""One name, one number: every output format of every table (run / evaluate / ensemble results,
the leaderboard in both layouts, the MLflow keys, docs/metrics.md) is rendered, each column's
label is paired with the metric key of the same column, and no label may stand for two keys
(nor a key carry two labels)."""

import csv
import io
import json
import re
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from asdbench import ScoreRule
from asdbench.pipeline.cells import aggregate_trials
from asdbench.reporting.leaderboard.board import DOMAIN_COLUMNS, build
from asdbench.reporting.leaderboard.records import LoggedCell
from asdbench.reporting.leaderboard.render import render_leaderboard
from asdbench.reporting.tables import render
from asdbench.scoring.metrics import (
    METRICS,
    OVER_TRIALS,
    ScoredSection,
    describe,
    evaluate_sections,
)
from asdbench.scoring.scores import metric_values
from asdbench.scoring.statistics import STD

ROOT = Path(__file__).resolve().parents[1]


def results(seed):
    rng = np.random.default_rng(seed)
    sections = []
    for machine in ("fan", "pump"):
        labels = np.array([0] * 12 + [1] * 8)
        domains = np.array([0, 1] * 10)
        scores = rng.normal(size=20) + labels
        sections.append(
            ScoredSection(machine, "00", [f"{i}.wav" for i in range(20)], scores, labels, domains)
        )
    return evaluate_sections(sections, ScoreRule("dcase2023"))


def text_header(rendered):
    """The first table header of a text or Markdown rendering, split into columns."""
    for line in rendered.splitlines():
        if line.startswith("|"):
            return [c.strip() for c in line.strip("|").split("|")]
        if line.startswith(("machine", "dataset")):
            return re.split(r"\s{2,}", line.strip())
    raise AssertionError(rendered)


def pairs_of_results():
    report = {"dev": results(0), "eval": results(1)}
    keys = next(csv.reader(io.StringIO(render(report, "csv"))))
    keys = [k for k in keys if k in METRICS and k != "official_score"]
    found = []
    for fmt in ("text", "markdown"):
        rendered = render(report, fmt)
        labels = text_header(rendered)[2:]
        found += list(zip(labels, keys, strict=True))
        assert "dev official score (dcase2023 rule)" in rendered
        found.append(("official score", "official_score"))
    for partition, values in json.loads(render(report, "json")).items():
        assert set(values) - {"rule", "sections"} <= set(METRICS), partition
    return found


def cells():
    made = []
    for number, (dataset, j) in enumerate(
        [("dcase2022", "16"), ("dcase2023", "16"), ("dcase2023", "32")]
    ):
        trials = [
            {f"{p}/{m}": 0.5 + 0.01 * (number + t) for p in ("dev", "eval") for m in METRICS}
            for t in range(3)
        ]
        params = {
            "loss.name": "adaproj",
            "embedder.name": "dual_branch",
            "backend.name": "kmeans",
            "dataset.name": dataset,
            "loss.subspace_dim": j,
            "trials": "3",
        }
        made.append(
            LoggedCell(
                f"run{number}",
                f"asdbench-{dataset}",
                dataset,
                "cell",
                "FINISHED",
                params,
                3,
                trials,
                "mean",
                {"dev/official_score": 0.6, "eval/official_score": 0.7},
            )
        )
    return made


def pairs_of_leaderboards():
    found = []
    for layout in DOMAIN_COLUMNS:
        for std, (_, suffix) in STD.items():
            board = build(cells(), store="sqlite:///x.db", layout=layout, std=std)
            assert board.means, "the mean-over-datasets block is rendered too"
            header = next(csv.reader(io.StringIO(render_leaderboard(board, "csv"))))
            keys = [k.removesuffix("_mean") for k in header if k.endswith("_mean")]
            assert [k for k in header if k.endswith(f"_{suffix}")] == [
                f"{k}_{suffix}" for k in keys
            ]
            for fmt in ("text", "markdown"):
                labels = text_header(render_leaderboard(board, fmt))
                start = labels.index("trials") + 1
                found += list(zip(labels[start : start + len(keys)], keys, strict=True))
                assert labels[start + len(keys) :] == ["ensemble", "ensemble official score"]
            document = json.loads(render_leaderboard(board, "json"))
            for row in document["cells"] + document["means_over_datasets"]:
                named = {k for k in row if k.endswith(("_mean", f"_{suffix}"))}
                assert {k.rsplit("_", 1)[0] for k in named} == set(keys)
    return found


def pairs_of_docs():
    """docs/metrics.md's table: | `key` | label | clips | ..."""
    text = (ROOT / "docs" / "metrics.md").read_text()
    found = re.findall(r"^\| `([a-z0-9_]+)` \| ([^|]+?) \|", text, flags=re.MULTILINE)
    assert {key for key, _ in found} == set(METRICS), "docs/metrics.md lists every metric"
    return [(label, key) for key, label in found]


def test_no_label_stands_for_two_metric_keys():
    pairs = pairs_of_results() + pairs_of_leaderboards() + pairs_of_docs()
    keys_of, labels_of = defaultdict(set), defaultdict(set)
    for label, key in pairs:
        keys_of[label].add(key)
        labels_of[key].add(label)
    assert {label: keys for label, keys in keys_of.items() if len(keys) > 1} == {}
    assert {key: labels for key, labels in labels_of.items() if len(labels) > 1} == {}
    # The official domain AUCs and the own-domain ones are all there, apart.
    assert {"auc_source", "auc_source_own", "pauc_source_own", "auc_target_own"} <= set(labels_of)


def test_every_mlflow_key_has_a_label_of_its_own():
    report = {"dev": results(0), "eval": results(1)}
    trial_keys = metric_values(report)
    ensemble_keys = metric_values(report, prefix="ensemble/")

    class Trial:
        def __init__(self, seed):
            self.results = {"dev": results(seed), "eval": results(seed + 1)}

    parent_keys = aggregate_trials([Trial(0), Trial(2)])
    keys = [*trial_keys, *ensemble_keys, *parent_keys]
    assert any(k.endswith("_std") for k in parent_keys)
    labels = [describe(key) for key in keys]
    assert len(set(labels)) == len(set(keys))
    assert describe("eval/official_score_mean") == "eval official score (mean over trials)"
    assert describe("ensemble/dev/auc_source_own/fan_00") == (
        "dev AUC (source-only) (ensemble, fan section 00)"
    )
    assert set(OVER_TRIALS) >= {"_" + k.rsplit("_", 1)[1] for k in parent_keys}


@pytest.mark.parametrize("key", sorted(METRICS))
def test_docs_name_each_metric_as_the_code_does(key):
    text = (ROOT / "docs" / "metrics.md").read_text()
    assert f"| `{key}` | {METRICS[key].label} |" in text
