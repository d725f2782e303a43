"""Decoding, format fixes, tiling/cropping and the int16 cache."""

import numpy as np
import pytest
import soundfile
from hypothesis import given, settings
from hypothesis import strategies as st

from asdbench.data.audio import AudioFormat, fit_length, max_offset, read_clip
from asdbench.data.audio_cache import AudioCache
from asdbench.data.layout import audio_duration
from asdbench.errors import DataError
from asdbench.testing.trees import write_wav


def test_mono_16k_int16_round_trips_exactly(tmp_path):
    samples = (np.arange(-800, 800) * 20).astype(np.int16)
    path = write_wav(tmp_path / "a.wav", samples=samples)
    assert np.array_equal(read_clip(path), samples)


def test_44k_stereo_is_resampled_and_averaged(tmp_path):
    t = np.arange(4410) / 44100
    left = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = write_wav(
        tmp_path / "s.wav", samples=np.stack([left, -left * 0 + left], 1), sample_rate=44100
    )
    wave = read_clip(path)
    assert wave.dtype == np.int16 and len(wave) == 1600
    # An independent check of the resampled tone: its frequency and amplitude survive.
    spectrum = np.abs(np.fft.rfft(wave.astype(float)))
    assert np.argmax(spectrum) * 16000 / 1600 == pytest.approx(440, abs=10)
    assert np.abs(wave[200:-200]).max() / 32768 == pytest.approx(0.5, rel=0.02)


def test_first_channel_and_rejections(tmp_path):
    stereo = np.stack([np.full(800, 0.25), np.full(800, -0.25)], 1)
    path = write_wav(tmp_path / "s.wav", samples=stereo)
    assert read_clip(path, AudioFormat(stereo="first"))[0] == 8192
    assert read_clip(path, AudioFormat(stereo="second"))[0] == -8192  # DCASE2026's far mic
    assert read_clip(path, AudioFormat(stereo="mean"))[0] == 0
    with pytest.raises(DataError, match="s.wav: has 2 channels; expected mono"):
        read_clip(path, AudioFormat(stereo="reject"))
    rate = write_wav(tmp_path / "r.wav", sample_rate=44100)
    with pytest.raises(DataError, match="r.wav: sample rate 44100 Hz; expected 16000 Hz"):
        read_clip(rate, AudioFormat(resample=False))
    mono = write_wav(tmp_path / "m.wav")  # 16 kHz PCM_16: the path that decodes nothing
    assert read_clip(mono, AudioFormat(stereo="first")).ndim == 1
    with pytest.raises(DataError, match="m.wav: has 1 channel; the second channel"):
        read_clip(mono, AudioFormat(stereo="second"))  # not the first under the second's name
    with pytest.raises(DataError, match="m.wav: has 1 channel; the second channel"):
        audio_duration(mono, fmt=AudioFormat(stereo="second"))  # refused when listed too
    empty = write_wav(tmp_path / "e.wav", samples=np.zeros(0, dtype=np.int16))
    with pytest.raises(DataError, match="e.wav: contains no samples"):
        audio_duration(empty)


def test_both_channels_are_kept_as_frames_and_channels(tmp_path):
    """``stereo="both"`` keeps the file's two channels, ``[samples, 2]``, exactly as stored (16
    kHz int16) or resampled channel by channel; a mono file, or one of three channels, is
    refused naming it."""
    both = AudioFormat(stereo="both")
    assert both.channels == 2 and AudioFormat(stereo="first").channels == 1
    frames = np.stack([np.arange(-400, 400) * 30, np.arange(400, -400, -1) * 20], 1)
    path = write_wav(tmp_path / "s.wav", samples=frames.astype(np.int16))
    assert np.array_equal(read_clip(path, both), frames)
    t = np.arange(4410) / 44100
    tones = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.25 * np.sin(2 * np.pi * 1000 * t)], 1)
    wave = read_clip(write_wav(tmp_path / "r.wav", samples=tones, sample_rate=44100), both)
    assert wave.shape == (1600, 2) and wave.dtype == np.int16
    for channel, (hz, amplitude) in enumerate(((440, 0.5), (1000, 0.25))):
        spectrum = np.abs(np.fft.rfft(wave[:, channel].astype(float)))
        assert np.argmax(spectrum) * 16000 / 1600 == pytest.approx(hz, abs=10)
        assert np.abs(wave[200:-200, channel]).max() / 32768 == pytest.approx(amplitude, rel=0.02)
    with pytest.raises(DataError, match="m.wav: has 1 channel; keeping both channels needs"):
        read_clip(write_wav(tmp_path / "m.wav"), both)
    with pytest.raises(DataError, match="t.wav: has 3 channels; keeping both"):
        read_clip(write_wav(tmp_path / "t.wav", channels=3), both)


