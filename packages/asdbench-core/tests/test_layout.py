"""The DCASE tree reader on small trees with the real quirks, and its errors."""

import os
from pathlib import Path

import numpy as np
import pytest

from asdbench.data.clips import ClassScheme
from asdbench.data.layout import read_tree
from asdbench.errors import DataError
from asdbench.testing.trees import write_clips, write_ground_truth_csv, write_wav

TOYCAR_TRAIN = [
    "section_00_source_train_normal_0001_car_A1_spd_28V_mic_1.wav",
    "section_00_source_train_normal_0002_car_A2_spd_31V_mic_1.wav",
    "section_00_target_train_normal_0001_car_B1_spd_28V_mic_2.wav",
]
TOYCAR_TEST = [
    "section_00_source_test_normal_0001_car_A1_spd_28V_mic_1.wav",
    "section_00_target_test_anomaly_0001_car_B1_spd_28V_mic_2.wav",
    "section_00_target_test_normal_0050_car_C1_spd_40V_mic_2.wav",
]
SLIDER_TRAIN = [
    "section_00_source_train_normal_0000_vel_660_ac_0.09.wav",
    "section_00_target_train_normal_0000_vel_900_ac_0.12.wav",
]
VALVE_TEST = ["section_00_source_test_normal_0000_pat_04_panel_bs-c.wav"]
VACUUM_TRAIN = [
    "section_00_source_train_normal_0001_car_A1_spd_M_mic_1.wav",
    "section_00_source_train_normal_0000_car_A2_spd_H_mic_1.wav",
    "section_00_target_train_normal_0001_car_C2_spd_H_mic_2.wav",
]
# Unbalanced: 3 source normal, 1 source anomaly, 1 target normal, 1 target anomaly.
VACUUM_TRUTH = {
    "section_00_0000.wav": (0, 0),
    "section_00_0001.wav": (1, 1),
    "section_00_0002.wav": (0, 0),
    "section_00_0003.wav": (0, 1),
    "section_00_0004.wav": (1, 0),
    "section_00_0005.wav": (0, 0),
}


def make_plain_tree(root: Path) -> tuple[Path, Path]:
    dev, ev = root / "dev_data", root / "eval_data"
    write_clips(dev / "ToyCar" / "train", TOYCAR_TRAIN)
    write_clips(dev / "ToyCar" / "test", TOYCAR_TEST)
    (dev / "ToyCar" / "attributes_00.csv").write_text(
        "file_name,d1p,d1v,d2p,d2v,d3p,d3v\n"
        + "".join(f"ToyCar/train/{n},car,X,spd,Y,mic,Z\n" for n in TOYCAR_TRAIN)
    )
    write_clips(dev / "slider" / "train", SLIDER_TRAIN, seconds=0.1)
    write_clips(dev / "valve" / "test", VALVE_TEST)
    write_clips(ev / "Vacuum" / "train", VACUUM_TRAIN)
    (ev / "Vacuum" / "attributes_00.csv").write_text(  # Vacuum style: no prefix, no .wav
        "file_name,d1p,d1v,d2p,d2v\n" + "".join(f"{n[:-4]},car,X,mic,Z\n" for n in VACUUM_TRAIN)
    )
    write_clips(ev / "Vacuum" / "test", VACUUM_TRUTH)
    write_clips(ev / "Vacuum" / "test_rename", ["section_00_source_test_normal_0000_x_1.wav"])
    truth = root / "evaluator"
    write_ground_truth_csv(
        truth, "data", "Vacuum", "00", [(n, v[0]) for n, v in VACUUM_TRUTH.items()]
    )
    write_ground_truth_csv(
        truth, "domain", "Vacuum", "00", [(n, v[1]) for n, v in VACUUM_TRUTH.items()]
    )
    return root, truth


def by_file(table, machine):
    return {clip.file: clip for clip in table if clip.machine == machine}


