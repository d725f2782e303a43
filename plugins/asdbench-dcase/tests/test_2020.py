"""DCASE2020: machine IDs instead of sections, no domains, its names, its evaluator's files
(``eval_data_list.csv`` ground truth, ``anomaly_score_<machine>_id_<ID>.csv`` submissions), and
a run end to end whose figures, AUC and pAUC per machine ID and their arithmetic means per
machine type, are checked against the evaluator's definition computed here by hand."""

import csv
import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

import asdbench
from asdbench.cli import cli
from asdbench.testing import write_clips, write_wav
from asdbench_dcase.datasets import Dcase2020

#: Two machine types with two IDs each per partition (their real IDs).
IDS = {
    "dev": {"fan": ("00", "02", "04", "06"), "ToyCar": ("01", "02", "03", "04")},
    "eval": {"fan": ("01", "03", "05"), "ToyCar": ("05", "06", "07")},
}
#: The tree holds two of the year's six machine types, asked for as such.
PART = "fan+ToyCar"


def test_2020_is_registered_with_its_facts():
    dataset = asdbench.component("dataset", "dcase2020").create()
    rule = dataset.official_score
    assert (rule.name, rule.pooled, rule.files) == ("dcase2020", (), "machine_id")
    assert rule.machine_means == ("auc_all", "pauc")
    assert set(dataset.machine_types["dev"]) == {
        "ToyCar", "ToyConveyor", "fan", "pump", "slider", "valve",
    }  # fmt: skip
    assert dataset.partition_of("ToyCar", "01") == "dev"
    assert dataset.partition_of("fan", "01") == "eval"
    assert dataset.partition_of("fan", "07") is None
    for record in ("3678171", "3727685", "3841772", "y-kawagu/dcase2020_task2_evaluator"):
        assert record in Dcase2020.how_to_obtain


def test_2020_names():
    dataset = Dcase2020()
    name = dataset.parse_name("anomaly_id_04_00000012.wav")
    assert (name.section, name.domain, name.split, name.label, name.index) == (
        "04", "source", None, "anomaly", "00000012",
    )  # fmt: skip
    anonymous = dataset.parse_name("id_05_00000001.wav")
    assert anonymous.anonymous and anonymous.section == "05" and anonymous.label is None
    for bad in ("normal_id_4_00000000.wav", "broken_id_00_00000000.wav", "section_00_0000.wav"):
        with pytest.raises(asdbench.DataError, match="not a DCASE2020 clip name"):
            dataset.parse_name(bad)


def write_2020_tree(root):
    """The 2020 layout: per machine ID 6 normal training clips, 3 normal and 3 anomalous test
    clips (labelled in dev, anonymised in eval), and the evaluator's ``eval_data_list.csv``
    (a machine type line, then ``<anonymised name>,<original name>,<0|1>`` rows). Returns the
    evaluator folder and (machine, ID) -> [(file, label)]."""
    seeds = itertools.count(1000)
    truth = {}
    lines = []
    for partition, machines in IDS.items():
        for machine, ids in machines.items():
            folder = root / f"{partition}_data" / machine
            if partition == "eval":
                lines.append(machine)
            for machine_id in ids:
                train = [f"normal_id_{machine_id}_{i:08d}.wav" for i in range(6)]
                write_clips(folder / "train", train, seconds=0.5)
                labelled = [f"{lab}_id_{machine_id}_{i:08d}.wav"
                            for lab in ("normal", "anomaly") for i in range(3)]  # fmt: skip
                names = labelled
                if partition == "eval":
                    names = [f"id_{machine_id}_{i:08d}.wav" for i in range(len(labelled))]
                for name in names:  # noise unlike any training clip's
                    write_wav(folder / "test" / name, seconds=0.5, seed=next(seeds))
                rows = [(n, lab.split("_")[0]) for n, lab in zip(names, labelled, strict=True)]
                truth[(machine, machine_id)] = rows
                if partition == "eval":
                    lines += [
                        f"{n},{lab},{int(lab.startswith('anomaly'))}"
                        for n, lab in zip(names, labelled, strict=True)
                    ]
    evaluator = root / "evaluator"
    evaluator.mkdir()
    (evaluator / "eval_data_list.csv").write_text("".join(line + "\n" for line in lines))
    return evaluator, truth