def test_a_two_channel_cache_gives_batches_of_channels_by_samples(tmp_path):
    """Two-channel clips are stored frame by frame; a batch is ``[B, 2, length]``, each channel
    tiled and cropped as numpy does it by hand, and the cache is apart from the mono one."""
    paths = [
        write_wav(tmp_path / f"{i}.wav", seconds=0.01 * (i + 1), seed=i, channels=2)
        for i in range(3)
    ]
    both = AudioFormat(stereo="both")
    cache = AudioCache.build(paths, tmp_path / "cache", both, progress=False)
    assert cache.channels == 2 and list(cache.lengths) == [160, 320, 480]
    for i, path in enumerate(paths):
        expected, _ = soundfile.read(str(path), dtype="int16")
        assert np.array_equal(cache.clip(i), expected)
    assert AudioCache.open(cache.directory).channels == 2
    batch = cache.batch([0, 2], 200, [0, 100])
    assert batch.shape == (2, 2, 200) and batch.dtype == np.float32
    first, third = cache.clip(0), cache.clip(2)
    for channel in (0, 1):
        tiled = np.concatenate([first[:, channel], first[:, channel]])[:200]
        assert np.array_equal(batch[0, channel], tiled / 32768)
        assert np.array_equal(batch[1, channel], third[100:300, channel] / 32768)
    mono = AudioCache.build(paths, tmp_path / "cache", AudioFormat(stereo="first"), progress=False)
    assert mono.directory != cache.directory and mono.channels == 1
    assert np.array_equal(mono.clip(1), cache.clip(1)[:, 0])


def test_nan_samples(tmp_path):
    samples = np.zeros(800, dtype=np.float32)
    samples[10] = np.nan
    path = write_wav(tmp_path / "nan.wav", samples=samples, subtype="FLOAT")
    with pytest.raises(DataError, match="nan.wav: contains NaN or infinite samples"):
        read_clip(path)


def test_truncated_file(tmp_path):
    path = write_wav(tmp_path / "t.wav", seconds=0.1)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="t.wav: truncated"):
        read_clip(path)


def test_corrupt_and_empty(tmp_path):
    (tmp_path / "c.wav").write_bytes(b"not audio at all" * 50)
    (tmp_path / "e.wav").write_bytes(b"")
    with pytest.raises(DataError, match="c.wav: not a readable audio file"):
        read_clip(tmp_path / "c.wav")
    with pytest.raises(DataError, match=r"e.wav: empty \(0 bytes\)"):
        read_clip(tmp_path / "e.wav")


def test_fit_length_follows_the_reference_rule():
    six = np.arange(6)
    assert np.array_equal(fit_length(six, 18), np.tile(six, 3))  # 6 s -> tiled x3, offset 0
    ten = np.arange(10)
    assert max_offset(10, 18) == 2  # 10 s -> tiled x2 (20), an 18-long window
    assert np.array_equal(fit_length(ten, 18, 2), np.r_[2:10, 0:10])
    assert np.array_equal(fit_length(np.arange(18), 18), np.arange(18))  # unchanged
    assert max_offset(12, 18) == 6
    with pytest.raises(ValueError):
        fit_length(ten, 18, 3)