def test_plain_layout_every_column(tmp_path):
    root, truth = make_plain_tree(tmp_path)
    table = read_tree(root, dataset="dcase2023", ground_truth=truth).with_classes(ClassScheme())
    assert len(table) == 3 + 3 + 2 + 1 + 3 + 6
    toycar = by_file(table, "ToyCar")
    clip = toycar["section_00_target_train_normal_0001_car_B1_spd_28V_mic_2.wav"]
    assert clip.path == root / "dev_data/ToyCar/train" / clip.file
    assert (clip.dataset, clip.partition, clip.machine, clip.section) == (
        "dcase2023",
        "dev",
        "ToyCar",
        "00",
    )
    assert (clip.domain, clip.split, clip.label) == ("target", "train", "normal")
    # Attributes come from the name (the CSV lists X/Y/Z placeholders).
    assert clip.attributes == (("car", "B1"), ("spd", "28V"), ("mic", "2"))
    assert clip.duration == pytest.approx(0.05)
    assert clip.aux_class == "ToyCar_00###car_B1_spd_28V_mic_2###target"
    anomaly = toycar["section_00_target_test_anomaly_0001_car_B1_spd_28V_mic_2.wav"]
    assert (anomaly.split, anomaly.label, anomaly.aux_class) == ("test", "anomaly", clip.aux_class)
    unseen = toycar["section_00_target_test_normal_0050_car_C1_spd_40V_mic_2.wav"]
    assert unseen.aux_class is None  # no training clip has that class
    slider = by_file(table, "slider")["section_00_source_train_normal_0000_vel_660_ac_0.09.wav"]
    assert slider.attributes == (
        ("vel", "660"),
        ("ac", "0.09"),
    ) and slider.duration == pytest.approx(0.1)
    assert by_file(table, "valve")[VALVE_TEST[0]].attributes == (("pat", "04"), ("panel", "bs-c"))


def test_eval_test_labels_come_from_ground_truth_by_name(tmp_path):
    root, truth = make_plain_tree(tmp_path)
    table = read_tree(root, dataset="dcase2023", ground_truth=truth)
    vacuum = by_file(table, "Vacuum")
    assert "section_00_source_test_normal_0000_x_1.wav" not in vacuum  # test_rename/ is ignored
    for name, (label, domain) in VACUUM_TRUTH.items():
        clip = vacuum[name]
        assert (clip.partition, clip.split) == ("eval", "test")
        assert clip.label == ("anomaly" if label else "normal")
        assert clip.domain == ("target" if domain else "source")
        assert clip.attributes == () and clip.section == "00"
    counts = table.where(machine="Vacuum", split="test").counts("domain", "label")
    assert counts == {
        ("source", "normal"): 3,
        ("source", "anomaly"): 1,
        ("target", "normal"): 1,
        ("target", "anomaly"): 1,
    }


def test_without_ground_truth_eval_test_clips_stay_unknown(tmp_path):
    root, _ = make_plain_tree(tmp_path)
    table = read_tree(root, dataset="dcase2023")
    vacuum_test = table.where(machine="Vacuum", split="test")
    assert len(vacuum_test) == 6
    assert {(c.domain, c.label) for c in vacuum_test} == {("unknown", "unknown")}


def test_one_based_vacuum_index_series_and_csv_forms(tmp_path):
    root, truth = make_plain_tree(tmp_path)
    table = read_tree(root, dataset="dcase2023", ground_truth=truth)
    train = table.where(machine="Vacuum", split="train")
    assert sorted(c.file.split("_")[5] for c in train) == ["0000", "0001", "0001"]
    assert table.problems == []  # both CSV forms matched every listed file


def test_train_plus_dev_test_classes(tmp_path):
    root, truth = make_plain_tree(tmp_path)
    table = read_tree(root, dataset="d", ground_truth=truth)
    train_only = table.with_classes(ClassScheme())
    with_dev_test = table.with_classes(ClassScheme(include_dev_test=True))
    extra = set(with_dev_test.classes) - set(train_only.classes)
    assert extra == {
        "ToyCar_00###car_C1_spd_40V_mic_2###target",
        "valve_00###pat_04_panel_bs-c###source",
    }
    assert len(table.with_classes(ClassScheme(attributes=False, domain=False)).classes) == 3


@pytest.mark.parametrize("start", ["", "data", "data/dcase2023t2"])
def test_baseline_layout(tmp_path, start):
    raw = tmp_path / "data" / "dcase2023t2" / "dev_data" / "raw"
    write_clips(raw / "fan" / "train", ["section_00_target_train_normal_0003_m-n_Z.wav"])
    write_clips(raw / "fan" / "test", ["section_00_source_test_anomaly_0000_m-n_W.wav"])
    eval_raw = tmp_path / "data" / "dcase2023t2" / "eval_data" / "raw"
    write_clips(eval_raw / "shaker" / "test", ["section_00_0000.wav"])
    table = read_tree(tmp_path / start, dataset="dcase2023", year_folder="dcase2023t2")
    assert [(c.partition, c.machine, c.split, c.label) for c in table] == [
        ("dev", "fan", "test", "anomaly"),
        ("dev", "fan", "train", "normal"),
        ("eval", "shaker", "test", "unknown"),
    ]


