"""DCASE2024 and DCASE2025: their facts, their file-name forms (withheld attributes, names ending
in '_', supplemental clips), downloads from their Zenodo records, and a run end to end scored
under each year's name, checked against the evaluator's definition computed here by hand."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

import asdbench
from asdbench.cli import cli
from asdbench.testing import write_clips, write_ground_truth_csv, write_wav
from asdbench_dcase.datasets import Dcase2024, Dcase2025


def test_years_are_registered_with_their_facts():
    for name, machines in (("dcase2024", 9), ("dcase2025", 8)):
        component = asdbench.component("dataset", name)
        assert component.plugin.distribution == "asdbench-dcase"
        dataset = component.create()
        assert dataset.official_score == asdbench.ScoreRule(name)
        assert dataset.clip_samples == 192_000 and dataset.year_folder == f"{name}t2"
        assert len(dataset.machine_types["eval"]) == machines
        assert set(dataset.machine_types["dev"]).isdisjoint(dataset.machine_types["eval"])
    assert "11259435" in Dcase2024.how_to_obtain and "15519362" in Dcase2025.how_to_obtain


def test_2024_withheld_attributes_give_section_and_domain_classes(tmp_path):
    raw = tmp_path / "data" / "dcase2024t2" / "eval_data" / "raw" / "BrushlessMotor"
    write_clips(
        raw / "train",
        [
            "section_00_source_train_normal_0001_noAttribute.wav",
            "section_00_target_train_normal_0001_noAttribute.wav",
        ],
    )
    table = Dcase2024().load(tmp_path, check=False)
    assert table.classes == ["BrushlessMotor_00######source", "BrushlessMotor_00######target"]
    assert not any("odd number" in problem for problem in table.problems)


def test_2025_attributes_from_the_csv_and_supplemental_clips_apart(tmp_path):
    machine = tmp_path / "dev_data" / "bearing"
    write_clips(
        machine / "train",
        ["section_00_source_train_normal_0000_.wav", "section_00_target_train_normal_0000_.wav"],
    )
    write_clips(machine / "supplemental", ["section_00_machine_0001_.wav"])
    (machine / "attributes_00.csv").write_text(
        "file_name,d1p,d1v\n"
        "dev_data/bearing/train/section_00_source_train_normal_0000_.wav,vel,6\n"
        "dev_data/bearing/train/section_00_target_train_normal_0000_.wav,vel,10\n"
    )
    table = Dcase2025().load(tmp_path, check=False)
    assert table.classes == ["bearing_00###vel_10###target", "bearing_00###vel_6###source"]
    [supplemental] = [c for c in table if c.split == "supplemental"]
    assert supplemental.attributes == (("content", "machine"),)
    assert supplemental.aux_class is None


#: Per year: two dev and two eval machine types, how its training names end, and channels.
YEARS = {
    "dcase2024": ({"dev": ("fan", "valve"), "eval": ("Scanner", "HairDryer")}, "_noAttribute", 1),
    "dcase2025": ({"dev": ("fan", "valve"), "eval": ("AutoTrash", "Polisher")}, "_", 1),
    "dcase2026": ({"dev": ("fan", "valveEmu"), "eval": ("Sander", "ToyDrone")}, "_", 2),
}


def part(year):
    """``dataset.machines`` for the year's tree: the machine types it holds, asked for as such."""
    return "+".join(m for names in YEARS[year][0].values() for m in names)


def write_year_tree(root, year):
    """The year's layout: 12 training clips and 8 test clips per machine type, eval test names
    anonymised with evaluator-format ground truth, a supplemental clip per machine type."""
    machines, ending, channels = YEARS[year]
    truth = {}
    for partition, names in machines.items():
        for machine in names:
            folder = root / f"{partition}_data" / machine
            train = [
                f"section_00_{d}_train_normal_{i:04d}{ending}.wav"
                for d, n in (("source", 9), ("target", 3))
                for i in range(n)
            ]
            write_clips(folder / "train", train, seconds=0.5, channels=channels)
            labelled = [
                (f"section_00_{d}_test_{lab}_{i:04d}{ending}.wav", d, lab)
                for d in ("source", "target")
                for lab in ("normal", "anomaly")
                for i in range(2)
            ]
            if partition == "dev":
                write_clips(folder / "test", [n for n, _, _ in labelled], seconds=0.5,
                            channels=channels)  # fmt: skip
            else:
                anonymous = [f"section_00_{i:04d}.wav" for i in range(len(labelled))]
                write_clips(folder / "test", anonymous, seconds=0.5, channels=channels)
                truth[machine] = [
                    (name, d, lab) for name, (_, d, lab) in zip(anonymous, labelled, strict=True)
                ]
            write_clips(folder / "supplemental", ["section_00_noise_0001_.wav"], seconds=0.5,
                        channels=channels)  # fmt: skip
    gt = root / "ground_truth"
    for machine, rows in truth.items():
        write_ground_truth_csv(
            gt, "data", machine, "00", [(n, int(lab == "anomaly")) for n, _, lab in rows]
        )
        write_ground_truth_csv(
            gt, "domain", machine, "00", [(n, int(d == "target")) for n, d, _ in rows]
        )
    return gt, truth


