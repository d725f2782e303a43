"""Every year's path on data that needs no download: the synthetic dataset laid out as each year
writes it (``--set dataset.layout=dcase20XX``), read back by that year's reader, scored by its
rule, written in its evaluator's submission form, and evaluated from that form to the same
figures. (Each year's figures are checked against its evaluator's definition, by hand, in its
own tests.)"""

import csv
import json
import re

import pytest
from click.testing import CliRunner

from asdbench.cli import cli

#: The submission file names of each year's evaluator.
SUBMISSION = {
    "dcase2020": r"anomaly_score_[a-z]+_id_\d\d\.csv",
    "dcase2021": r"(anomaly_score|decision_result)_[a-z]+_section_\d\d_(source|target)_test\.csv",
    **{
        f"dcase{year}": r"(anomaly_score|decision_result)_[a-z]+_section_\d\d_test\.csv"
        for year in range(2022, 2027)
    },
}


@pytest.mark.slow
@pytest.mark.parametrize("year", sorted(SUBMISSION))
def test_the_synthetic_dataset_runs_in_every_years_layout(
    tmp_path, mlflow_tracking, asdbench_cache, year
):
    options = ["--set", "dataset.size=tiny", "--set", f"dataset.layout={year}"]
    args = ["run", *options, "--embedder", "logmel_stats", "--quiet"]  # core and this plugin
    args += ["--output", str(tmp_path / "out")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"eval official score ({year} rule):" in result.output
    system = next((tmp_path / "out" / "submission" / "asdbench").iterdir())
    names = sorted(p.name for p in system.iterdir())
    assert names and all(re.fullmatch(SUBMISSION[year], name) for name in names), names
    emitted = next(asdbench_cache.glob(f"synthetic/*-{year}"))
    if year == "dcase2021":
        assert (emitted / "eval_data" / "valve" / "target_test").is_dir()
        assert (emitted / "ground_truth" / "ground_truth_data").is_dir()
    if year == "dcase2020":
        assert (emitted / "ground_truth" / "eval_data_list.csv").is_file()
    with open(tmp_path / "out" / "results.csv") as f:
        ran = list(csv.DictReader(f))
    evaluated = CliRunner().invoke(
        cli, ["evaluate", str(system), "--dataset", "synthetic", *options, "--format", "json"]
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    scored = {
        (p, s["machine"], s["section"]): s["auc_all"] for p in report for s in report[p]["sections"]
    }
    sections = [row for row in ran if (row["partition"], row["machine"], row["section"]) in scored]
    assert len(sections) == len(scored) == 4  # two machine types a partition, one section each
    for row in sections:
        assert scored[(row["partition"], row["machine"], row["section"])] == pytest.approx(
            float(row["auc_all"])
        )
    assert report["eval"]["rule"] == year


def test_data_info_and_table_work_for_every_year(asdbench_cache):
    """``asdbench data info`` and ``data table`` on each year's layout: the same clips, in the
    year's names, with labels from the year's ground truth."""
    counts = None
    for year in sorted(SUBMISSION):
        options = ["--set", "dataset.size=tiny", "--set", f"dataset.layout={year}"]
        info = CliRunner().invoke(cli, ["data", "info", *options, "--json"])
        assert info.exit_code == 0, info.output
        report = json.loads(info.stdout)
        assert report["problems"] == []
        table = CliRunner().invoke(cli, ["data", "table", *options, "--format", "csv"])
        assert table.exit_code == 0, table.output
        rows = list(csv.DictReader(table.stdout.splitlines()))
        eval_test = [r for r in rows if r["partition"] == "eval" and r["split"] == "test"]
        assert eval_test and all(r["label"] in ("normal", "anomaly") for r in eval_test)
        if year == "dcase2020":
            assert {r["domain"] for r in rows} == {"source"}
            assert all(re.fullmatch(r"id_\d\d_\d{8}\.wav", r["file"]) for r in eval_test)
            continue
        if year == "dcase2021":
            assert all(re.fullmatch(r"section_\d\d_(source|target)_test_\d{4}\.wav", r["file"])
                       for r in eval_test)  # fmt: skip
        same = sorted(
            (r["partition"], r["machine"], r["domain"], r["split"], r["label"]) for r in rows
        )
        counts = counts or same
        assert same == counts  # every year with domains holds the same clips
