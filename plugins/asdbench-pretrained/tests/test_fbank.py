"""The Kaldi filterbank against torchaudio's ``compliance.kaldi.fbank``, run once in a scratch
environment (torch and torchaudio 2.9.1) on the same clips and recorded in
``data/fbank_torchaudio.npz``: with BEATs' settings and with EAT's (Hann window, mean removed
from the clip, no scaling)."""

from pathlib import Path

import numpy as np
import pytest
import torch
from asdbench_pretrained.fbank import EPSILON, fbank, mel_banks

DATA = Path(__file__).parent / "data"

RECORDED = np.load(DATA / "fbank_torchaudio.npz")


def test_beats_settings_equal_torchaudio():
    clips = torch.from_numpy(RECORDED["clips"])
    ours = fbank(clips * 2**15, num_mel_bins=128, window="povey").numpy()
    assert ours.shape == RECORDED["beats"].shape == (3, 48, 128)
    np.testing.assert_allclose(ours, RECORDED["beats"], rtol=0, atol=2e-4)


def test_eat_settings_equal_torchaudio():
    clips = torch.from_numpy(RECORDED["clips"])
    centred = clips - clips.mean(dim=1, keepdim=True)
    ours = fbank(centred, num_mel_bins=128, window="hanning").numpy()
    np.testing.assert_allclose(ours, RECORDED["eat"], rtol=0, atol=2e-4)


def test_a_quiet_clip_stays_above_the_floor():
    """The third recorded clip is 80 dB down: every value is the log of at least Kaldi's
    floor, as torchaudio's."""
    quiet = fbank(torch.from_numpy(RECORDED["clips"][2:]))
    assert torch.isfinite(quiet).all() and quiet.min() >= np.log(EPSILON) - 1e-6


def test_the_filters_are_triangles_on_kaldis_mel_scale():
    """By hand, from Kaldi's definition: the band edges equally spaced in 1127 ln(1 + f/700)
    between 20 Hz and the Nyquist, each filter 1 at its centre bin's mel and 0 at its edges."""
    banks = mel_banks(4, 512, 16000, 20.0, 0.0).numpy()
    assert banks.shape == (4, 257) and banks[:, -1].sum() == 0  # the Nyquist bin has no weight
    mel = 1127 * np.log1p(np.arange(256) * 16000 / 512 / 700)
    edges = np.linspace(1127 * np.log1p(20 / 700), 1127 * np.log1p(8000 / 700), 6)
    for band in range(4):
        low, centre, high = edges[band : band + 3]
        expected = np.clip(
            np.minimum((mel - low) / (centre - low), (high - mel) / (high - centre)), 0, None
        )
        np.testing.assert_allclose(banks[band, :256], expected, atol=1e-5)


def test_a_clip_shorter_than_a_frame_is_refused():
    with pytest.raises(ValueError, match="shorter than one frame"):
        fbank(torch.zeros(1, 399))