def hmean(values):
    return len(values) / sum(1 / max(v, np.finfo(float).eps) for v in values)


def official_by_hand(system, truth):
    """The 2024/2025 evaluator's definition, written out: per section AUC (source) on source
    normals and all anomalies, AUC (target) likewise, pAUC (FPR <= 0.1) on all clips; the
    official score is the harmonic mean of all of them over every section."""
    pooled = []
    for machine, rows in truth.items():
        with open(system / f"anomaly_score_{machine}_section_00_test.csv") as f:
            scores = {name: float(value) for name, value in csv.reader(f)}
        y = np.array([lab == "anomaly" for _, _, lab in rows], dtype=int)
        target = np.array([d == "target" for _, d, _ in rows])
        s = np.array([scores[n] for n, _, _ in rows])
        for keep in (~target | (y == 1), target | (y == 1)):
            pooled.append(roc_auc_score(y[keep], s[keep]))
        pooled.append(roc_auc_score(y, s, max_fpr=0.1))
    return hmean(pooled)


@pytest.mark.slow
@pytest.mark.parametrize("year", sorted(YEARS))
def test_each_years_tree_runs_end_to_end_and_scores_under_its_years_name(
    tmp_path, mlflow_tracking, asdbench_cache, year
):
    gt, truth = write_year_tree(tmp_path / "tree", year)
    args = ["run", "--dataset", year, "--data-dir", str(tmp_path / "tree")]
    args += ["--set", f"dataset.machines={part(year)}"]
    args += ["--ground-truth", str(gt), "--set", "dataset.clip_seconds=0.5"]
    args += ["--embedder", "logmel_stats", "--set", "train.embedding_dim=16"]  # core alone
    args += ["--set", "backend.n_means=2", "--quiet", "--output", "out"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert f"eval official score ({year} rule, on {part(year)} only):" in result.output
    system = next((tmp_path / "out" / "submission" / "asdbench").iterdir())
    evaluated = CliRunner().invoke(
        cli, ["evaluate", str(system), "--dataset", year, "--ground-truth", str(gt),
              "--set", f"dataset.machines={part(year)}", "--format", "json"],
    )  # fmt: skip
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.stdout)
    assert report["eval"]["rule"] == year
    assert report["eval"]["official_score"] == pytest.approx(100 * official_by_hand(system, truth))
    for machine in truth:  # supplemental clips are neither trained on nor scored
        with open(system / f"anomaly_score_{machine}_section_00_test.csv") as f:
            assert not any("noise" in row[0] for row in csv.reader(f))
    board = json.loads(CliRunner().invoke(cli, ["leaderboard", "--format", "json"]).stdout)
    assert {cell["rule"] for cell in board["cells"]} == {year}
    assert f"{year} ({part(year)} only): {year} rule" in board["caption"]


def test_2026_channel_option_picks_the_near_the_far_microphone_their_mix_or_both(tmp_path):
    """Left is the near microphone (the earlier years' mono, the baseline's choice), right the
    far one, ``both`` the two as channels; core decodes what the dataset's audio format names
    (its own tests check each against soundfile)."""
    from asdbench_dcase.datasets import Dcase2026

    assert Dcase2026().audio_format.stereo == "first"
    assert Dcase2026(channel="right").audio_format.stereo == "second"
    assert Dcase2026(channel="mix").audio_format.stereo == "mean"
    assert Dcase2026(channel="both").audio_format.channels == 2
    assert Dcase2026().audio_format.channels == 1
    assert "stereo" not in {o.name for o in asdbench.component("dataset", "dcase2026").options()}
    with pytest.raises(
        asdbench.OptionError, match="option 'channel' must be 'left'|'right'|'mix'|'both'"
    ):
        asdbench.create("dataset", "dcase2026", channel="front")
    with pytest.raises(ValueError, match="channel must be left, right, mix or both"):
        Dcase2026(channel="front")  # built directly, without the option checks


@pytest.mark.parametrize("channel", ["right", "both"])
def test_a_channel_a_file_does_not_have_is_refused_naming_the_file(tmp_path, channel):
    """``channel=right`` (or ``both``) on a mono file is not the near microphone under the far
    one's name: the tree is refused when it is listed (``data info`` and ``run`` alike), naming
    the file, whether every file is mono or one among stereo ones."""
    from asdbench_dcase.datasets import Dcase2026

    write_year_tree(tmp_path / "tree", "dcase2026")
    stray = (
        tmp_path
        / "tree"
        / "dev_data"
        / "fan"
        / "train"
        / "section_00_source_train_normal_0000_.wav"
    )
    write_wav(stray, seconds=0.5, channels=1)
    dataset = Dcase2026(channel=channel, machines=part("dcase2026"))
    with pytest.raises(asdbench.DataError, match=f"{stray}: has 1 channel; "):
        dataset.load(tmp_path / "tree")
    assert len(Dcase2026(machines=part("dcase2026")).load(tmp_path / "tree")) > 0  # left
    info = CliRunner().invoke(cli, ["data", "info", "--dataset", "dcase2026", "--data-dir",
                                    str(tmp_path / "tree"), "--set", f"dataset.channel={channel}",
                                    "--set", f"dataset.machines={part('dcase2026')}"])  # fmt: skip
    assert info.exit_code == 2 and f"{stray}: has 1 channel" in info.output


