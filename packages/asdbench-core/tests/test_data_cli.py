"""``asdbench data``: table, info, synth and errors, as a user runs them."""

import csv
import io
import json

import pytest
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.data.clips import TABLE_COLUMNS
from asdbench.testing.trees import write_clips, write_ground_truth_csv


@pytest.fixture(autouse=True)
def _tree(tree_dataset):
    """The ``tree`` dataset plugin (conftest) for every test here."""


def make_tree(root):
    write_clips(
        root / "dev_data/fan/train",
        [
            "section_00_source_train_normal_0000_m-n_W.wav",
            "section_00_target_train_normal_0000_m-n_Y.wav",
        ],
    )
    write_clips(root / "dev_data/fan/test", ["section_00_target_test_anomaly_0003_m-n_Y.wav"])
    write_clips(root / "eval_data/shaker/test", ["section_00_0000.wav"])
    truth = root / "gt"
    write_ground_truth_csv(truth, "data", "shaker", "00", [("section_00_0000.wav", 1)])
    write_ground_truth_csv(truth, "domain", "shaker", "00", [("section_00_0000.wav", 1)])
    return truth


def invoke(*args):
    return CliRunner().invoke(cli, list(map(str, args)))


def test_table_csv_has_exactly_the_documented_columns(tmp_path):
    truth = make_tree(tmp_path)
    result = invoke(
        "data", "table", "--dataset", "tree", "--data-dir", tmp_path, "--ground-truth", truth
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert tuple(rows[0]) == TABLE_COLUMNS
    assert rows == [
        {
            "file": "section_00_target_test_anomaly_0003_m-n_Y.wav",
            "partition": "dev",
            "machine": "fan",
            "section": "00",
            "domain": "target",
            "split": "test",
            "label": "anomaly",
            "attributes": "m-n=Y",
            "class": "fan_00###m-n_Y###target",
        },
        {
            "file": "section_00_source_train_normal_0000_m-n_W.wav",
            "partition": "dev",
            "machine": "fan",
            "section": "00",
            "domain": "source",
            "split": "train",
            "label": "normal",
            "attributes": "m-n=W",
            "class": "fan_00###m-n_W###source",
        },
        {
            "file": "section_00_target_train_normal_0000_m-n_Y.wav",
            "partition": "dev",
            "machine": "fan",
            "section": "00",
            "domain": "target",
            "split": "train",
            "label": "normal",
            "attributes": "m-n=Y",
            "class": "fan_00###m-n_Y###target",
        },
        {
            "file": "section_00_0000.wav",
            "partition": "eval",
            "machine": "shaker",
            "section": "00",
            "domain": "target",
            "split": "test",
            "label": "anomaly",
            "attributes": "",
            "class": "",
        },
    ]


def test_table_json_and_class_options(tmp_path):
    make_tree(tmp_path)
    result = invoke(
        "data",
        "table",
        "--dataset",
        "tree",
        "--data-dir",
        tmp_path,
        "--format",
        "json",
        "--set",
        "dataset.class_attributes=false",
        "--set",
        "dataset.class_domain=no",
    )
    records = json.loads(result.output)
    assert {r["class"] for r in records} == {"fan_00", ""}
    assert records[-1]["domain"] == "unknown"  # no ground truth given


def test_info_text_lists_counts_classes_and_problems(tmp_path):
    make_tree(tmp_path)
    write_clips(tmp_path / "dev_data/fan/train", ["section_00_source_train_normal_0009_odd.wav"])
    result = invoke("data", "info", "--dataset", "tree", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert "dataset tree: 5 clips" in result.output
    assert "dev       fan          00  train source  normal   2" in result.output
    assert "fan_00###m-n_W###source" in result.output
    assert "odd number of attribute tokens" in result.output


def test_data_errors_are_one_line_with_status_2(tmp_path):
    for args, message in [
        (["--data-dir", tmp_path / "missing"], "missing: no such folder"),
        (["--data-dir", tmp_path], "no DCASE layout found"),
        (["--dataset", "nope"], "unknown dataset 'nope'"),
        (
            ["--dataset", "synthetic", "--set", "dataset.size=huge"],
            "option 'size' must be 'tiny'|'small'|'bench'|'full'",
        ),
        (["--set", "loss.x=1"], "data commands take dataset.* options only"),
        ([], "dataset 'tree' needs --data-dir"),
    ]:
        result = invoke(
            "data", "info", *(["--dataset", "tree"] if "--dataset" not in args else []), *args
        )
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_synth_writes_the_tree(tmp_path):
    result = invoke("data", "synth", "--out", tmp_path / "s", "--size", "tiny", "--seed", "3")
    assert result.exit_code == 0, result.output
    assert (
        tmp_path / "s/ground_truth/ground_truth_data/ground_truth_valve_section_00_test.csv"
    ).exists()
    assert len(list((tmp_path / "s/dev_data/rotor/train").iterdir())) == 20
