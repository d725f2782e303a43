"""DCASE file names: every form in the spec, odd tokens, and fuzzed input."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asdbench.data.filenames import parse_clip_name
from asdbench.errors import DataError


@pytest.mark.parametrize(
    ("name", "fields", "attributes"),
    [
        (
            "section_00_source_train_normal_0001_car_B1_spd_31V_mic_1.wav",
            ("00", "source", "train", "normal", "0001"),
            (("car", "B1"), ("spd", "31V"), ("mic", "1")),
        ),
        (
            "section_00_target_test_anomaly_0041_vel_8_loc_E.wav",
            ("00", "target", "test", "anomaly", "0041"),
            (("vel", "8"), ("loc", "E")),
        ),
        (
            "section_00_source_test_normal_0000_vel_660_ac_0.09.wav",
            ("00", "source", "test", "normal", "0000"),
            (("vel", "660"), ("ac", "0.09")),
        ),
        (
            "section_00_target_train_normal_0003_m-n_Z.wav",
            ("00", "target", "train", "normal", "0003"),
            (("m-n", "Z"),),
        ),
        (
            "section_04_source_test_normal_0000_pat_04_panel_bs-c.wav",
            ("04", "source", "test", "normal", "0000"),
            (("pat", "04"), ("panel", "bs-c")),
        ),
        (
            "section_05_source_test_anomaly_0000_n-lv_L2.wav",
            ("05", "source", "test", "anomaly", "0000"),
            (("n-lv", "L2"),),
        ),
        (
            "section_03_source_test_anomaly_0000_volt_3.0.wav",
            ("03", "source", "test", "anomaly", "0000"),
            (("volt", "3.0"),),
        ),
        (
            "section_00_source_train_normal_0000.wav",
            ("00", "source", "train", "normal", "0000"),
            (),
        ),
    ],
)
def test_labelled_names(name, fields, attributes):
    parsed = parse_clip_name(name)
    assert (parsed.section, parsed.domain, parsed.split, parsed.label, parsed.index) == fields
    assert parsed.attributes == attributes
    assert not parsed.anonymous and not parsed.odd_attributes


def test_index_is_kept_as_a_string():
    assert parse_clip_name("section_00_source_train_normal_0990_car_A1.wav").index == "0990"


@pytest.mark.parametrize("name", ["section_00_0199.wav", "section_03_test_0000.wav"])
def test_anonymised_names(name):
    parsed = parse_clip_name(name)
    assert parsed.anonymous and parsed.label is None and parsed.index.isdigit()


def test_odd_attribute_tokens_are_tolerated():
    parsed = parse_clip_name("section_00_source_test_normal_0000_mic_1_car.wav")
    assert parsed.odd_attributes and parsed.attributes == (("mic", "1"), ("car", ""))


@pytest.mark.parametrize(
    "name",
    [
        "section_00_source_train_normal_0001_noAttribute.wav",  # 2024: withheld
        "section_00_target_test_anomaly_0049_.wav",  # 2025: in attributes_00.csv
    ],
)
def test_names_that_carry_no_attributes(name):
    parsed = parse_clip_name(name)
    assert parsed.attributes == () and not parsed.odd_attributes and not parsed.anonymous
    assert parsed.label in ("normal", "anomaly") and parsed.domain in ("source", "target")


@pytest.mark.parametrize(
    ("name", "supplement", "attributes"),
    [
        ("section_00_machine_0001_.wav", "machine", ()),
        ("section_00_noise_0100_.wav", "noise", ()),
        ("section_00_noise_0003_nos_2.wav", "noise", (("nos", "2"),)),
    ],
)
def test_supplemental_names(name, supplement, attributes):
    parsed = parse_clip_name(name)
    assert parsed.split == "supplemental" and parsed.supplement == supplement
    assert parsed.attributes == attributes and parsed.domain is None and parsed.label is None
    assert not parsed.anonymous


@pytest.mark.parametrize(
    "name",
    [
        "section_00_source_train_normal_0000.flac",
        "sec_00_source_train_normal_0000.wav",
        "section_0_source_train_normal_0000.wav",
        "section_00_left_train_normal_0000.wav",
        "section_00_source_valid_normal_0000.wav",
        "section_00_source_train_weird_0000.wav",
        "section_00_source_train.wav",
        "section_00_source_train_normal_0000__x.wav",
    ],
)
def test_malformed_names_name_the_file(name):
    with pytest.raises(DataError, match=name.replace(".", r"\.")):
        parse_clip_name(name)


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_random_names_parse_or_raise_data_error(name):
    try:
        parsed = parse_clip_name(name)
    except DataError as error:
        assert name in str(error)
    else:
        assert parsed.section.isdigit()


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["source", "target"]),
    st.sampled_from(["train", "test"]),
    st.sampled_from(["normal", "anomaly"]),
    st.lists(st.text(alphabet="abcXYZ019.-", min_size=1, max_size=6), max_size=6),
)
def test_generated_labelled_names_round_trip(domain, split, label, tokens):
    name = "_".join(["section", "01", domain, split, label, "0007", *tokens]) + ".wav"
    parsed = parse_clip_name(name)
    assert (parsed.domain, parsed.split, parsed.label) == (domain, split, label)
    flat = [token for pair in parsed.attributes for token in pair if token]
    assert flat == tokens


def test_2021_evaluation_names_keep_their_domain():
    parsed = parse_clip_name("section_03_target_test_0007.wav")
    assert parsed.anonymous and parsed.label is None
    assert (parsed.section, parsed.domain, parsed.split, parsed.index) == (
        "03",
        "target",
        "test",
        "0007",
    )


def test_unpaired_attribute_tokens_are_one_value():
    """2021's tokens (``0_g_25_mm_2000_mV_none``) are not keys and values: read unpaired they
    are one ``attribute`` value, with no odd-token warning."""
    name = "section_00_source_train_normal_0000_0_g_25_mm_2000_mV_none.wav"
    parsed = parse_clip_name(name, paired=False)
    assert parsed.attributes == (("attribute", "0_g_25_mm_2000_mV_none"),)
    assert not parsed.odd_attributes
    assert parse_clip_name("section_00_source_test_normal_0000.wav", paired=False).attributes == ()
    with pytest.raises(DataError, match="doubled"):
        parse_clip_name("section_00_source_train_normal_0000_a__b.wav", paired=False)