@pytest.mark.slow
def test_2026_both_channels_run_end_to_end_and_score_by_its_rule(
    tmp_path, mlflow_tracking, asdbench_cache
):
    """``channel=both`` gives the embedder the near and the far microphone as two channels:
    the run scores every section by the 2026 rule (checked by hand from its submission), and
    its figures differ from the near microphone's alone."""
    gt, truth = write_year_tree(tmp_path / "tree", "dcase2026")
    args = ["run", "--dataset", "dcase2026", "--data-dir", str(tmp_path / "tree")]
    args += ["--set", f"dataset.machines={part('dcase2026')}"]
    args += ["--ground-truth", str(gt), "--set", "dataset.clip_seconds=0.5"]
    args += ["--embedder", "logmel_stats", "--set", "train.embedding_dim=16"]
    args += ["--set", "backend.n_means=2", "--quiet", "--format", "json"]
    both = CliRunner().invoke(cli, [*args, "--set", "dataset.channel=both", "--output", "both"])
    assert both.exit_code == 0, both.output
    report = json.loads(both.stdout)
    system = next((tmp_path / "both" / "submission" / "asdbench").iterdir())
    assert report["eval"]["official_score"] == pytest.approx(100 * official_by_hand(system, truth))
    left = CliRunner().invoke(cli, [*args, "--output", "left"])
    assert left.exit_code == 0, left.output
    assert json.loads(left.stdout)["dev"] != report["dev"]


def test_2026_parts_and_the_evaluation_test_records_archive_names():
    """2026 has all three parts; its evaluation test archives are asked for by the 2023-2025
    names (the local Zenodo server's tests check a record that lacks one is refused before
    any transfer), and its ToyCar development archive by its re-release name."""
    from asdbench_dcase.datasets import Dcase2026

    assert Dcase2026.records == {
        "dev": ("19336329", "dev_{m}.zip"),
        "eval-train": ("20151556", "eval_data_{m}_train.zip"),
        "eval-test": ("20437238", "eval_data_{m}_test.zip"),
    }
    assert Dcase2026.renamed["dev_ToyCar.zip"] == "dev_ToyCar_r2.zip"
    assert "20437238" in Dcase2026.how_to_obtain and "--ground-truth" in Dcase2026.how_to_obtain


def test_attributes_published_later_replace_withheld_ones(tmp_path):
    """With the correspondence folder (as the baseline ships it), a ``..._noAttribute`` clip
    takes the attributes of the labelled name it corresponds to; without, it has none."""
    machine = tmp_path / "tree" / "eval_data" / "BrushlessMotor"
    names = [
        "section_00_source_train_normal_0001_noAttribute.wav",
        "section_00_target_train_normal_0001_noAttribute.wav",
    ]
    write_clips(machine / "train", names)
    published = tmp_path / "dcase2024t2" / "eval_data" / "BrushlessMotor"
    published.mkdir(parents=True)
    (published / "attributes_00_train_correspondence.csv").write_text(
        "source_file_name,target_file_name\n"
        f"section_00_source_train_normal_0001_fl_0_nos_3.wav,{names[0]}\n"
        f"section_00_target_train_normal_0001_fl_2_nos_1.wav,{names[1]}\n"
    )
    withheld = Dcase2024().load(tmp_path / "tree", check=False)
    assert withheld.classes == ["BrushlessMotor_00######source", "BrushlessMotor_00######target"]
    restored = Dcase2024(attribute_correspondence=str(tmp_path / "dcase2024t2"))
    table = restored.load(tmp_path / "tree", check=False)
    assert [c.attributes for c in table] == [
        (("fl", "0"), ("nos", "3")),
        (("fl", "2"), ("nos", "1")),
    ]
    assert table.classes == [
        "BrushlessMotor_00###fl_0_nos_3###source",
        "BrushlessMotor_00###fl_2_nos_1###target",
    ]
    saved_by_excel = (published / "attributes_00_train_correspondence.csv").read_bytes()
    (published / "attributes_00_train_correspondence.csv").write_bytes(
        b"\xef\xbb\xbf" + saved_by_excel  # a UTF-8 byte-order mark, as Excel writes it
    )
    assert [c.attributes for c in restored.load(tmp_path / "tree", check=False)] == [
        (("fl", "0"), ("nos", "3")),
        (("fl", "2"), ("nos", "1")),
    ]
    (published / "attributes_00_train_correspondence.csv").write_text("a,b\n")
    with pytest.raises(asdbench.DataError, match="expected the header source_file_name"):
        restored.load(tmp_path / "tree", check=False)
    with pytest.raises(asdbench.DataError, match=r"no <dev_data\|eval_data>"):
        Dcase2025(attribute_correspondence=str(tmp_path / "tree" / "eval_data")).load(
            tmp_path / "tree"
        )
