"""The built-in synthetic dataset: layout, counts, determinism and ground truth of the written
tree, and the properties of the real DCASE data it reproduces (docs/datasets.md), each checked
on generated audio against a computation written out here with numpy."""

import hashlib
import itertools
import json
from dataclasses import replace

import numpy as np
import pytest
import soundfile
from click.testing import CliRunner

from asdbench.cli import cli
from asdbench.errors import DataError
from asdbench.synthetic import SynthesisPlan, SyntheticDataset, ensure_tree, machine_types
from asdbench.synthetic.design import SIZES, file_seconds, section_shift
from asdbench.synthetic.faults import DAMAGE, Fault, bearing_frequencies
from asdbench.synthetic.machines import FAMILIES, valve_events
from asdbench.synthetic.mixing import SectionSound
from asdbench.synthetic.noise import noise_stem
from asdbench.synthetic.signals import seeded
from asdbench.synthetic.tree import section_clips

RATE = 16000
# What the "tiny" size writes, per machine type, written out here independently of the
# generator's tables: 16 + 4 training clips, 4 test clips per group; the first eval type
# (valve) takes DCASE2023's bandsaw imbalance, 67/40/60/33 of 50, i.e. 5/3/5/3 of 4.
TRAIN_SOURCE, TRAIN_TARGET, TEST_GROUP = 16, 4, 4
UNBALANCED = {
    ("source", "normal"): 5,
    ("source", "anomaly"): 3,
    ("target", "normal"): 5,
    ("target", "anomaly"): 3,
}
TINY_SECONDS = {"rotor": 1.0, "gears": 1.2, "valve": 1.6, "blower": 1.0}


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return ensure_tree(
        tmp_path_factory.mktemp("synthetic") / "tree",
        SyntheticDataset(size="tiny").plan,
        progress=False,
    )


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


def test_data_info_reports_exactly_the_counts_written(tiny_root):
    result = CliRunner().invoke(
        cli, ["data", "info", "--data-dir", str(tiny_root), "--set", "dataset.size=tiny", "--json"]
    )
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
    assert {m: d["max"] for m, d in info["durations"].items()} == TINY_SECONDS


def test_files_on_disk_match_the_dcase2023_layout(tiny_root):
    eval_test = sorted(p.name for p in (tiny_root / "eval_data/valve/test").iterdir())
    assert eval_test[0] == "section_00_0000.wav" and len(eval_test) == 16
    gears = sorted(p.name for p in (tiny_root / "dev_data/gears/train").iterdir())
    assert gears[0].startswith("section_00_source_train_normal_0001_volt_")  # 1-based series
    rotor = sorted(p.name for p in (tiny_root / "dev_data/rotor/train").iterdir())
    assert rotor[0].startswith("section_00_source_train_normal_0000_vel_")  # 0-based
    assert any("_ld_0.8" in name for name in rotor)  # dotted values
    assert any("_panel_bs-c" in p.name for p in (tiny_root / "eval_data/valve/train").iterdir())
    info = soundfile.info(str(tiny_root / "eval_data/valve/test/section_00_0000.wav"))
    assert (info.samplerate, info.channels, info.subtype, info.frames) == (
        16000,
        1,
        "PCM_16",
        25600,
    )
    header = (tiny_root / "eval_data/valve/attributes_00.csv").read_text().splitlines()[0]
    assert header == "file_name,d1p,d1v,d2p,d2v"


def test_ground_truth_agrees_with_the_hidden_labelled_names(tiny_root):
    gt = tiny_root / "ground_truth"
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