def test_odd_attribute_tokens_become_a_problem(tmp_path):
    write_clips(
        tmp_path / "dev_data" / "fan" / "train",
        ["section_00_source_train_normal_0000_mic_1_car.wav"],
    )
    table = read_tree(tmp_path, dataset="d")
    assert "odd number of attribute tokens" in table.problems[0]
    assert table[0].attributes == (("mic", "1"), ("car", ""))


def test_supplemental_clips_are_their_own_split_never_trained_on(tmp_path):
    """2025: ``<machine>/supplemental/`` holds the machine's sound alone and the noise alone;
    they are read as the split ``supplemental`` (``data info`` counts them), with their content
    as an attribute, and take no part in the auxiliary classes or the scores."""
    machine = tmp_path / "eval_data" / "AutoTrash"
    write_clips(machine / "train", ["section_00_source_train_normal_0000_.wav"])
    write_clips(
        machine / "supplemental",
        ["section_00_machine_0001_.wav", "section_00_noise_0001_.wav"],
    )
    (machine / "attributes_00.csv").write_text(
        "file_name,d1p,d1v\neval_data/AutoTrash/train/section_00_source_train_normal_0000_.wav"
        ",load,3\n"
    )
    table = read_tree(tmp_path, dataset="d").with_classes(ClassScheme())
    by_split = {c.split: c for c in table}
    assert sorted(c.split for c in table) == ["supplemental", "supplemental", "train"]
    assert by_split["train"].attributes == (("load", "3"),)
    assert {c.attributes for c in table if c.split == "supplemental"} == {
        (("content", "machine"),),
        (("content", "noise"),),
    }
    assert table.classes == ["AutoTrash_00###load_3###source"]
    assert all(c.aux_class is None for c in table if c.split == "supplemental")
    assert table.problems == []


# Bad input ------------------------------------------------------------------------------


def test_missing_folder(tmp_path):
    with pytest.raises(DataError, match="nowhere: no such folder"):
        read_tree(tmp_path / "nowhere", dataset="d")


def test_unknown_layout(tmp_path):
    write_clips(tmp_path / "audio", ["a.wav"])
    with pytest.raises(DataError, match="no DCASE layout found"):
        read_tree(tmp_path, dataset="d")


def test_empty_machine_folders(tmp_path):
    (tmp_path / "dev_data" / "fan" / "train").mkdir(parents=True)
    with pytest.raises(DataError, match="hold no .wav files"):
        read_tree(tmp_path, dataset="d")


def test_corrupt_and_empty_wav_name_the_file(tmp_path):
    folder = tmp_path / "dev_data" / "fan" / "train"
    write_clips(folder, ["section_00_source_train_normal_0000_a_1.wav"])
    (folder / "section_00_source_train_normal_0001_a_1.wav").write_bytes(b"RIFF\x00garbage" * 10)
    with pytest.raises(DataError, match="0001_a_1.wav: not a readable audio file"):
        read_tree(tmp_path, dataset="d")
    (folder / "section_00_source_train_normal_0001_a_1.wav").write_bytes(b"")
    with pytest.raises(DataError, match=r"0001_a_1.wav: empty \(0 bytes\)"):
        read_tree(tmp_path, dataset="d")
    table = read_tree(tmp_path, dataset="d", skip_bad_files=True)
    assert (
        len(table) == 1 and "skipped" in table.problems[0] and "0001_a_1.wav" in table.problems[0]
    )


def test_malformed_name_is_an_error_naming_it(tmp_path):
    write_clips(tmp_path / "dev_data" / "fan" / "train", ["fan_recording_1.wav"])
    with pytest.raises(DataError, match="fan_recording_1.wav: not a DCASE clip name"):
        read_tree(tmp_path, dataset="d")


def test_anonymised_name_in_dev_is_an_error(tmp_path):
    write_clips(tmp_path / "dev_data" / "fan" / "test", ["section_00_0000.wav"])
    with pytest.raises(DataError, match="anonymised name outside eval_data"):
        read_tree(tmp_path, dataset="d")


def test_name_split_must_match_folder(tmp_path):
    write_clips(
        tmp_path / "dev_data" / "fan" / "test", ["section_00_source_train_normal_0000_a_1.wav"]
    )
    with pytest.raises(DataError, match="the name says 'train' but the file is in test/"):
        read_tree(tmp_path, dataset="d")


@pytest.fixture
def eval_tree(tmp_path):
    write_clips(
        tmp_path / "eval_data" / "shaker" / "test", ["section_00_0000.wav", "section_00_0001.wav"]
    )
    return tmp_path


