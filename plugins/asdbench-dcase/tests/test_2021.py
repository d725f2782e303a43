"""DCASE2021: its layout (test clips of each domain in their own folder, evaluation names that
keep the domain, attribute tokens that do not pair), its evaluator's files (one per section and
domain, for the ground truth and the submission), its download, and a run end to end whose
official score is checked against the task's definition computed here by hand."""

import csv
import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

import asdbench
from asdbench.cli import cli
from asdbench.testing import write_clips, write_ground_truth_csv, write_wav
from asdbench_dcase.datasets import Dcase2021

DOMAINS = ("source", "target")


def test_2021_is_registered_with_its_facts():
    component = asdbench.component("dataset", "dcase2021")
    assert component.plugin.distribution == "asdbench-dcase"
    dataset = component.create()
    assert (
        dataset.official_score.name == "dcase2021"
        and dataset.official_score.files == "section_domain"
    )
    assert set(dataset.official_score.pooled) == {
        "auc_source_own",
        "pauc_source_own",
        "auc_target_own",
        "pauc_target_own",
    }
    assert dataset.clip_samples == 160_000
    assert dataset.machine_types["dev"] == dataset.machine_types["eval"]
    assert len(dataset.machine_types["dev"]) == 7 and "pump" in dataset.machine_types["dev"]
    assert dataset.sections == {"dev": ("00", "01", "02"), "eval": ("03", "04", "05")}
    for record in ("4562016", "4660992", "4884786", "y-kawagu/dcase2021_task2_evaluator"):
        assert record in Dcase2021.how_to_obtain


def write_ground_truth_2021(folder, machine, section, rows):
    """The 2021 evaluator's files: ground_truth_data/ground_truth_<m>_section_<SS>_<d>_test.csv,
    ``<file>,<0|1>`` for the clips of that domain."""
    for domain in DOMAINS:
        path = (
            folder
            / "ground_truth_data"
            / f"ground_truth_{machine}_section_{section}_{domain}_test.csv"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "".join(f"{name},{int(label == 'anomaly')}\n" for name, d, label in rows if d == domain)
        )


def write_2021_tree(
    root, machines=("fan", "pump"), dev=("00", "01", "02"), evaluation=("03", "04", "05")
):
    """Per machine type and section: 6 source and 3 target training clips with 2021's attribute
    tokens; 2 normal and 2 anomalous test clips per domain in ``source_test/`` and
    ``target_test/``; evaluation test names anonymised but for their domain, with ground truth
    in the evaluator's per-domain files. Returns the ground-truth folder and (machine, section)
    -> [(file, domain, label)]."""
    truth = {}
    gt = root / "evaluator"
    seeds = itertools.count(1000)
    for partition, sections in (("dev", dev), ("eval", evaluation)):
        for machine in machines:
            folder = root / f"{partition}_data" / machine
            for section in sections:
                train = [
                    f"section_{section}_{d}_train_normal_{i:04d}_strength_{i % 2}_ambient.wav"
                    for d, n in (("source", 6), ("target", 3))
                    for i in range(n)
                ]
                write_clips(folder / "train", train, seconds=0.5)
                rows = []
                for domain in DOMAINS:
                    labelled = [(lab, i) for lab in ("normal", "anomaly") for i in range(2)]
                    if partition == "dev":
                        names = [
                            f"section_{section}_{domain}_test_{lab}_{i:04d}.wav"
                            for lab, i in labelled
                        ]
                    else:
                        names = [
                            f"section_{section}_{domain}_test_{n:04d}.wav"
                            for n in range(len(labelled))
                        ]
                    for name in names:  # noise unlike any training clip's
                        path = folder / f"{domain}_test" / name
                        write_wav(path, seconds=0.5, seed=next(seeds))
                    rows += [(n, domain, lab) for n, (lab, _) in zip(names, labelled, strict=True)]
                if partition == "eval":
                    write_ground_truth_2021(gt, machine, section, rows)
                truth[(machine, section)] = rows
    return gt, truth


