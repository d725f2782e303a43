"""``asdbench evaluate`` on evaluator-format ground truth and submission folders."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.errors import AsdbenchError
from asdbench.scoring.scores import decide, threshold
from asdbench.submission.files import read_submission, write_section
from asdbench.testing.trees import write_clips, write_ground_truth_csv


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture(autouse=True)
def anytree(register_plugin):
    """``anytree``: a dataset with the 2023 rule and no machine types of its own, so that
    evaluator-format ground truth of any machine types is scored (a year's dataset refuses
    ground truth that is not its own: tested below)."""
    import asdbench
    from asdbench.data.datasets import DCASE2023_RULE, DcaseLayoutDataset

    class AnyTree(DcaseLayoutDataset):
        name = "anytree"
        official_score = DCASE2023_RULE

    class AnyTreePlugin:
        @asdbench.hookimpl
        def asdbench_datasets(self):
            yield asdbench.DatasetSpec(name="anytree", factory=AnyTree, summary="any machines")

    register_plugin(AnyTreePlugin(), "anytree")


def pair_auc(labels, scores):
    positives, negatives = scores[labels == 1], scores[labels == 0]
    wins = (positives[:, None] > negatives[None]).sum() + 0.5 * (
        positives[:, None] == negatives[None]
    ).sum()
    return wins / (len(positives) * len(negatives))


def mcclish_pauc(labels, scores, p=0.1):
    """Partial area for FPR <= p (distinct scores, so the ROC is a staircase), McClish map."""
    order = np.argsort(-scores)
    y = labels[order]
    tpr, fpr, area = 0.0, 0.0, 0.0
    for label in y:
        if label:
            tpr += 1 / labels.sum()
        else:
            step = 1 / (len(labels) - labels.sum())
            area += tpr * max(0.0, min(fpr + step, p) - fpr)
            fpr += step
    return 0.5 * (1 + (area - p * p / 2) / (p - p * p / 2))


def build(root, layout, seed=0):
    """Ground truth + a submission for the sections in ``layout``: (machine, section) ->
    (source normal, source anomaly, target normal, target anomaly) counts."""
    rng = np.random.default_rng(seed)
    gt, system = root / "gt", root / "teams" / "team" / "system"
    expected_values = []
    for (machine, section), counts in layout.items():
        labels, domains = [], []
        for (domain, label), count in zip([(0, 0), (0, 1), (1, 0), (1, 1)], counts, strict=True):
            labels += [label] * count
            domains += [domain] * count
        order = rng.permutation(len(labels))
        labels, domains = np.array(labels)[order], np.array(domains)[order]
        files = [f"section_{section}_{i:04d}.wav" for i in range(len(labels))]
        scores = rng.normal(size=len(labels)) + 0.8 * labels + 0.3 * domains
        write_ground_truth_csv(gt, "data", machine, section, zip(files, labels, strict=True))
        write_ground_truth_csv(gt, "domain", machine, section, zip(files, domains, strict=True))
        write_section(system, machine, section, files, scores, decide(scores, 0.5))
        for domain in (0, 1):
            keep = (domains == domain) | (labels == 1)
            expected_values.append(pair_auc(labels[keep], scores[keep]))
        expected_values.append(mcclish_pauc(labels, scores))
    official = len(expected_values) / sum(1 / v for v in expected_values)
    return gt, system, official


LAYOUT_2023 = {
    ("ToyDrone", "00"): (50, 50, 50, 50),
    ("bandsaw", "00"): (67, 40, 60, 33),  # unbalanced, as the real 2023 eval set
    ("grinder", "00"): (107, 27, 36, 30),
}
LAYOUT_2022 = {
    (machine, section): (50, 50, 50, 50) if section != "05" else (60, 41, 55, 44)
    for machine in ("ToyCar", "valve")
    for section in ("03", "04", "05")
}


@pytest.mark.parametrize(
    ("dataset", "layout"), [("anytree", LAYOUT_2023), ("anytree", LAYOUT_2022)]
)
def test_official_score_matches_an_independent_computation(tmp_path, dataset, layout):
    gt, system, official = build(tmp_path, layout)
    result = invoke(
        "evaluate", system, "--dataset", dataset, "--ground-truth", gt, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    # Evaluator-format ground truth holds the evaluation set: one partition, "eval".
    assert list(report) == ["eval"]
    assert report["eval"]["official_score"] == pytest.approx(100 * official, abs=1e-10)  # percent
    sections = report["eval"]["sections"]
    assert [(s["machine"], s["section"]) for s in sections] == sorted(layout)
    for key in ("machine", "section", "auc_source", "auc_target", "pauc", "auc_all"):
        assert key in sections[0]
    assert sorted(p.name for p in system.iterdir()) == sorted(
        f"{kind}_{m}_section_{s}_test.csv"
        for kind in ("anomaly_score", "decision_result")
        for m, s in layout
    ), "evaluate writes nothing into the submission folder"


def test_text_and_markdown_tables(tmp_path):
    gt, system, official = build(tmp_path, LAYOUT_2023)
    text = invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt)
    assert text.exit_code == 0
    assert any(line.split()[:2] == ["bandsaw", "00"] for line in text.output.splitlines())
    assert f"eval official score (dcase2023 rule): {100 * official:.2f}" in text.output
    markdown = invoke(
        "evaluate", system, "--dataset", "anytree", "--ground-truth", gt, "--format", "markdown"
    )
    assert "| machine | section | AUC (source) |" in markdown.output


def test_dev_labels_from_file_names_with_data_dir(tmp_path, tree_dataset):
    names = [
        f"section_00_{d}_test_{lab}_{i:04d}_a_1.wav"
        for d in ("source", "target")
        for lab in ("normal", "anomaly")
        for i in range(3)
    ]
    write_clips(tmp_path / "data" / "dev_data" / "fan" / "test", names)
    write_clips(
        tmp_path / "data" / "dev_data" / "fan" / "train",
        ["section_00_source_train_normal_0000_a_1.wav"],
    )
    # Anomalies score higher, except that one target normal outranks one target anomaly.
    scores = np.array([float("anomaly" in n) for n in names]) + np.arange(12) / 100
    scores[names.index("section_00_target_test_normal_0002_a_1.wav")] = 5.0
    system = tmp_path / "sub"
    write_section(system, "fan", "00", names, scores, decide(scores, 0.5))
    result = invoke(
        "evaluate", system, "--dataset", "tree", "--data-dir", tmp_path / "data", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    [section] = json.loads(result.output)["dev"]["sections"]
    assert section["auc_source"] == 100.0
    assert section["auc_target"] == pytest.approx(
        100 * 6 / 9
    )  # target normal 0002 beats every anomaly
    assert section["clips"] == 12


def test_submission_round_trip_and_threshold(tmp_path):
    scores = np.array([0.3, 0.1, 0.9])
    write_section(tmp_path, "fan", "00", ["b.wav", "a.wav", "c.wav"], scores, decide(scores, 0.5))
    assert (tmp_path / "anomaly_score_fan_section_00_test.csv").read_text() == (
        "a.wav,0.1\nb.wav,0.3\nc.wav,0.9\n"
    )
    assert (
        tmp_path / "decision_result_fan_section_00_test.csv"
    ).read_text() == "a.wav,0\nb.wav,0\nc.wav,1\n"
    [section] = read_submission(tmp_path)
    assert section.scores == {"a.wav": 0.1, "b.wav": 0.3, "c.wav": 0.9}
    assert threshold(np.arange(11.0), 0.9) == pytest.approx(9.0)


@pytest.fixture
def one_section(tmp_path):
    gt, system, _ = build(tmp_path, {("fan", "00"): (5, 5, 5, 5)})
    return gt, system, system / "anomaly_score_fan_section_00_test.csv"


def corrupt_header(path):
    path.write_text("file,score\n" + path.read_text())


def corrupt_missing(path):
    path.write_text("".join(path.read_text().splitlines(keepends=True)[1:]))
    decisions = path.parent / "decision_result_fan_section_00_test.csv"
    decisions.write_text("".join(decisions.read_text().splitlines(keepends=True)[1:]))


def corrupt_duplicate(path):
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines + lines[:1]))


def corrupt_prefix(path):
    path.write_text(path.read_text().replace("section_00_0003", "test_rename/section_00_0003"))


def corrupt_nan(path):
    lines = path.read_text().splitlines(keepends=True)
    lines[2] = lines[2].split(",")[0] + ",nan\n"
    path.write_text("".join(lines))


def corrupt_decisions(path):
    (path.parent / "decision_result_fan_section_00_test.csv").unlink()


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (corrupt_header, "anomaly_score_fan_section_00_test.csv:1: a header row"),
        (corrupt_missing, "no score for 1 clip(s) (e.g. section_00_0000.wav)"),
        (corrupt_duplicate, "appears twice"),
        (corrupt_prefix, "'test_rename/section_00_0003.wav' has a path prefix"),
        (corrupt_nan, "is nan"),
        (corrupt_decisions, "decision_result_fan_section_00_test.csv: missing"),
    ],
)
def test_malformed_submissions_are_refused_with_a_message(one_section, corrupt, message):
    gt, system, score_path = one_section
    corrupt(score_path)
    result = invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt)
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_section_missing_from_the_submission(tmp_path):
    gt, system, _ = build(tmp_path, {("fan", "00"): (3, 3, 3, 3), ("pump", "00"): (3, 3, 3, 3)})
    (system / "anomaly_score_pump_section_00_test.csv").unlink()
    (system / "decision_result_pump_section_00_test.csv").unlink()
    result = invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt)
    assert result.exit_code == 2 and "no anomaly_score_pump_section_00_test.csv" in result.output


def test_ground_truth_that_is_not_the_datasets_own_is_refused(tmp_path):
    """Evaluator-format ground truth of another dataset's machine types, or of part of this
    one's, would be scored under this dataset's official name: a one-line error naming what
    differs. Part of it asked for with ``dataset.machines`` is scored and labelled as part."""
    small = {("valve", "00"): (5, 5, 5, 5), ("blower", "00"): (5, 5, 5, 5)}
    gt, system, _ = build(tmp_path / "part", small)
    result = invoke("evaluate", system, "--dataset", "synthetic", "--ground-truth", gt)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert "is not synthetic's: gearmotor: synthetic eval machine type not found" in result.output
    foreign, system, _ = build(tmp_path / "foreign", LAYOUT_2023)
    result = invoke("evaluate", system, "--dataset", "synthetic", "--ground-truth", foreign)
    assert result.exit_code == 2 and "ToyDrone: not a synthetic eval machine type" in result.output
    gt, system, official = build(tmp_path / "one", {("valve", "00"): (5, 5, 5, 5)})
    part = invoke("evaluate", system, "--dataset", "synthetic", "--ground-truth", gt,
                  "--set", "dataset.machines=valve")  # fmt: skip
    assert part.exit_code == 0, part.output
    assert f"eval official score (dcase2023 rule, on valve only): {100 * official:.2f}" in (
        part.output
    )


def write_labelled_section(root, partition, machine, section, counts, rng):
    """A DCASE tree section with labelled test names (a train clip too); returns the names,
    labels and domains of its test clips."""
    names, labels, domains = [], [], []
    for (domain, label), count in zip(
        [("source", "normal"), ("source", "anomaly"), ("target", "normal"), ("target", "anomaly")],
        counts,
        strict=True,
    ):
        for i in range(count):
            names.append(f"section_{section}_{domain}_test_{label}_{i:04d}_a_1.wav")
            labels.append(int(label == "anomaly"))
            domains.append(int(domain == "target"))
    folder = root / f"{partition}_data" / machine
    write_clips(folder / "test", names)
    write_clips(folder / "train", [f"section_{section}_source_train_normal_0000_a_1.wav"])
    order = rng.permutation(len(names))
    return [names[i] for i in order], np.array(labels)[order], np.array(domains)[order]


def expected_official(sections):
    """The harmonic mean of pair-counted AUCs and staircase pAUCs of ``sections``."""
    values = []
    for labels, domains, scores in sections:
        for domain in (0, 1):
            keep = (domains == domain) | (labels == 1)
            values.append(pair_auc(labels[keep], scores[keep]))
        values.append(mcclish_pauc(labels, scores))
    return len(values) / sum(1 / v for v in values)


@pytest.fixture
def two_partitions(tmp_path, tree_dataset):
    """A tree with a dev section (fan 00) and two eval sections (pump 01, valve 01, labelled
    names), and a submission for all three."""
    rng = np.random.default_rng(3)
    data, system = tmp_path / "data", tmp_path / "sub"
    truth = {}
    for partition, machine, section, counts in (
        ("dev", "fan", "00", (6, 5, 5, 4)),
        ("eval", "pump", "01", (7, 3, 5, 5)),
        ("eval", "valve", "01", (5, 5, 6, 4)),
    ):
        names, labels, domains = write_labelled_section(
            data, partition, machine, section, counts, rng
        )
        scores = rng.normal(size=len(names)) + labels
        write_section(system, machine, section, names, scores, decide(scores, 0.5))
        truth.setdefault(partition, []).append((labels, domains, scores))
    return data, system, truth


def test_each_partition_gets_its_own_official_score_never_a_pooled_one(two_partitions):
    data, system, truth = two_partitions
    result = invoke("evaluate", system, "--dataset", "tree", "--data-dir", data, "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert list(report) == ["dev", "eval"]
    for partition in ("dev", "eval"):
        assert report[partition]["official_score"] == pytest.approx(
            100 * expected_official(truth[partition]), abs=1e-10
        )
    pooled = expected_official(truth["dev"] + truth["eval"])
    text = invoke("evaluate", system, "--dataset", "tree", "--data-dir", data).output
    assert f"{100 * pooled:.2f}" not in text
    assert "dev official score" in text and "eval official score" in text


def test_a_partition_with_some_sections_missing_is_refused(two_partitions):
    data, system, _ = two_partitions
    (system / "anomaly_score_valve_section_01_test.csv").unlink()
    (system / "decision_result_valve_section_01_test.csv").unlink()
    result = invoke("evaluate", system, "--dataset", "tree", "--data-dir", data)
    assert result.exit_code == 2
    assert "no anomaly_score_valve_section_01_test.csv" in result.output
    assert "1 of 2 eval sections missing" in result.output


def test_a_partition_the_submission_does_not_cover_is_left_out_with_a_note(two_partitions):
    data, system, _ = two_partitions
    for machine, section in (("pump", "01"), ("valve", "01")):
        for kind in ("anomaly_score", "decision_result"):
            (system / f"{kind}_{machine}_section_{section}_test.csv").unlink()
    result = invoke("evaluate", system, "--dataset", "tree", "--data-dir", data, "--format", "json")
    assert result.exit_code == 0, result.output
    assert list(json.loads(result.stdout)) == ["dev"]
    assert "eval: not scored (the submission has none of its 2 sections)" in result.stderr


def test_results_are_written_only_where_output_says(two_partitions, tmp_path):
    data, system, _ = two_partitions
    before = sorted(p.name for p in system.iterdir())
    target = tmp_path / "results.csv"
    result = invoke("evaluate", system, "--dataset", "tree", "--data-dir", data, "--output", target)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in system.iterdir()) == before
    rows = target.read_text().splitlines()
    assert rows[0] == "partition,machine,section,official_score,auc_source,auc_target,pauc,auc_all"
    summary = [r.split(",") for r in rows if ",harmonic mean," in r]
    assert [r[0] for r in summary] == ["dev", "eval"] and all(r[3] for r in summary)
    missing = invoke(
        "evaluate",
        system,
        "--dataset",
        "tree",
        "--data-dir",
        data,
        "--output",
        tmp_path / "nowhere" / "results.csv",
    )
    assert missing.exit_code == 2 and "nowhere does not exist" in missing.output


def test_the_synthetic_dataset_finds_its_own_ground_truth(asdbench_cache, tmp_path):
    from asdbench.data.ground_truth import read_ground_truth
    from asdbench.data.layout import read_tree
    from asdbench.synthetic import SyntheticDataset, ensure_tree

    root = ensure_tree(None, SyntheticDataset(size="tiny").plan, progress=False)
    table = read_tree(root, dataset="synthetic", ground_truth=root / "ground_truth")
    rng = np.random.default_rng(0)
    system = tmp_path / "sub"
    expected = {}
    eval_truth = read_ground_truth(root / "ground_truth")
    for (partition, machine, section), clips in sorted(
        {
            (c.partition, c.machine, c.section): [
                x for x in table if x.split == "test" and x.machine == c.machine
            ]
            for c in table
        }.items()
    ):
        names = [c.file for c in clips]
        if partition == "eval":  # labels from the evaluator-format files, by name
            rows = eval_truth[(machine, section)]
            labels = np.array([int(rows[n].label == "anomaly") for n in names])
            domains = np.array([int(rows[n].domain == "target") for n in names])
        else:  # labels from the file names
            labels = np.array([int("_anomaly_" in n) for n in names])
            domains = np.array([int("_target_" in n) for n in names])
        scores = rng.normal(size=len(names)) + labels
        write_section(system, machine, section, names, scores, decide(scores, 0.5))
        expected.setdefault(partition, []).append((labels, domains, scores))
    result = invoke(
        "evaluate",
        system,
        "--dataset",
        "synthetic",
        "--set",
        "dataset.size=tiny",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert list(report) == ["dev", "eval"]
    for partition, sections in expected.items():
        assert report[partition]["official_score"] == pytest.approx(
            100 * expected_official(sections), abs=1e-10
        )


def test_a_dataset_without_data_of_its_own_needs_labels(tmp_path, tree_dataset):
    result = invoke("evaluate", tmp_path, "--dataset", "tree")
    assert result.exit_code == 2
    assert "needs --data-dir" in result.output and "--ground-truth" in result.output


def with_bom(path):
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())


def as_folder(path):
    path.unlink()
    path.mkdir()


def with_long_field(path):
    path.write_text('"' + "x" * 200_000 + '",1\n' + path.read_text())


def as_latin1(path):
    path.write_bytes(path.read_bytes().replace(b"section_00_0001", b"section_00_\xe90001", 1))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (as_folder, "anomaly_score_fan_section_00_test.csv: a folder, where a CSV file should be"),
        (with_long_field, "anomaly_score_fan_section_00_test.csv:1: field larger than field limit"),
        (as_latin1, "anomaly_score_fan_section_00_test.csv: not UTF-8 text"),
    ],
)
def test_score_files_that_are_not_csv_text_are_one_line_errors(one_section, damage, message):
    gt, system, score_path = one_section
    damage(score_path)
    result = invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt)
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_a_byte_order_mark_is_not_part_of_the_first_name(one_section):
    gt, system, score_path = one_section
    before = json.loads(
        invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt, "--format",
               "json").output
    )  # fmt: skip
    with_bom(score_path)
    with_bom(gt / "ground_truth_data" / "ground_truth_fan_section_00_test.csv")
    after = invoke(
        "evaluate", system, "--dataset", "anytree", "--ground-truth", gt, "--format", "json"
    )
    assert after.exit_code == 0, after.output
    assert json.loads(after.output) == before


def test_ground_truth_without_a_class_the_official_score_needs_is_an_error(tmp_path):
    """pump_00 has no target-domain normal clip: its AUC (target) is undefined, so no official
    score exists; the error names the section instead of averaging the other one."""
    layout = {("fan", "00"): (3, 3, 3, 3), ("pump", "00"): (3, 3, 0, 3)}
    with np.errstate(invalid="ignore"):  # build's own expected AUC of pump_00 is 0/0
        gt, system, _ = build(tmp_path, layout)
    result = invoke("evaluate", system, "--dataset", "anytree", "--ground-truth", gt)
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == (
        "Error: pump section 00: AUC (target) is undefined (no anomalous clip or no "
        "target-domain normal clip); the official score needs it in every section"
    )


def test_per_domain_submission_files_round_trip(tmp_path):
    """2021's form: ``write_submission(files="section_domain")`` writes one pair of files per
    section and domain, each with that domain's clips; reading gathers them into the section
    and remembers which file each clip was in."""
    from asdbench.data.clips import Clip, ClipTable
    from asdbench.submission.files import write_submission

    clips = [
        Clip(tmp_path / f"section_03_{d}_test_{i:04d}.wav", "t", "eval", "fan", "03", d, "test",
             "unknown")
        for d in ("source", "target")
        for i in range(2)
    ]  # fmt: skip
    scores = np.array([0.1, 0.2, 0.3, 0.4])
    write_submission(
        ClipTable(clips), scores, np.array([0, 1, 0, 1]), tmp_path, files="section_domain"
    )
    assert sorted(p.name for p in tmp_path.glob("*.csv")) == [
        f"{kind}_fan_section_03_{d}_test.csv"
        for kind in ("anomaly_score", "decision_result")
        for d in ("source", "target")
    ]
    assert (tmp_path / "anomaly_score_fan_section_03_target_test.csv").read_text() == (
        "section_03_target_test_0000.wav,0.3\nsection_03_target_test_0001.wav,0.4\n"
    )
    [section] = read_submission(tmp_path)
    assert section.scores == {c.file: s for c, s in zip(clips, scores, strict=True)}
    assert section.domains == {c.file: c.domain for c in clips}
    write_section(tmp_path, "fan", "03", [clips[0].file], np.array([0.5]), np.array([0]))
    with pytest.raises(AsdbenchError, match="fan section 03: submitted in two forms"):
        read_submission(tmp_path)
    (tmp_path / "anomaly_score_fan_section_03_test.csv").unlink()
    (tmp_path / "decision_result_fan_section_03_test.csv").unlink()
    write_section(tmp_path, "fan", "03", [clips[0].file], np.array([0.5]), np.array([0]), "target")
    with pytest.raises(
        AsdbenchError, match="section_03_source_test_0000.wav is in the files of both"
    ):
        read_submission(tmp_path)


def test_per_domain_ground_truth_reads_the_evaluator_root_or_its_data_folder(tmp_path):
    from asdbench.data.ground_truth import Truth, read_ground_truth

    data = tmp_path / "ground_truth_data"
    data.mkdir()
    (data / "ground_truth_fan_section_03_source_test.csv").write_text("a.wav,0\nb.wav,1\n")
    (data / "ground_truth_fan_section_03_target_test.csv").write_text("c.wav,1\n")
    expected = {
        ("fan", "03"): {
            "a.wav": Truth("normal", "source"),
            "b.wav": Truth("anomaly", "source"),
            "c.wav": Truth("anomaly", "target"),
        }
    }
    assert read_ground_truth(tmp_path, files="section_domain") == expected
    assert read_ground_truth(data, files="section_domain") == expected
    with pytest.raises(AsdbenchError, match="not a ground-truth folder"):
        read_ground_truth(tmp_path)  # 2022's form needs ground_truth_domain/ too
    (data / "ground_truth_fan_section_03_source_test.csv").write_text("a.wav,normal\n")
    with pytest.raises(AsdbenchError, match=r"source_test.csv:1: expected '<file>,<0 or 1>'"):
        read_ground_truth(tmp_path, files="section_domain")


def test_machine_id_submissions_and_eval_data_list(tmp_path):
    """2020's form: one ``anomaly_score_<machine>_id_<ID>.csv`` per machine ID and no decision
    file; its ground truth is ``eval_data_list.csv``, a machine type line before its rows."""
    from asdbench.data.clips import Clip, ClipTable
    from asdbench.data.ground_truth import Truth, read_ground_truth
    from asdbench.submission.files import write_submission

    clips = [
        Clip(tmp_path / f"id_01_{i:08d}.wav", "t", "eval", "fan", "01", "source", "test", "unknown")
        for i in range(2)
    ]
    system = tmp_path / "system"
    write_submission(ClipTable(clips), np.array([0.2, 0.7]), np.array([0, 1]), system,
                     files="machine_id")  # fmt: skip
    assert [p.name for p in system.iterdir()] == ["anomaly_score_fan_id_01.csv"]
    [section] = read_submission(system)
    assert (section.files, section.section, section.decisions) == ("machine_id", "01", {})
    assert section.scores == {"id_01_00000000.wav": 0.2, "id_01_00000001.wav": 0.7}
    (tmp_path / "eval_data_list.csv").write_text(
        "fan\nid_01_00000000.wav,normal_id_01_00000009.wav,0\n"
        "id_01_00000001.wav,anomaly_id_01_00000002.wav,1\npump\n"
        "id_03_00000000.wav,normal_id_03_00000001.wav,0\n"
    )
    assert read_ground_truth(tmp_path, files="machine_id") == {
        ("fan", "01"): {
            "id_01_00000000.wav": Truth("normal", "source"),
            "id_01_00000001.wav": Truth("anomaly", "source"),
        },
        ("pump", "03"): {"id_03_00000000.wav": Truth("normal", "source")},
    }
