"""The built-in synthetic dataset: layout, counts, determinism, ground truth, difficulty."""

import hashlib
import json

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner
from sklearn.metrics import roc_auc_score

from asdbench.cli import cli
from asdbench.data.synthetic import SynthesisPlan, SyntheticDataset, ensure_tree, machine_types
from asdbench.errors import DataError

# What the default ("small") size writes, per machine type: written out here independently of
# the generator's own tables.
TRAIN_SOURCE, TRAIN_TARGET, TEST_GROUP = 100, 10, 20
UNBALANCED = {
    ("source", "normal"): 27,
    ("source", "anomaly"): 16,
    ("target", "normal"): 24,
    ("target", "anomaly"): 13,
}


def expected_counts():
    rows = {}
    for partition, machine in (
        ("dev", "gears"),
        ("dev", "rotor"),
        ("eval", "blower"),
        ("eval", "valve"),
    ):
        rows[(partition, machine, "00", "train", "source", "normal")] = TRAIN_SOURCE
        rows[(partition, machine, "00", "train", "target", "normal")] = TRAIN_TARGET
        for domain in ("source", "target"):
            for label in ("normal", "anomaly"):
                count = UNBALANCED[(domain, label)] if machine == "valve" else TEST_GROUP
                rows[(partition, machine, "00", "test", domain, label)] = count
    return rows