def test_a_written_file_is_its_machine_and_noise_stems_mixed(tiny_root):
    """The file holds exactly machine + noise (16-bit rounded): nothing rescales it per clip."""
    plan = SyntheticDataset(size="tiny").plan
    rotor = machine_types("tiny")["dev"][0]
    clip = next(iter(section_clips(plan, "dev", rotor, 0)))
    name = f"section_00_source_train_normal_0000_vel_{clip.attributes['vel']}_ld_"
    (path,) = (tiny_root / "dev_data/rotor/train").glob(f"{name}*")
    written, _ = soundfile.read(str(path), dtype="float64")
    mixed = clip.stems.machine + clip.stems.noise
    assert np.max(np.abs(written - mixed)) <= 1 / 32768 + 1e-12


def test_same_seed_same_files_other_seed_other_audio(tiny_root, tmp_path):
    plan = SyntheticDataset(size="tiny").plan
    again = ensure_tree(tmp_path / "again", plan, progress=False)

    def digest(root):
        files = sorted(p for p in root.rglob("*") if p.is_file())
        return hashlib.sha256(
            b"".join(p.relative_to(root).as_posix().encode() + p.read_bytes() for p in files)
        ).hexdigest()

    assert digest(again) == digest(tiny_root)
    other = ensure_tree(tmp_path / "other", SynthesisPlan("tiny", 1), progress=False)
    name = "eval_data/valve/test/section_00_0000.wav"
    assert (other / name).read_bytes() != (tiny_root / name).read_bytes()


def test_existing_tree_is_reused_and_foreign_folders_are_refused(tiny_root, tmp_path):
    assert ensure_tree(tiny_root, SyntheticDataset(size="tiny").plan) == tiny_root
    with pytest.raises(DataError, match="written with other options"):
        ensure_tree(tiny_root, SynthesisPlan("tiny", 7))
    with pytest.raises(DataError, match="another generator version"):
        ensure_tree(tiny_root, SynthesisPlan("tiny", 0, version=7))
    (tmp_path / "mine.txt").write_text("user data")
    with pytest.raises(DataError, match="not a synthetic dataset"):
        ensure_tree(tmp_path, SynthesisPlan("tiny", 0))


# -- the design: DCASE's counts, classes, shifts and clip lengths ----------------------------


def test_full_size_has_dcase2023_scale_and_test_design():
    """7 + 7 types; per section 990 source + 10 target training clips and 50 normal + 50
    anomalous test clips per domain, three eval sections unbalanced as DCASE2023's are
    (bandsaw 67/40/60/33, grinder 107/27/36/30, shaker 49/53/52/46), clips of 6 to 18 s
    that differ between types."""
    types = machine_types("full")
    assert [len(types["dev"]), len(types["eval"])] == [7, 7]
    names = [m.name for ms in types.values() for m in ms]
    assert len(set(names)) == 14 and not any("_" in n for n in names)
    assert {m.family for ms in types.values() for m in ms} == set(FAMILIES)
    plan = SynthesisPlan("full", 0)
    imbalances = []
    for partition, machines in types.items():
        for machine in machines:
            counts = {}
            for clip in _headers(plan, partition, machine):
                key = (clip[1], clip[0], clip[2])
                counts[key] = counts.get(key, 0) + 1
            assert counts[("train", "source", "normal")] == 990
            assert counts[("train", "target", "normal")] == 10
            tests = tuple(counts[("test", d, lab)] for d in ("source", "target") for lab in
                          ("normal", "anomaly"))  # fmt: skip
            if tests != (50, 50, 50, 50):
                imbalances.append(tests)
    assert imbalances == [(67, 40, 60, 33), (107, 27, 36, 30), (49, 53, 52, 46)]
    lengths = {file_seconds(m, "full") for ms in types.values() for m in ms}
    assert min(lengths) == 6.0 and max(lengths) <= 18.0 and len(lengths) >= 4


def _headers(plan, partition, machine):
    """(domain, split, label) of every clip of the first section, from the design alone."""
    from asdbench.synthetic.design import clips_per_test_group
    from asdbench.synthetic.tree import _imbalance

    machines = machine_types(plan.size)[partition]
    counts = SIZES[plan.size]
    yield from [("source", "train", "normal")] * counts.train_source
    yield from [("target", "train", "normal")] * counts.train_target
    tests = clips_per_test_group(
        plan.size, _imbalance(partition, machines, machines.index(machine), 0)
    )
    for (domain, label), count in tests.items():
        yield from [(domain, "test", label)] * count