def test_ground_truth_with_missing_rows(eval_tree):
    gt = eval_tree / "gt"
    write_ground_truth_csv(gt, "data", "shaker", "00", [("section_00_0000.wav", 1)])
    write_ground_truth_csv(gt, "domain", "shaker", "00", [("section_00_0000.wav", 0)])
    with pytest.raises(
        DataError, match=r"no row for 1 clip\(s\) of shaker section 00 \(e.g. section_00_0001.wav\)"
    ):
        read_tree(eval_tree, dataset="d", ground_truth=gt)


def test_ground_truth_with_rows_for_absent_clips(eval_tree):
    gt = eval_tree / "gt"
    rows = [("section_00_0000.wav", 1), ("section_00_0001.wav", 0), ("section_00_0002.wav", 0)]
    write_ground_truth_csv(gt, "data", "shaker", "00", rows)
    write_ground_truth_csv(gt, "domain", "shaker", "00", rows)
    with pytest.raises(DataError, match="1 row.*not in the data.*section_00_0002.wav"):
        read_tree(eval_tree, dataset="d", ground_truth=gt)


def test_ground_truth_with_duplicate_names(eval_tree):
    gt = eval_tree / "gt"
    rows = [("section_00_0000.wav", 1), ("section_00_0000.wav", 0)]
    write_ground_truth_csv(gt, "data", "shaker", "00", rows)
    write_ground_truth_csv(gt, "domain", "shaker", "00", rows)
    with pytest.raises(DataError, match="duplicate row for section_00_0000.wav"):
        read_tree(eval_tree, dataset="d", ground_truth=gt)


def test_ground_truth_bad_value_and_missing_domain_file(eval_tree):
    gt = eval_tree / "gt"
    write_ground_truth_csv(gt, "data", "shaker", "00", [("section_00_0000.wav", 2)])
    domain = write_ground_truth_csv(gt, "domain", "shaker", "00", [("section_00_0000.wav", 0)])
    with pytest.raises(DataError, match=r"expected '<file>,<0 or 1>', got 'section_00_0000.wav,2'"):
        read_tree(eval_tree, dataset="d", ground_truth=gt)
    domain.unlink()
    with pytest.raises(
        DataError, match="ground_truth_domain/ground_truth_shaker_section_00_test.csv: missing"
    ):
        read_tree(eval_tree, dataset="d", ground_truth=gt)


def test_not_a_ground_truth_folder(eval_tree):
    with pytest.raises(DataError, match="not a ground-truth folder"):
        read_tree(eval_tree, dataset="d", ground_truth=eval_tree)


def test_stereo_44k_file_is_listed_with_its_duration(tmp_path):
    write_wav(
        tmp_path / "dev_data/fan/train/section_00_source_train_normal_0000_a_1.wav",
        seconds=0.2,
        sample_rate=44100,
        channels=2,
    )
    [clip] = read_tree(tmp_path, dataset="d")
    assert clip.duration == pytest.approx(0.2)


def test_ground_truth_missing_a_machine_is_an_error_naming_it(eval_tree):
    """A partition's official score covers all its sections or none: ground truth without one
    machine's labels (its domain file may be there) is an error, not a smaller eval score."""
    write_clips(eval_tree / "eval_data" / "bandsaw" / "test", ["section_00_0000.wav"])
    gt = eval_tree / "gt"
    rows = [("section_00_0000.wav", 1), ("section_00_0001.wav", 0)]
    write_ground_truth_csv(gt, "data", "shaker", "00", rows)
    write_ground_truth_csv(gt, "domain", "shaker", "00", rows)
    with pytest.raises(DataError, match="no ground truth for 1 eval section.*: bandsaw section 00"):
        read_tree(eval_tree, dataset="d", ground_truth=gt)
    write_ground_truth_csv(gt, "domain", "bandsaw", "00", [("section_00_0000.wav", 1)])
    with pytest.raises(
        DataError, match="ground_truth_data/ground_truth_bandsaw_section_00_test.csv: missing"
    ):
        read_tree(eval_tree, dataset="d", ground_truth=gt)
    write_ground_truth_csv(gt, "data", "bandsaw", "00", [("section_00_0000.wav", 0)])
    table = read_tree(eval_tree, dataset="d", ground_truth=gt)
    assert {c.label for c in table} == {"normal", "anomaly"}


TRAIN_NAME = "section_00_source_train_normal_0000_a_1.wav"


def test_upper_case_wav_is_read_and_other_files_are_listed(tmp_path):
    folder = tmp_path / "dev_data" / "fan" / "train"
    write_clips(folder, [TRAIN_NAME.replace(".wav", ".WAV")])
    (folder / "notes.txt").write_text("not audio")
    table = read_tree(tmp_path, dataset="d")
    assert [c.file for c in table] == [TRAIN_NAME.replace(".wav", ".WAV")]
    assert any(
        "1 file(s) that are not .wav left out (e.g. 'notes.txt')" in p for p in table.problems
    )