def test_2021_layout_domains_from_folders_and_attribute_text(tmp_path):
    gt, _ = write_2021_tree(tmp_path, machines=("fan",), dev=("00",), evaluation=("03",))
    table = Dcase2021().load(tmp_path, check=False)
    train = [c for c in table if c.split == "train" and c.partition == "dev"]
    assert train[0].attributes == (("attribute", "strength_0_ambient"),)
    assert not any("odd number" in problem for problem in table.problems)
    assert "fan_00###attribute_strength_1_ambient###target" in table.classes
    unlabelled = [c for c in table if c.partition == "eval" and c.split == "test"]
    assert {c.domain for c in unlabelled} == {"source", "target"}  # from the names
    assert {c.label for c in unlabelled} == {"unknown"}
    labelled = Dcase2021().load(tmp_path, ground_truth=gt, check=False)
    eval_test = {c.file: c for c in labelled if c.partition == "eval" and c.split == "test"}
    assert eval_test["section_03_target_test_0002.wav"].label == "anomaly"
    assert eval_test["section_03_target_test_0002.wav"].domain == "target"
    assert eval_test["section_03_source_test_0000.wav"].label == "normal"


def test_2021_a_clip_in_the_other_domains_folder_is_an_error(tmp_path):
    write_2021_tree(tmp_path, machines=("fan",), dev=("00",), evaluation=())
    misplaced = tmp_path / "dev_data/fan/target_test/section_00_source_test_normal_0009.wav"
    write_clips(misplaced.parent, [misplaced.name], seconds=0.5)
    with pytest.raises(
        asdbench.DataError, match="the name says source but the file is in target_test/"
    ):
        Dcase2021().load(tmp_path, check=False)


def test_2021_ground_truth_must_have_both_domains_and_agree_with_the_names(tmp_path):
    gt, _ = write_2021_tree(tmp_path, machines=("fan",), dev=(), evaluation=("03",))
    target_file = gt / "ground_truth_data/ground_truth_fan_section_03_target_test.csv"
    kept = target_file.read_text()
    target_file.unlink()
    with pytest.raises(
        asdbench.DataError, match="ground_truth_fan_section_03_target_test.csv: missing"
    ):
        Dcase2021().load(tmp_path, ground_truth=gt, check=False)
    target_file.write_text(
        kept.replace("section_03_target_test_0000", "section_03_source_test_0000")
    )
    with pytest.raises(asdbench.DataError, match="also listed for the source domain"):
        Dcase2021().load(tmp_path, ground_truth=gt, check=False)
    source_file = gt / "ground_truth_data/ground_truth_fan_section_03_source_test.csv"
    target_file.write_text(kept + source_file.read_text().splitlines()[0] + "\n")
    source_file.write_text(
        "".join(line + "\n" for line in source_file.read_text().splitlines()[1:])
    )
    with pytest.raises(
        asdbench.DataError, match="listed for the target domain, but its name says source"
    ):
        Dcase2021().load(tmp_path, ground_truth=gt, check=False)


def official_by_hand(system, truth, sections):
    """The 2021 evaluator's computation, written out: for each machine type, section and domain,
    AUC and pAUC (FPR <= 0.1) on that domain's test clips, read from that domain's submission
    file; the official score is the harmonic mean (each floored at machine epsilon) of all of
    them."""
    aucs, paucs = [], []
    for machine, section in sections:
        for domain in DOMAINS:
            with open(system / f"anomaly_score_{machine}_section_{section}_{domain}_test.csv") as f:
                scores = dict(csv.reader(f))
            rows = [r for r in truth[(machine, section)] if r[1] == domain]
            y = [int(lab == "anomaly") for _, _, lab in rows]
            s = [float(scores[n]) for n, _, _ in rows]
            aucs.append(roc_auc_score(y, s))
            paucs.append(roc_auc_score(y, s, max_fpr=0.1))

    def hmean(values):
        return len(values) / sum(1 / max(v, np.finfo(float).eps) for v in values)

    return hmean(aucs + paucs)