#: The attributes that set a machine's speed, and with it every frequency it makes.
SPEEDS = ("vel", "volt", "spd")


def test_source_classes_are_many_evenly_filled_and_targets_shift_in_every_way():
    """At full size each type has 5 to 33 source attribute combinations of 30 to 200 clips
    (DCASE: 5 x 198 to 36 x 27); an operating point's values are spread evenly (no gap
    twice another), speeds at most 50 % apart (DCASE2022 gearbox: 1.0 to 3.0 V in
    0.5 V steps); the targets
    interpolate, extrapolate, change only the noise, move the microphone or bring another
    specimen, and every target differs from its source in something."""
    types = machine_types("full")
    kinds = set()
    for machine in types["dev"] + types["eval"]:
        combos = machine.combinations("source", machine.shift)
        assert 5 <= len(combos) <= 33, machine.name
        assert 30 <= 990 / len(combos) <= 200, machine.name
        for attribute in machine.attributes:
            if not attribute.continuous:
                continue
            values = sorted(float(v) for v in attribute.source)
            steps = np.diff(values)
            assert steps.max() <= 2 * steps.min() + 1e-9, (machine.name, attribute.key)
            if attribute.key in SPEEDS:
                assert max(b / a for a, b in itertools.pairwise(values)) <= 1.5, machine.name
            targets = [float(v) for v in attribute.target if float(v) not in values]
            if targets and "values" in machine.shift:
                kinds |= {
                    "extrapolate" if not values[0] <= t <= values[-1] else "interpolate"
                    for t in targets
                }
        target = machine.combinations("target", machine.shift)
        changed = set(machine.shift) - {"values"} or (
            {"values"} if any(c not in combos for c in target) else set()
        )
        assert changed, machine.name
        kinds |= changed - {"values"}
    assert {"interpolate", "extrapolate", "mic", "noise", "unit"} <= kinds


def test_the_2022_layouts_sections_bring_other_shifts():
    """DCASE2022's sections of one type differ in their shift: section 00 takes the type's
    own, 01 a factory noise the source never hears, 02 a moved microphone, even for a type
    whose attributes name its noise (``fan``'s ``f-n``) or its microphone (``bearing``'s
    ``loc``)."""
    for name in ("fan", "bearing", "rotor"):
        machine = next(m for m in machine_types("full")["dev"] if m.name == name)
        shifts = [section_shift(machine, number) for number in range(3)]
        assert shifts == [machine.shift, ("noise",), ("mic",)]
        noisy = SectionSound(machine, shifts[1], (0, "dev", name, "01"))
        moved = SectionSound(machine, shifts[2], (0, "dev", name, "02"))
        attributes = machine.combinations("source", machine.shift)[0]
        for index in range(8):
            source = noisy.draw("source", "normal", attributes, seeded(index))
            target = noisy.draw("target", "normal", attributes, seeded(index))
            assert set(source.noise) <= set(noisy.pool) and set(target.noise) - set(noisy.pool)
            here = moved.draw("source", "normal", attributes, seeded(index))
            there = moved.draw("target", "normal", attributes, seeded(index))
            assert here.mic != there.mic