def test_2020_tree_reads_with_ids_as_sections_and_one_domain(tmp_path):
    evaluator, _ = write_2020_tree(tmp_path)
    table = Dcase2020(machines=PART).load(tmp_path, ground_truth=evaluator)
    assert {c.domain for c in table} == {"source"}
    eval_test = {c.file: c for c in table if c.partition == "eval" and c.split == "test"}
    assert eval_test["id_05_00000003.wav"].label == "anomaly"
    assert eval_test["id_05_00000000.wav"].label == "normal"
    assert "ToyCar_05######source" in table.classes
    assert not any("machine ID" in problem for problem in table.problems)
    write_clips(tmp_path / "dev_data" / "fan" / "train", ["normal_id_01_00000000.wav"], seconds=0.5)
    with pytest.raises(
        asdbench.DataError,
        match=r"fan id 01: not a dcase2020 dev machine ID of fan \(00, 02, 04, 06\)",
    ):
        Dcase2020(machines=PART).load(tmp_path)
    bad = tmp_path / "dev_data" / "fan" / "train" / "anomaly_id_00_00000099.wav"
    write_clips(bad.parent, [bad.name], seconds=0.5)
    with pytest.raises(asdbench.DataError, match="an anomalous clip among the training clips"):
        Dcase2020(machines=PART).load(tmp_path)


def test_2020_ground_truth_errors_name_the_file_and_line(tmp_path):
    evaluator, _ = write_2020_tree(tmp_path)
    listing = evaluator / "eval_data_list.csv"
    kept = listing.read_text()
    listing.write_text(kept.replace("fan\n", "", 1))
    with pytest.raises(asdbench.DataError, match=r"eval_data_list.csv:1: expected a machine type"):
        Dcase2020(machines=PART).load(tmp_path, ground_truth=evaluator)
    listing.write_text(kept.replace("id_01_00000002.wav,anomaly_id_01_00000002.wav,0\n", ""))
    listing.write_text("\n".join(kept.splitlines()[:-1]) + "\n")
    with pytest.raises(asdbench.DataError, match=r"no row for 1 clip\(s\) of ToyCar section 07"):
        Dcase2020(machines=PART).load(tmp_path, ground_truth=evaluator)
    listing.unlink()
    with pytest.raises(asdbench.DataError, match="no eval_data_list.csv"):
        Dcase2020(machines=PART).load(tmp_path, ground_truth=evaluator)


def figures_by_hand(system, truth, machines):
    """The 2020 evaluator's computation, written out: per machine ID, AUC and pAUC (FPR <= 0.1)
    over its test clips, read from ``anomaly_score_<machine>_id_<ID>.csv``; per machine type,
    their arithmetic means over its IDs."""
    means = {}
    for machine, ids in machines.items():
        per_id = []
        for machine_id in ids:
            with open(system / f"anomaly_score_{machine}_id_{machine_id}.csv") as f:
                scores = {name: float(value) for name, value in csv.reader(f)}
            rows = truth[(machine, machine_id)]
            y = [int(label == "anomaly") for _, label in rows]
            s = [scores[name] for name, _ in rows]
            per_id.append((roc_auc_score(y, s), roc_auc_score(y, s, max_fpr=0.1)))
        means[machine] = {"auc_all": np.mean([a for a, _ in per_id]),
                          "pauc": np.mean([p for _, p in per_id])}  # fmt: skip
    return means