@pytest.mark.slow
def test_2021_runs_end_to_end_and_scores_by_its_evaluators_files(
    tmp_path, mlflow_tracking, asdbench_cache
):
    gt, truth = write_2021_tree(tmp_path / "tree")
    args = ["run", "--dataset", "dcase2021", "--data-dir", str(tmp_path / "tree")]
    args += ["--set", "dataset.machines=fan+pump"]
    args += ["--ground-truth", str(gt), "--set", "dataset.clip_seconds=0.5"]
    args += ["--embedder", "logmel_stats", "--set", "train.embedding_dim=16"]  # core alone
    args += ["--set", "backend.n_means=2", "--quiet", "--output", "out"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "eval official score (dcase2021 rule, on fan+pump only):" in result.output
    system = next((tmp_path / "out" / "submission" / "asdbench").iterdir())
    written = sorted(p.name for p in system.glob("anomaly_score_*"))
    assert written == sorted(
        f"anomaly_score_{m}_section_{s}_{d}_test.csv" for m, s in truth for d in DOMAINS
    )
    for partition, sections in (("dev", ("00", "01", "02")), ("eval", ("03", "04", "05"))):
        evaluated = CliRunner().invoke(
            cli, ["evaluate", str(system), "--dataset", "dcase2021", "--data-dir",
                  str(tmp_path / "tree"), "--ground-truth", str(gt), "--format", "json",
                  "--set", "dataset.machines=fan+pump"],
        )  # fmt: skip
        assert evaluated.exit_code == 0, evaluated.output
        report = json.loads(evaluated.stdout)[partition]
        official = official_by_hand(system, truth, [(m, s) for m, s in truth if s in sections])
        assert report["rule"] == "dcase2021"
        assert report["official_score"] == pytest.approx(100 * official)
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    assert {cell["rule"] for cell in board["cells"]} == {"dcase2021"}


def test_2021_evaluation_refuses_files_in_another_years_form(tmp_path):
    """The 2021 evaluator reads one file per section and domain, each clip in its domain's
    file; a per-section file (2022's form) or a clip in the other domain's file is refused
    with the file named, and 2022's evaluator refuses per-domain files."""
    sections = ("03", "04", "05")
    gt, truth = write_2021_tree(tmp_path / "tree", machines=("fan",), dev=(), evaluation=sections)
    system = tmp_path / "system"
    system.mkdir()
    for section in sections:
        for kind, value in (("anomaly_score", "0.5"), ("decision_result", "0")):
            (system / f"{kind}_fan_section_{section}_test.csv").write_text(
                "".join(f"{n},{value}\n" for n, _, _ in truth[("fan", section)])
            )
    fan = ["--set", "dataset.machines=fan"]
    evaluate = ["evaluate", str(system), "--dataset", "dcase2021", "--ground-truth", str(gt), *fan]
    result = CliRunner().invoke(cli, evaluate)
    assert result.exit_code == 2
    expected = "fan_section_03_test.csv: the dcase2021 evaluator reads one file per section and"
    assert expected in result.output
    for section in sections:
        for kind, value in (("anomaly_score", "0.5"), ("decision_result", "0")):
            (system / f"{kind}_fan_section_{section}_test.csv").unlink()
            for domain in DOMAINS:
                names = [n for n, d, _ in truth[("fan", section)] if d == domain]
                if section == "03" and domain == "source":
                    names.append("section_03_target_test_0000.wav")
                elif section == "03":
                    names.remove("section_03_target_test_0000.wav")
                (system / f"{kind}_fan_section_{section}_{domain}_test.csv").write_text(
                    "".join(f"{n},{value}\n" for n in names)
                )
    result = CliRunner().invoke(cli, evaluate)
    assert result.exit_code == 2
    assert "section_03_target_test_0000.wav is a target-domain clip" in result.output
    for section in sections:
        rows = truth[("fan", section)]
        labels = [(n, int(lab == "anomaly")) for n, _, lab in rows]
        write_ground_truth_csv(tmp_path / "gt2022", "data", "fan", section, labels)
        domains = [(n, int(d == "target")) for n, d, _ in rows]
        write_ground_truth_csv(tmp_path / "gt2022", "domain", "fan", section, domains)
    gt2022 = ["--ground-truth", str(tmp_path / "gt2022"), *fan]
    result = CliRunner().invoke(cli, ["evaluate", str(system), "--dataset", "dcase2022", *gt2022])
    assert result.exit_code == 2
    expected = "the dcase2022 evaluator reads one file per section (anomaly_score_fan_section_03"
    assert expected in result.output


def test_2021_a_section_without_target_anomalies_is_refused_before_training(
    tmp_path, mlflow_tracking, asdbench_cache
):
    """The 2021 official score needs each domain's own AUC, so every section needs anomalous
    and normal clips of both domains; without target anomalies the run stops before training."""
    write_2021_tree(tmp_path / "tree", machines=("fan",), evaluation=())
    for path in (tmp_path / "tree/dev_data/fan/target_test").glob("*_anomaly_*.wav"):
        path.unlink()
    args = ["run", "--dataset", "dcase2021", "--data-dir", str(tmp_path / "tree")]
    args += ["--set", "dataset.machines=fan"]
    args += ["--embedder", "logmel_stats", "--set", "dataset.clip_seconds=0.5"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert "fan_00 (no target-domain anomalous clip)" in result.output
    assert "the dcase2021 rule needs" in result.output and "epoch" not in result.output