def test_bench_trains_1500_steps_in_10_epochs():
    """The benchmark's size: close to the released code's budget (10 epochs of batch 64 over
    14,000 DCASE2023 clips, about 2,200 steps) as 10 minutes a trial on 2 cores allow with
    1 s clips: 12 types of 800 training clips, 1,500 steps."""
    counts = SIZES["bench"]
    clips = 2 * counts.types * (counts.train_source + counts.train_target)
    assert 10 * -(-clips // 64) == 1500


# -- the properties of the real data, checked on generated audio -----------------------------


def _sound(partition, number, size="bench"):
    machine = machine_types(size)[partition][number]
    return machine, SectionSound(machine, section_shift(machine, 0), (0, partition, machine.name))


def _render(sound, domain, label, count, seconds=1.0, key="test"):
    clips = []
    combos = sound.machine.combinations(domain, sound.shift)
    for index in range(count):
        rng = seeded(key, domain, label, index)
        draw = sound.draw(domain, label, combos[index % len(combos)], rng)
        clips.append((draw, sound.render(draw, round(seconds * RATE), rng)))
    return clips


def _rms(wave):
    return np.sqrt(np.mean(wave**2))


@pytest.mark.parametrize(("partition", "number"), [("dev", 0), ("dev", 4), ("eval", 1)])
def test_noise_is_set_against_the_types_mean_level_and_levels_survive(partition, number):
    """ToyADMOS2's mixer: the SNR (-6 to +6 dB) is set against the machine type's mean level,
    not the clip's, so the machine's own level differences between clips survive the mix."""
    _, sound = _sound(partition, number)
    clips = _render(sound, "source", "normal", 40)
    levels = np.array([_rms(stems.machine) for _, stems in clips])
    mean_level = levels.mean()
    snr = np.array([20 * np.log10(mean_level / _rms(stems.noise)) for _, stems in clips])
    assert snr.min() >= -7.0 and snr.max() <= 7.0
    assert snr.max() - snr.min() >= 4.0  # drawn over the range, not one value
    own = 20 * np.log10(levels / np.array([_rms(s.noise) for _, s in clips]))
    assert np.abs(own - snr).max() >= 1.0  # a clip's own SNR is not the one it was mixed at
    assert np.std(20 * np.log10(levels)) >= 1.0  # no clip is normalised to one level


def _mel_weights(bands):
    """Triangular filters equally spaced on the HTK mel scale over 0-8 kHz, 1024-point FFT."""
    mel = 2595 * np.log10(1 + np.fft.rfftfreq(1024, 1 / RATE) / 700)
    edges = np.linspace(0, mel[-1], bands + 2)
    rising = (mel[None] - edges[:-2, None]) / (edges[1:-1, None] - edges[:-2, None])
    falling = (edges[2:, None] - mel[None]) / (edges[2:, None] - edges[1:-1, None])
    return np.clip(np.minimum(rising, falling), 0, None)


def _log_mel_mean(wave, bands=64):
    """Time-mean log power in ``bands`` mel bands, numpy by hand: what the floor sees."""
    frames = np.lib.stride_tricks.sliding_window_view(wave, 1024)[::512] * np.hanning(1024)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    return np.log10(power @ _mel_weights(bands).T + 1e-10).mean(axis=0)


def _interpolates(machine, shift):
    """Whether a type's target only interpolates: the same names, numbers inside the
    source's range, nothing else moved."""
    if set(shift) != {"values"}:
        return False
    for attribute in machine.attributes:
        if not attribute.continuous:
            if set(attribute.target) - set(attribute.source):
                return False
            continue
        low, high = min(map(float, attribute.source)), max(map(float, attribute.source))
        if not all(low < float(v) < high or v in attribute.source for v in attribute.target):
            return False
    return True


def test_anomalies_move_the_mean_spectrum_less_than_the_domain_shifts():
    """The review of domain shifts (arXiv 2503.10435): a change of microphone, noise, model or
    operating range changes the sound more than subtle anomalies do. 16 source clips of each
    bench type are heard three ways with the same factory noise: as drawn, with a fault (kind
    and damage drawn as the generator draws them), and moved to the target domain (the same
    draw with target attribute values). The median distance a fault moves the time-mean
    log-mel spectrum is below the one the domain shift moves it for every type whose target
    does more than interpolate, and a third of it or less for the median type. (A target that
    only interpolates, 4 % between two source speeds, can be as close as a fault.)"""
    ratios = []
    for partition in ("dev", "eval"):
        for number in range(SIZES["bench"].types):
            machine, sound = _sound(partition, number)
            source = machine.combinations("source", sound.shift)
            target = machine.combinations("target", sound.shift)
            faults, shifts = [], []
            for index in range(16):
                draw = sound.draw("source", "normal", source[index % len(source)], seeded(index))
                moved = sound.draw("target", "normal", target[index % len(target)], seeded(index))
                pick = np.random.default_rng(index)
                fault = Fault(str(pick.choice(sound.family.faults)), str(pick.choice(list(DAMAGE))))
                heard = [
                    _log_mel_mean(sound.render(d, RATE, seeded("clip", index)).near)
                    for d in (draw, replace(draw, fault=fault), moved)
                ]
                faults.append(np.linalg.norm(heard[1] - heard[0]))
                shifts.append(np.linalg.norm(heard[2] - heard[0]))
            ratios.append(np.median(shifts) / np.median(faults))
            if not _interpolates(machine, sound.shift):
                assert ratios[-1] > 1, machine.name
    assert np.median(ratios) >= 3, ratios


def _mel_power_db(wave, bands=64):
    """Time-mean power in mel bands (the same triangles), in dB: the energy spectrum."""
    frames = np.lib.stride_tricks.sliding_window_view(wave, 1024)[::512] * np.hanning(1024)
    power = (np.abs(np.fft.rfft(frames, axis=1)) ** 2).mean(axis=0)
    return 10 * np.log10(power @ _mel_weights(bands).T)


@pytest.mark.parametrize("kind", ["sticking", "irregular"])
@pytest.mark.parametrize("damage", ["low", "high"])
def test_valve_faults_change_timing_not_the_time_mean_spectrum(kind, damage):
    """On the valve, time-mean pooling is at chance and max pooling is not (TWFR-GMM): its
    faults move its clicks in time and leave its time-mean spectrum as it was. Six clips of
    8 s rendered normal and faulty: time-mean energy within 0.3 dB per mel band on average,
    the time-mean log-mel spectrum with the same factory noise within 0.1 dB, while the
    clicks move by several milliseconds, never out of order."""
    _, sound = _sound("eval", 0)
    energy, logmel, moved = {None: [], kind: []}, {None: [], kind: []}, []
    for index in range(6):
        draw = sound.draw("source", "normal", {"pat": "01", "panel": "open"}, seeded("v", index))
        noise = sound.mean_level * noise_stem(seeded("n", index), ("hum", "ventilation"), 8 * RATE)
        for fault in (None, Fault(kind, damage)):
            stem = sound.family.sound(
                draw.operating, sound.specimens["source"][0], fault, seeded("c", index), 8 * RATE
            )
            energy[fault and kind].append(_mel_power_db(stem))
            logmel[fault and kind].append(_log_mel_mean(stem + noise))
        opens, closes = valve_events("01", 8.0, Fault(kind, damage), seeded("t", index))
        plain_opens, plain_closes = valve_events("01", 8.0, None, seeded("t", index))
        moved.append(np.abs(np.concatenate([opens - plain_opens, closes - plain_closes])).max())
        assert np.all(opens < closes) and np.all(closes[:-1] < opens[1:])
    assert np.abs(np.mean(energy[None], 0) - np.mean(energy[kind], 0)).mean() < 0.3
    assert 10 * np.abs(np.mean(logmel[None], 0) - np.mean(logmel[kind], 0)).mean() < 0.1
    assert min(moved) > 0.005


def test_bearing_defect_frequencies_are_the_published_ones():
    """A 6205 bearing (9 balls, Bd/Pd 0.2061, contact angle 0) at 1500 rpm: BPFO 89.31 Hz,
    BPFI 135.69 Hz, FTF 9.92 Hz (iotbearings.com, vibromera.eu)."""
    rates = bearing_frequencies(25.0, 9, 0.20613, 0.0)
    assert rates["bpfo"] == pytest.approx(89.31, abs=0.01)
    assert rates["bpfi"] == pytest.approx(135.69, abs=0.01)
    assert rates["ftf"] == pytest.approx(9.92, abs=0.01)


def test_a_bearing_spall_shows_at_its_defect_frequency_in_the_envelope():
    """Envelope analysis (Randall 2015), numpy by hand: the squared envelope of the band
    around the race resonance of an outer-race fault peaks at BPFO (within the 1-3 % slip),
    and the normal sound's does not."""
    _, sound = _sound("dev", 2)  # bearing
    unit = sound.specimens["source"][0]
    operating = {"vel": 14.0, "loc": "A"}
    rates = bearing_frequencies(14.0, unit["balls"], unit["ratio"], unit["angle"])

    def envelope_peak(fault):
        wave = sound.family.sound(operating, unit, fault, seeded("e"), 4 * RATE)
        spectrum = np.fft.rfft(wave)
        hz = np.fft.rfftfreq(len(wave), 1 / RATE)
        band = np.where(np.abs(hz - unit["race"]) < 1500, spectrum, 0)
        envelope = np.abs(np.fft.irfft(band, len(wave)) + 0j) ** 2
        envelope_spectrum = np.abs(np.fft.rfft(envelope - envelope.mean()))
        near = (hz > 0.8 * rates["bpfo"]) & (hz < 1.2 * rates["bpfo"])
        far = (hz > 5) & (hz < 400) & ~near
        return hz[near][np.argmax(envelope_spectrum[near])], (
            envelope_spectrum[near].max() / np.median(envelope_spectrum[far])
        )

    peak, prominence = envelope_peak(Fault("outer-race", "high"))
    assert peak == pytest.approx(rates["bpfo"], rel=0.03)
    assert prominence > 10
    assert envelope_peak(None)[1] < prominence / 3


def test_a_gear_fault_raises_shaft_rate_sidebands_around_the_mesh():
    """Gear eccentricity and tooth faults put sidebands at the mesh frequency +- multiples of
    the shaft rate (Prosig; the Dynamics 2025 measurements): the first four on each side grow
    relative to the mesh line, more at each damage level."""
    _, sound = _sound("dev", 1)  # gears
    unit = sound.specimens["source"][0]
    shaft = 9 * 2.0
    mesh = unit["teeth"] * shaft

    def sideband_ratio(fault):
        wave = sound.family.sound({"volt": 2.0, "wt": 100.0}, unit, fault, seeded("g"), 4 * RATE)
        spectrum = np.abs(np.fft.rfft(wave * np.hanning(len(wave))))
        hz = np.fft.rfftfreq(len(wave), 1 / RATE)

        def line(f):
            return spectrum[np.abs(hz - f) < 1.5].max()

        sidebands = sum(line(mesh - k * shaft) + line(mesh + k * shaft) for k in range(1, 5))
        return sidebands / line(mesh)

    normal = sideband_ratio(None)
    for kind in ("eccentric", "tooth"):
        low, mid, high = (sideband_ratio(Fault(kind, damage)) for damage in DAMAGE)
        assert normal < low < mid < high and high > 2 * normal, (kind, normal, low, mid, high)


# -- other layouts --------------------------------------------------------------------------


def test_layout_emits_the_same_clips_in_another_datasets_layout(asdbench_cache, register_plugin):
    """``layout=NAME`` lays the synthetic clips out as dataset NAME writes its year (here the
    default, the 2022-2026 plain layout with anonymised eval test names), reads them back with
    that dataset and takes its rule: the same clips, labels, domains, attributes and audio."""
    import asdbench
    from asdbench.data.datasets import DcaseLayoutDataset
    from asdbench.data.score_rule import ScoreRule

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
