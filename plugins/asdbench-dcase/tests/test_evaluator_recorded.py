"""``asdbench evaluate`` against the official DCASE2023 evaluator's own output: the evaluator
(nttcslab/dcase2023_task2_evaluator, the commit and library versions named in the recording)
was run once by scripts/record_dcase2023_evaluator.py on a made-up submission of the seven
eval machine types (unbalanced sections, tied scores in one), and its result CSV recorded."""

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.testing import write_ground_truth_csv

RECORDED = json.loads((Path(__file__).parent / "recorded" / "dcase2023_evaluator.json").read_text())
#: The evaluator's per-section columns and the names asdbench gives the same figures.
COLUMNS = {
    "AUC (all)": "auc_all",
    "AUC (source)": "auc_source",
    "AUC (target)": "auc_target",
    "pAUC": "pauc",
    "precision (source)": "precision_source",
    "precision (target)": "precision_target",
    "recall (source)": "recall_source",
    "recall (target)": "recall_target",
    "F1 score (source)": "f1_source",
    "F1 score (target)": "f1_target",
}


def evaluator_figures() -> tuple[dict[str, dict[str, float]], float]:
    """Each machine type's section-00 row and the official score, from the result CSV."""
    rows = list(csv.reader(RECORDED["result_csv"].splitlines()))
    sections, official = {}, None
    for number, row in enumerate(rows):
        if row and row[0] == "section":
            machine = rows[number - 1][0]
            values = rows[number + 1]
            sections[machine] = {
                COLUMNS[name]: float(value) for name, value in zip(row[1:], values[1:], strict=True)
            }
        if row and row[0] == "official score":
            official = float(row[2])
    return sections, official


def write_submission(root: Path) -> tuple[Path, Path]:
    ground_truth, system = root / "gt", root / "system"
    system.mkdir()
    for machine, section in RECORDED["sections"].items():
        files = section["files"]
        write_ground_truth_csv(
            ground_truth, "data", machine, "00", zip(files, section["labels"], strict=True)
        )
        write_ground_truth_csv(
            ground_truth, "domain", machine, "00", zip(files, section["domains"], strict=True)
        )
        for kind, values in (("anomaly_score", "scores"), ("decision_result", "decisions")):
            (system / f"{kind}_{machine}_section_00_test.csv").write_text(
                "".join(
                    f"{name},{value!r}\n"
                    for name, value in zip(files, section[values], strict=True)
                )
            )
    return ground_truth, system


def test_the_recording_names_the_evaluator_and_its_libraries():
    assert RECORDED["evaluator"] == "nttcslab/dcase2023_task2_evaluator"
    assert set(RECORDED["versions"]) == {"python", "numpy", "scipy", "scikit-learn"}
    sections, official = evaluator_figures()
    assert len(sections) == 7 and official is not None


def test_evaluate_gives_the_official_evaluators_figures_to_the_last_digits(tmp_path):
    ground_truth, system = write_submission(tmp_path)
    result = CliRunner().invoke(
        cli,
        ["evaluate", str(system), "--dataset", "dcase2023", "--ground-truth", str(ground_truth),
         "--format", "json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)["eval"]
    expected, official = evaluator_figures()
    found = {section["machine"]: section for section in report["sections"]}
    assert set(found) == set(expected)
    for machine, figures in expected.items():
        for name, value in figures.items():
            assert found[machine][name] == pytest.approx(100 * value, abs=1e-10), (machine, name)
    assert report["official_score"] == pytest.approx(100 * official, abs=1e-10)  # percent