def test_data_info_reports_exactly_the_counts_written(synthetic_root):
    result = CliRunner().invoke(cli, ["data", "info", "--data-dir", str(synthetic_root), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output)
    found = {
        (r["partition"], r["machine"], r["section"], r["split"], r["domain"], r["label"]): r[
            "clips"
        ]
        for r in info["counts"]
    }
    assert found == expected_counts()
    assert info["clips"] == sum(expected_counts().values()) and info["problems"] == []
    assert {m: d["max"] for m, d in info["durations"].items()} == dict.fromkeys(
        ["blower", "gears", "rotor", "valve"], 2.0
    )


def test_files_on_disk_match_the_dcase2023_layout(synthetic_root):
    eval_test = sorted(p.name for p in (synthetic_root / "eval_data/valve/test").iterdir())
    assert eval_test[0] == "section_00_0000.wav" and len(eval_test) == 80
    gears = sorted(p.name for p in (synthetic_root / "dev_data/gears/train").iterdir())
    assert gears[0].startswith("section_00_source_train_normal_0001_volt_")  # 1-based series
    rotor = sorted(p.name for p in (synthetic_root / "dev_data/rotor/train").iterdir())
    assert rotor[0].startswith("section_00_source_train_normal_0000_load_")  # 0-based, dotted
    assert any(
        "_panel_bs-c" in p.name for p in (synthetic_root / "eval_data/valve/train").iterdir()
    )
    info = soundfile.info(str(synthetic_root / "eval_data/valve/test/section_00_0000.wav"))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (
        16000,
        1,
        "PCM_16",
        32000,
    )
    header = (synthetic_root / "eval_data/valve/attributes_00.csv").read_text().splitlines()[0]
    assert header == "file_name,d1p,d1v,d2p,d2v"


def test_ground_truth_agrees_with_the_hidden_labelled_names(synthetic_root):
    gt = synthetic_root / "ground_truth"
    for machine in ("blower", "valve"):
        name = f"ground_truth_{machine}_section_00_test.csv"
        labels = dict(
            line.split(",") for line in (gt / "ground_truth_data" / name).read_text().split()
        )
        domains = dict(
            line.split(",") for line in (gt / "ground_truth_domain" / name).read_text().split()
        )
        hidden = dict(
            line.split(",") for line in (gt / "ground_truth_attributes" / name).read_text().split()
        )
        assert labels.keys() == domains.keys() == hidden.keys()
        for anonymous, labelled in hidden.items():
            tokens = labelled.split("_")
            assert labels[anonymous] == str(int(tokens[4] == "anomaly"))
            assert domains[anonymous] == str(int(tokens[2] == "target"))


def test_target_domain_uses_attribute_values_the_source_never_has(synthetic_root):
    table = SyntheticDataset().load(synthetic_root)
    for machine in ("rotor", "gears", "valve", "blower"):
        train = table.where(machine=machine, split="train")
        source = {a for c in train if c.domain == "source" for a in c.attributes}
        target = {a for c in train if c.domain == "target" for a in c.attributes}
        assert target - source, machine


def test_same_seed_same_files_other_seed_other_audio(synthetic_root, tmp_path):
    plan = SyntheticDataset().plan
    again = ensure_tree(tmp_path / "again", plan, progress=False)

    def digest(root):
        files = sorted(p for p in root.rglob("*") if p.is_file())
        return hashlib.sha256(
            b"".join(p.relative_to(root).as_posix().encode() + p.read_bytes() for p in files)
        ).hexdigest()

    assert digest(again) == digest(synthetic_root)
    other = ensure_tree(tmp_path / "other", SynthesisPlan("small", 1, 2.0), progress=False)
    name = "eval_data/valve/test/section_00_0000.wav"
    assert (other / name).read_bytes() != (synthetic_root / name).read_bytes()


def test_existing_tree_is_reused_and_foreign_folders_are_refused(synthetic_root, tmp_path):
    assert ensure_tree(synthetic_root, SyntheticDataset().plan) == synthetic_root
    with pytest.raises(DataError, match="written with other options"):
        ensure_tree(synthetic_root, SynthesisPlan("small", 7, 2.0))
    (tmp_path / "mine.txt").write_text("user data")
    with pytest.raises(DataError, match="not a synthetic dataset"):
        ensure_tree(tmp_path, SynthesisPlan("small", 0, 2.0))


def test_full_size_has_dcase2023_scale_with_every_sound_model():
    types = machine_types("full")
    assert [len(types["dev"]), len(types["eval"])] == [7, 7]
    names = [m.name for ms in types.values() for m in ms]
    assert len(set(names)) == 14 and not any("_" in n for n in names)
    assert {m.family for ms in types.values() for m in ms} == {"rotor", "gears", "valve", "blower"}


def _log_spectrum(path):
    wave, _ = soundfile.read(str(path))
    frames = np.lib.stride_tricks.sliding_window_view(wave, 1024)[::512] * np.hanning(1024)
    power = np.log(np.abs(np.fft.rfft(frames, axis=1)) ** 2 + 1e-10)
    return np.concatenate([power.mean(0), power.std(0)])


def test_anomalies_are_detectable_but_not_trivial(synthetic_root):
    """A deliberately simple detector (standardised log-spectrum statistics, nearest training
    clip) must find the dev anomalies well above chance, and not perfectly."""
    table = SyntheticDataset().load(synthetic_root).where(partition="dev")
    aucs = []
    for machine in ("gears", "rotor"):
        train = np.array(
            [_log_spectrum(c.path) for c in table.where(machine=machine, split="train")]
        )
        test = table.where(machine=machine, split="test")
        features = np.array([_log_spectrum(c.path) for c in test])
        mean, std = train.mean(0), train.std(0) + 1e-6
        distances = (((features - mean) / std)[:, None] - ((train - mean) / std)[None]) ** 2
        scores = distances.sum(-1).min(1)
        aucs.append(roc_auc_score([c.label == "anomaly" for c in test], scores))
    assert min(aucs) > 0.65 and max(aucs) < 0.97, aucs


def test_layout_emits_the_same_clips_in_another_datasets_layout(asdbench_cache, register_plugin):
    """``layout=NAME`` lays the synthetic clips out as dataset NAME writes its year (here the
    default, the 2022-2026 plain layout with anonymised eval test names), reads them back with
    that dataset and takes its rule: the same clips, labels, domains, attributes and audio."""
    import hashlib

    import asdbench
    from asdbench.contracts import ScoreRule
    from asdbench.data.datasets import DcaseLayoutDataset

    class PlainYear(DcaseLayoutDataset):
        name = "plainyear"
        official_score = ScoreRule("plainyear")

    class Registers:
        @asdbench.hookimpl
        def asdbench_datasets(self):
            yield asdbench.DatasetSpec(name="plainyear", factory=PlainYear, summary="a year")

    register_plugin(Registers(), "plainyear")

    def content(table):
        return sorted(
            (c.partition, c.machine, c.section, c.domain, c.split, c.label, c.attributes,
             hashlib.md5(c.path.read_bytes()).hexdigest())
            for c in table
        )  # fmt: skip

    plain = SyntheticDataset(size="tiny")
    emitting = SyntheticDataset(size="tiny", layout="plainyear")
    assert emitting.official_score == ScoreRule("plainyear")
    original, emitted = plain.load(), emitting.load()
    assert content(emitted) == content(original)
    assert {c.dataset for c in emitted} == {"synthetic"} and emitted.problems == []
    assert emitted.classes == original.classes
    root = emitted[0].path.parents[3]
    assert root.name.endswith("-plainyear")
    assert sorted(p.name for p in (root / "eval_data/valve/test").iterdir())[0] == (
        "section_00_0000.wav"
    )
    assert (
        root / "ground_truth/ground_truth_domain/ground_truth_valve_section_00_test.csv"
    ).exists()


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ("nope", "layout 'nope': unknown dataset 'nope'"),
        ("synthetic2022", "layout 'synthetic2022': not a dataset read from a DCASE tree"),
    ],
)
def test_a_layout_that_cannot_be_emitted_is_refused(layout, message):
    import asdbench

    with pytest.raises(asdbench.OptionError, match=message):
        asdbench.create("dataset", "synthetic", layout=layout)
