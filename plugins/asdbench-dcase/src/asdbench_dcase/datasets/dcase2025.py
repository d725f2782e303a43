"""DCASE2025 Task 2."""

from __future__ import annotations

from typing import ClassVar

from asdbench_dcase.datasets.withheld import WithheldAttributesYear
from asdbench_dcase.datasets.year import ONE_SECTION


class Dcase2025(WithheldAttributesYear):
    """DCASE2025 Task 2 (first shot): the development machine types again and 8 new evaluation
    ones, section 00, the 2023 layout (names ending in ``_``, attributes in
    ``attributes_00.csv``) and official score. Some machine types also have supplemental clips
    (``<machine>/supplemental/``: the machine's sound alone, or the noise alone): they form
    their own split, ``supplemental``, and are never trained on or scored. Clips are tiled and
    cropped to 12 s, as for 2024."""

    name = "dcase2025"
    default_clip_seconds = 12.0
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": (
            "AutoTrash",
            "BandSealer",
            "CoffeeGrinder",
            "HomeCamera",
            "Polisher",
            "ScrewFeeder",
            "ToyPet",
            "ToyRCCar",
        ),
    }
    sections = ONE_SECTION
    zenodo = ("15097779", "15392814", "15519362")
    evaluator = "nttcslab/dcase2025_task2_evaluator"
