"""Reading clips (soundfile), fixing their format, and tiling/cropping them to one length.

DCASE audio is 16 kHz mono 16-bit PCM. Other rates are resampled with a polyphase filter
(``scipy.signal.resample_poly``, Kaiser window β = 5, the ratio reduced by the gcd) unless
``resample=False``, which rejects them; stereo is reduced to one channel (``stereo="first"`` as
the DCASE2026 baseline does, ``"second"``, or ``"mean"``), kept as two (``"both"``: clips are
then ``[samples, 2]``, for an embedder that takes two channels) or rejected (``"reject"``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from asdbench.errors import DataError

Stereo = Literal["first", "second", "mean", "both", "reject"]
STEREO = ("first", "second", "mean", "both", "reject")


#: The version of the samples decoding produces (mono mixing, resampling, int16 conversion):
#: bump it with any change that alters them (the audio cache is keyed by it).
NUMERICS_VERSION = "1"


@dataclass(frozen=True)
class AudioFormat:
    """What every decoded clip is converted to."""

    sample_rate: int = 16000
    resample: bool = True
    stereo: Stereo = "mean"

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {self.sample_rate}")
        if self.stereo not in STEREO:
            raise ValueError(f"stereo must be one of {', '.join(STEREO)}, got {self.stereo!r}")

    @property
    def channels(self) -> int:
        """How many channels each decoded clip has: 2 with ``stereo="both"``, else 1."""
        return 2 if self.stereo == "both" else 1


def read_clip(path: Path, fmt: AudioFormat = AudioFormat()) -> np.ndarray:
    """Decode one file to int16 at ``fmt.sample_rate``: ``[samples]`` (one channel) or, with
    ``stereo="both"``, ``[samples, 2]``.

    Raises ``DataError`` naming the file for an empty, truncated, corrupt or non-finite file, a
    wrong rate when resampling is off, several channels when ``stereo="reject"``, or other than
    two with ``stereo="both"``.
    """
    import soundfile

    try:
        info = soundfile.info(str(path))
        check_channels(path, info.channels, fmt)
        if (
            info.subtype == "PCM_16"
            and info.channels == fmt.channels
            and info.samplerate == fmt.sample_rate
        ):
            # The DCASE format itself: no conversion, and integers are always finite.
            samples, _ = soundfile.read(str(path), dtype="int16")
            _check_length(path, len(samples), info.frames)
            return samples
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except FileNotFoundError as exc:
        raise DataError(f"{path}: file not found") from exc
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as exc:
        size = path.stat().st_size if path.exists() else 0
        what = "empty (0 bytes)" if size == 0 else "not a readable audio file"
        raise DataError(f"{path}: {what} ({exc})") from exc
    _check_length(path, data.shape[0], info.frames)
    if not np.isfinite(data).all():
        raise DataError(f"{path}: contains NaN or infinite samples")
    wave = _channels(path, data, fmt)
    if rate != fmt.sample_rate:
        if not fmt.resample:
            raise DataError(f"{path}: sample rate {rate} Hz; expected {fmt.sample_rate} Hz")
        wave = resample(wave, rate, fmt.sample_rate)
    return to_int16(wave)


def check_channels(path: Path, count: int, fmt: AudioFormat) -> None:
    """Refuse a file whose channels ``fmt`` cannot take as it says: other than two for
    ``both``, one for ``second`` (the second channel is not there: taking the first instead
    would score one microphone under the other's name), several for ``reject``."""
    channels = f"{count} channel{'s' if count != 1 else ''}"
    if fmt.stereo == "both" and count != 2:
        raise DataError(f"{path}: has {channels}; keeping both channels needs stereo files")
    if fmt.stereo == "second" and count < 2:
        raise DataError(
            f"{path}: has {channels}; the second channel (the far microphone) is not there"
        )
    if fmt.stereo == "reject" and count > 1:
        raise DataError(f"{path}: has {channels}; expected mono")


def _channels(path: Path, data: np.ndarray, fmt: AudioFormat) -> np.ndarray:
    """``data [frames, channels]`` as ``fmt`` asks: one channel ``[frames]`` or both."""
    count = data.shape[1]
    check_channels(path, count, fmt)
    if fmt.stereo == "both":
        return data
    if count == 1:
        return data[:, 0]
    if fmt.stereo == "mean":
        return data.mean(axis=1)
    return data[:, 0 if fmt.stereo == "first" else 1]


def _check_length(path: Path, samples: int, frames: int) -> None:
    if samples == 0:
        raise DataError(f"{path}: contains no samples")
    missing = wav_missing_bytes(path)
    if missing or samples < frames:
        raise DataError(f"{path}: truncated ({missing} bytes of audio data missing)")


def wav_missing_bytes(path: Path) -> int:
    """How many bytes of a RIFF/WAV file's declared ``data`` chunk are not in the file.

    libsndfile silently reads what is there, so a file cut short (an interrupted copy) would
    otherwise pass as a shorter clip.
    """
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return 0
        while True:
            chunk = handle.read(8)
            if len(chunk) < 8:
                return 0
            size = int.from_bytes(chunk[4:8], "little")
            if chunk[:4] == b"data":
                start = handle.tell()
                end = handle.seek(0, 2)
                return max(0, size - (end - start)) if size != 0xFFFFFFFF else 0
            handle.seek(size + (size & 1), 1)


def resample(wave: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling by the reduced ratio ``rate_out / rate_in``, along time (axis 0),
    each channel alike."""
    from scipy.signal import resample_poly

    divisor = math.gcd(rate_in, rate_out)
    return resample_poly(wave, rate_out // divisor, rate_in // divisor, axis=0).astype(np.float32)


def to_int16(wave: np.ndarray) -> np.ndarray:
    """Float samples in [-1, 1] to int16, as a 16-bit PCM file stores them."""
    return np.clip(np.round(wave * 32768.0), -32768, 32767).astype(np.int16)


def fit_length(wave: np.ndarray, length: int, offset: int = 0) -> np.ndarray:
    """Tile the clip (``[samples]`` or ``[samples, channels]``) periodically along time until it
    covers ``length`` samples, then cut a window of that length starting at ``offset`` (the
    reference system's rule; offset 0 for test clips)."""
    reps = math.ceil(length / len(wave))
    if offset < 0 or offset > reps * len(wave) - length:
        raise ValueError(f"offset {offset} outside [0, {reps * len(wave) - length}]")
    tiled = np.concatenate([wave] * reps) if reps > 1 else wave
    return tiled[offset : offset + length]


def max_offset(samples: int, length: int) -> int:
    """The largest valid ``fit_length`` offset for a clip of ``samples`` samples."""
    return math.ceil(length / samples) * samples - length
