"""DCASE2026 Task 2."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from asdbench_dcase.datasets.year import ONE_SECTION, DcaseYear

Channel = Literal["left", "right", "mix", "both"]
#: The core's stereo handling for each 2026 channel choice.
CHANNELS: dict[str, str] = {"left": "first", "right": "second", "mix": "mean", "both": "both"}


class Dcase2026(DcaseYear):
    """DCASE2026 Task 2 (noise-aware first shot): stereo clips, the near microphone in the
    left channel (what the earlier years' mono clips were) and a far one in the right.

    The ``channel`` option chooses what the embedder hears: the left channel by default, as the
    baseline uses; ``both`` gives it the two channels (an embedder that takes two, such as
    ``dual_branch`` or ``logmel_stats``; another is refused before any work). Development
    machine types partly emulated (``...Emu``), 5 new evaluation ones, section 00, the 2023
    layout. The official score follows the 2023-2025 rule (the 2026 evaluator could not be read
    here). Clips are tiled and cropped to 12 s, as for 2024 and 2025. The evaluation test set
    is Zenodo record 20437238 ("DCASE 2026 Challenge Task 2 Evaluation Dataset"); its archive
    names are taken to follow 2023-2025 (``eval_data_<m>_test.zip``), and a download checks the
    record lists each before fetching any."""

    name = "dcase2026"
    default_clip_seconds = 12.0
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyCarEmu", "bearingEmu", "fan", "gearboxEmu", "sliderEmu", "valveEmu"),
        "eval": ("BlowerDustCollector", "Sander", "SewingMachine", "ToothBrush", "ToyDrone"),
    }
    sections = ONE_SECTION
    zenodo = ("19336329", "20151556", "20437238")
    renamed: ClassVar[dict[str, str]] = {"dev_ToyCar.zip": "dev_ToyCar_r2.zip"}

    #: The base's option this year sets itself, from ``channel``.
    sets_options: ClassVar[tuple[str, ...]] = ("stereo",)

    def __init__(
        self,
        *,
        channel: Annotated[
            Channel,
            "Which microphone the embedder hears: left (near, the baseline's), right "
            "(far), their mix, or both as two channels (to an embedder that takes two)",
        ] = "left",
        **options: Any,
    ) -> None:
        if channel not in CHANNELS:
            raise ValueError(f"channel must be left, right, mix or both, got {channel!r}")
        super().__init__(stereo=CHANNELS[channel], **options)