def test_cache_is_built_once_and_reused(tmp_path):
    paths = [write_wav(tmp_path / f"{i}.wav", seconds=0.01 * (i + 1), seed=i) for i in range(3)]
    cache = AudioCache.build(paths, tmp_path / "cache", progress=False)
    assert list(cache.lengths) == [160, 320, 480]
    for i, path in enumerate(paths):
        expected, _ = soundfile.read(str(path), dtype="int16")
        assert np.array_equal(cache.clip(i), expected)
    again = AudioCache.build(paths, tmp_path / "cache", progress=False)
    assert again.directory == cache.directory
    assert len(list((tmp_path / "cache").iterdir())) == 1
    batch = cache.batch([0, 2], 200, [0, 100])
    assert batch.shape == (2, 200) and batch.dtype == np.float32
    assert np.array_equal(batch[0], np.tile(cache.clip(0), 2)[:200] / 32768)
    assert np.array_equal(batch[1], cache.clip(2)[100:300] / 32768)  # a window read alone
    for length, offset in ((480, 0), (400, 80), (500, 20), (1000, 440)):
        assert np.array_equal(
            cache.window(2, length, offset), fit_length(cache.clip(2), length, offset)
        )


def test_parallel_decoding_writes_the_same_cache(tmp_path):
    paths = [write_wav(tmp_path / f"{i}.wav", seconds=0.02 * (i + 1), seed=i) for i in range(9)]
    (tmp_path / "bad.wav").write_bytes(b"not audio" * 10)
    paths.insert(4, tmp_path / "bad.wav")
    one = AudioCache.build(paths, tmp_path / "one", skip_bad_files=True, progress=False)
    two = AudioCache.build(paths, tmp_path / "two", skip_bad_files=True, progress=False, workers=2)
    assert one.files == two.files and one.skipped == two.skipped
    assert list(one.skipped) == [str(tmp_path / "bad.wav")]
    samples = "audio.int16"
    assert (one.directory / samples).read_bytes() == (two.directory / samples).read_bytes()
    with pytest.raises(DataError, match="bad.wav"):
        AudioCache.build(paths, tmp_path / "three", progress=False, workers=2)
    assert not (tmp_path / "three").exists() or not any((tmp_path / "three").iterdir())


def test_cache_key_changes_when_a_file_changes(tmp_path):
    path = write_wav(tmp_path / "a.wav", seconds=0.01)
    first = AudioCache.build([path], tmp_path / "cache", progress=False)
    write_wav(path, seconds=0.02, seed=5)
    second = AudioCache.build([path], tmp_path / "cache", progress=False)
    assert first.directory != second.directory and second.lengths[0] == 320


def test_a_failed_build_leaves_no_cache(tmp_path):
    good = write_wav(tmp_path / "a.wav")
    bad = tmp_path / "b.wav"
    bad.write_bytes(b"junk" * 100)
    with pytest.raises(DataError, match="b.wav"):
        AudioCache.build([good, bad], tmp_path / "cache", progress=False)
    assert list((tmp_path / "cache").iterdir()) == []
    cache = AudioCache.build([good, bad], tmp_path / "cache", skip_bad_files=True, progress=False)
    assert cache.files == [str(good)] and str(bad) in cache.skipped


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.booleans())
def test_random_bytes_give_a_clip_or_a_data_error(tmp_path_factory, data, with_header):
    """Whatever a file holds, the reader returns int16 samples or raises DataError naming it."""
    path = tmp_path_factory.mktemp("fuzz") / "clip.wav"
    header = b"RIFF\x24\x00\x00\x00WAVEfmt " if with_header else b""
    path.write_bytes(header + data)
    try:
        wave = read_clip(path)
    except DataError as error:
        assert "clip.wav" in str(error)
    else:
        assert wave.dtype == np.int16 and len(wave) > 0
