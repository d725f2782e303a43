"""The ensembles against direct computations."""

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import rankdata

import asdbench
from asdbench.cli import cli

SECTIONS = np.array(["a_00"] * 5 + ["b_00"] * 4)
TRAIN = np.array([True, True, True, False, False, True, True, False, False])
TRIALS = [
    np.array([0.1, 0.3, 0.2, 0.9, 0.5, 10.0, 12.0, 30.0, 11.0]),
    np.array([1.0, 1.2, 1.1, 1.5, 1.9, 0.2, 0.1, 0.4, 0.3]),
]


def make(name):
    return asdbench.create("ensemble", name)


def test_plugin_registers_four_ensembles_and_the_command():
    assert {"mean", "sum", "zscore", "rank"} <= set(asdbench.available("ensemble"))
    help_text = CliRunner().invoke(cli, ["ensemble", "--help"])
    assert help_text.exit_code == 0 and "Combine the trials" in help_text.output


def test_mean_and_sum():
    assert np.allclose(make("mean").combine(TRIALS, SECTIONS, TRAIN), (TRIALS[0] + TRIALS[1]) / 2)
    assert np.allclose(make("sum").combine(TRIALS, SECTIONS, TRAIN), TRIALS[0] + TRIALS[1])


def test_zscore_uses_each_sections_training_statistics():
    expected = np.zeros(9)
    for trial in TRIALS:
        for section in ("a_00", "b_00"):
            members = section == SECTIONS
            reference = trial[members & TRAIN]
            expected[members] += (trial[members] - reference.mean()) / reference.std() / 2
    assert np.allclose(make("zscore").combine(TRIALS, SECTIONS, TRAIN), expected)


def test_rank_is_the_mean_normalised_rank_within_each_section():
    combined = make("rank").combine(TRIALS, SECTIONS, TRAIN)
    first = np.r_[(rankdata(TRIALS[0][:5]) - 1) / 4, (rankdata(TRIALS[0][5:]) - 1) / 3]
    second = np.r_[(rankdata(TRIALS[1][:5]) - 1) / 4, (rankdata(TRIALS[1][5:]) - 1) / 3]
    assert np.allclose(combined, (first + second) / 2)
    assert combined.min() >= 0 and combined.max() <= 1


def test_bad_input():
    with pytest.raises(ValueError, match="at least one trial"):
        make("mean").combine([], SECTIONS, TRAIN)
    with pytest.raises(ValueError, match="NaN"):
        make("mean").combine([np.full(9, np.nan)], SECTIONS, TRAIN)
