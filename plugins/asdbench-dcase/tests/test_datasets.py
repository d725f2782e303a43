"""The dcase2022 and dcase2023 datasets: year facts, layouts, ground truth, discovery."""

import pytest

import asdbench
from asdbench import DataError
from asdbench.testing import write_clips, write_ground_truth_csv
from asdbench_dcase.datasets import Dcase2022, Dcase2023


def test_plugin_is_discoverable():
    for name in ("dcase2022", "dcase2023"):
        assert asdbench.component("dataset", name).plugin.distribution == "asdbench-dcase"


def test_year_facts():
    assert Dcase2023().clip_samples == 288_000 and Dcase2022().clip_samples == 160_000
    assert Dcase2023(clip_seconds=10).clip_samples == 160_000
    assert set(Dcase2023.machine_types["dev"]).isdisjoint(Dcase2023.machine_types["eval"])
    assert Dcase2022.machine_types["dev"] == Dcase2022.machine_types["eval"]
    assert Dcase2022.sections == {"dev": ("00", "01", "02"), "eval": ("03", "04", "05")}


def test_without_data_dir_the_error_says_how_to_obtain_it():
    with pytest.raises(DataError, match=r"needs --data-dir.*asdbench data download dcase2023"):
        Dcase2023().load(None)


def test_baseline_layout_and_unexpected_machine_types(tmp_path):
    """A tree with machine types the year does not have, or without some of its own, is
    refused naming them; read without the check, they are listed as problems; asked for as a
    subset, the tree is read as that part, and the score rule says so."""
    raw = tmp_path / "data" / "dcase2023t2" / "dev_data" / "raw"
    write_clips(raw / "fan" / "train", ["section_00_source_train_normal_0000_m-n_W.wav"])
    write_clips(raw / "drill" / "train", ["section_00_source_train_normal_0000_x_1.wav"])
    with pytest.raises(
        DataError,
        match="drill: not a dcase2023 dev machine type; ToyCar: dcase2023 dev machine type not f",
    ):
        Dcase2023().load(tmp_path)
    table = Dcase2023().load(tmp_path, check=False)
    assert {c.machine for c in table} == {"fan", "drill"}
    assert "drill: not a dcase2023 dev machine type" in table.problems
    assert "bearing: dcase2023 dev machine type not found" in table.problems
    assert table.classes == ["drill_00###x_1###source", "fan_00###m-n_W###source"]
    fan = Dcase2023(machines="fan")
    assert {c.machine for c in fan.load(tmp_path)} == {"fan"}
    assert fan.official_score.label == "dcase2023 rule, on fan only"
    assert Dcase2023().official_score.label == "dcase2023 rule"
    for bad, message in (("fan+drill", "drill not a dcase2023 machine type"),
                         ("fan+fan", "joined with +"), ("fan+", "joined with +")):  # fmt: skip
        with pytest.raises(ValueError, match=message):
            Dcase2023(machines=bad)


def test_a_section_with_training_clips_but_no_test_clips_is_part_of_a_partition(tmp_path):
    names = ["section_00_source_train_normal_0000_m-n_W.wav"]
    tests = ["section_00_source_test_normal_0000_m-n_W.wav"]
    for machine in Dcase2023.machine_types["dev"]:
        write_clips(tmp_path / "dev_data" / machine / "train", names)
        if machine != "fan":
            write_clips(tmp_path / "dev_data" / machine / "test", tests)
    with pytest.raises(DataError, match=r"fan section 00: no test clips \(dev\)"):
        Dcase2023().load(tmp_path)
    write_clips(tmp_path / "dev_data" / "fan" / "test", tests)
    assert len(Dcase2023().load(tmp_path)) == 14


def test_2022_sections_are_checked(tmp_path):
    write_clips(
        tmp_path / "dev_data/ToyCar/train",
        ["section_03_source_train_normal_0000_car_A1_spd_28V_mic_1_noise_1.wav"],
    )
    with pytest.raises(DataError, match="section 03: not a dcase2022 dev section; ToyCar se"):
        Dcase2022(machines="ToyCar").load(tmp_path)


def test_2022_eval_labels_come_only_from_the_evaluator_ground_truth(tmp_path):
    """The baseline's test_rename/ copies carry the defective 2022 ToyCar labels; they are
    never read."""
    folder = tmp_path / "eval_data" / "ToyCar"
    write_clips(folder / "test", ["section_03_0000.wav", "section_03_0001.wav"])
    write_clips(
        folder / "test_rename",
        [
            "section_03_source_test_normal_0000_car_A1.wav",
            "section_03_target_test_anomaly_0000_car_A1.wav",
        ],
    )
    truth = tmp_path / "dcase2022_evaluator"
    write_ground_truth_csv(
        truth, "data", "ToyCar", "03", [("section_03_0000.wav", 1), ("section_03_0001.wav", 0)]
    )
    write_ground_truth_csv(
        truth, "domain", "ToyCar", "03", [("section_03_0000.wav", 0), ("section_03_0001.wav", 1)]
    )
    table = Dcase2022().load(tmp_path, ground_truth=truth, check=False)
    assert [(c.file, c.label, c.domain) for c in table] == [
        ("section_03_0000.wav", "anomaly", "source"),
        ("section_03_0001.wav", "normal", "target"),
    ]