@pytest.mark.slow
def test_2020_runs_end_to_end_with_its_evaluators_figures(
    tmp_path, mlflow_tracking, asdbench_cache
):
    evaluator, truth = write_2020_tree(tmp_path / "tree")
    args = ["run", "--dataset", "dcase2020", "--data-dir", str(tmp_path / "tree")]
    args += ["--set", f"dataset.machines={PART}"]
    args += ["--ground-truth", str(evaluator), "--set", "dataset.clip_seconds=0.5"]
    args += ["--embedder", "logmel_stats", "--set", "train.embedding_dim=16"]  # core alone
    args += ["--set", "backend.n_means=2", "--output", "out"]
    result = CliRunner().invoke(cli, [*args, "--trials", "2"])
    assert result.exit_code == 0, result.output
    assert f"eval official score (dcase2020 rule, on {PART} only): none" in result.output
    assert "eval fan (arithmetic mean over its sections) AUC (all): " in result.output
    client = asdbench.mlflow_client()
    runs = client.search_runs([e.experiment_id for e in client.search_experiments()])
    [cell] = [r for r in runs if "eval/auc_all_mean/fan" in r.data.metrics]
    trial_runs = [r for r in runs if "eval/auc_all/fan" in r.data.metrics]
    assert len(trial_runs) == 2 and "eval/official_score" not in cell.data.metrics
    assert cell.data.metrics["eval/auc_all_mean/fan"] == pytest.approx(
        np.mean([r.data.metrics["eval/auc_all/fan"] for r in trial_runs])
    )
    system = next((tmp_path / "out" / "submission" / "asdbench").iterdir())
    assert sorted(p.name for p in system.iterdir()) == sorted(
        f"anomaly_score_{m}_id_{i}.csv" for m, i in truth
    )
    evaluated = CliRunner().invoke(
        cli, ["evaluate", str(system), "--dataset", "dcase2020", "--data-dir",
              str(tmp_path / "tree"), "--ground-truth", str(evaluator), "--format", "json",
              "--set", f"dataset.machines={PART}"],
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    for partition, machines in IDS.items():
        assert report[partition]["rule"] == "dcase2020"
        assert report[partition]["official_score"] is None
        expected = figures_by_hand(system, truth, machines)
        assert report[partition]["machine_means"] == {
            m: pytest.approx({k: 100 * x for k, x in v.items()}) for m, v in expected.items()
        }
    whole = ["evaluate", str(system), "--dataset", "dcase2020", "--ground-truth", str(evaluator)]
    refused = CliRunner().invoke(cli, whole)  # the evaluator's list holds PART's IDs only
    assert refused.exit_code == 2 and "dcase2020 eval machine type not found" in refused.output
    text = CliRunner().invoke(
        cli, ["evaluate", str(system), "--dataset", "dcase2020", "--ground-truth", str(evaluator),
              "--set", f"dataset.machines={PART}"],
    )  # fmt: skip
    assert text.exit_code == 0, text.output
    fan = figures_by_hand(system, truth, {"fan": IDS["eval"]["fan"]})["fan"]
    [line] = [line for line in text.output.splitlines() if line.startswith("fan ")
              and "arithmetic mean" in line]  # fmt: skip
    assert line.split()[-2:] == [f"{100 * fan['auc_all']:.2f}", f"{100 * fan['pauc']:.2f}"]
    board = CliRunner().invoke(cli, ["leaderboard", "--format", "json"])
    assert board.exit_code == 0, board.output
    board = json.loads(board.stdout)
    assert {cell["rule"] for cell in board["cells"]} == {"dcase2020"}
    [eval_row] = [c for c in board["cells"] if c["partition"] == "eval"]
    per_trial = [r.data.metrics["eval/pauc/fan"] for r in trial_runs]
    assert eval_row["machine_means"]["fan"]["pauc_mean"] == pytest.approx(np.mean(per_trial))
    assert eval_row["machine_means"]["fan"]["pauc_std"] == pytest.approx(np.std(per_trial, ddof=1))
    text = CliRunner().invoke(cli, ["leaderboard"]).output
    assert "Machine type means" in text and "AUC (all) fan" in text
    plot = ["plot", "trials", "--vs", "backend.n_means", "--output", str(tmp_path / "fig")]
    refused = CliRunner().invoke(cli, plot)
    assert refused.exit_code != 0 and "no official_score (its dataset's rule gives none" in (
        refused.output
    )
    drawn = CliRunner().invoke(cli, [*plot, "--metric", "auc_all"])
    assert drawn.exit_code == 0, drawn.output
    assert (
        f"dcase2020 ({PART} only): none, the dcase2020 rule has no single official score"
        in board["caption"]
    )