def test_folders_the_reader_does_not_read_are_listed_as_left_out(tmp_path):
    """A ``validation/`` folder beside ``train/`` and ``test/``, and a folder inside
    ``train/``: each is named as left out, never taken for files that are not .wav."""
    machine = tmp_path / "dev_data" / "fan"
    write_clips(machine / "train", [TRAIN_NAME])
    write_clips(machine / "train" / "extra", [TRAIN_NAME])
    write_clips(machine / "validation", [TRAIN_NAME])
    table = read_tree(tmp_path, dataset="d")
    assert [c.file for c in table] == [TRAIN_NAME]
    assert (
        f"{machine}: folder(s) validation left out: d reads clips from train/, test/, "
        "supplemental/ only" in (table.problems)
    )
    assert (
        f"{machine / 'train'}: 1 folder(s) left out (clips are read from the folder itself, "
        "not below it; e.g. 'extra')" in table.problems
    )
    assert not any("not .wav" in problem for problem in table.problems)


def test_a_dangling_link_names_the_file_and_can_be_skipped(tmp_path):
    folder = tmp_path / "dev_data" / "fan" / "train"
    write_clips(folder, [TRAIN_NAME])
    (folder / TRAIN_NAME.replace("0000", "0001")).symlink_to(tmp_path / "gone.wav")
    with pytest.raises(DataError, match="0001_a_1.wav: a link to a file that does not exist"):
        read_tree(tmp_path, dataset="d")
    table = read_tree(tmp_path, dataset="d", skip_bad_files=True)
    assert len(table) == 1 and any("a link to a file" in p for p in table.problems)


def test_a_file_name_that_is_not_utf8_is_an_error(tmp_path):
    folder = tmp_path / "dev_data" / "fan" / "train"
    write_clips(folder, [TRAIN_NAME])
    [written] = write_clips(folder, [TRAIN_NAME.replace("0000", "0001")])
    os.rename(written, os.fsencode(folder) + b"/section_00_source_train_normal_0001_a_\xe9.wav")
    with pytest.raises(DataError, match=r"the file name b'section_00_.*\\xe9.wav' is not UTF-8"):
        read_tree(tmp_path, dataset="d")


def test_files_decoding_would_refuse_are_refused_when_listed(tmp_path):
    """``data info`` and ``run`` read the tree alike: a WAV cut short, NaN samples in a float
    file, a header whose rate makes the clip absurdly long all stop the listing."""
    folder = tmp_path / "dev_data" / "fan" / "train"
    [good] = write_clips(folder, [TRAIN_NAME])
    cut = folder / TRAIN_NAME.replace("0000", "0001")
    cut.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(DataError, match=r"0001_a_1.wav: truncated \(200 bytes"):
        read_tree(tmp_path, dataset="d")
    cut.unlink()
    samples = np.zeros(800, dtype=np.float32)
    samples[10] = np.nan
    write_wav(folder / TRAIN_NAME.replace("0000", "0002"), samples=samples, subtype="FLOAT")
    with pytest.raises(DataError, match="0002_a_1.wav: contains NaN or infinite samples"):
        read_tree(tmp_path, dataset="d")
    (folder / TRAIN_NAME.replace("0000", "0002")).unlink()
    write_wav(folder / TRAIN_NAME.replace("0000", "0003"), seconds=2000, sample_rate=1)
    with pytest.raises(DataError, match=r"0003_a_1.wav: lasts 2000 s \(2000 frames at 1 Hz\)"):
        read_tree(tmp_path, dataset="d", max_seconds=180)


@pytest.mark.parametrize(
    ("encoding", "ok"), [("utf-8-sig", True), ("utf-16", True), ("latin-1", False)]
)
def test_attribute_csv_encodings(tmp_path, encoding, ok):
    machine = tmp_path / "dev_data" / "fan"
    write_clips(machine / "train", ["section_00_source_train_normal_0000.wav"])
    (machine / "attributes_00.csv").write_bytes(
        "file_name,d1p,d1v\nfan/train/section_00_source_train_normal_0000.wav,vél,Ä\n".encode(
            encoding
        )
    )
    if ok:
        [clip] = read_tree(tmp_path, dataset="d")
        assert clip.attributes == (("vél", "Ä"),)
    else:
        with pytest.raises(DataError, match=r"attributes_00.csv: not UTF-8 text \(byte"):
            read_tree(tmp_path, dataset="d")
