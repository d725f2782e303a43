"""DCASE2024 Task 2."""

from __future__ import annotations

from typing import ClassVar

from asdbench_dcase.datasets.withheld import WithheldAttributesYear
from asdbench_dcase.datasets.year import ONE_SECTION


class Dcase2024(WithheldAttributesYear):
    """DCASE2024 Task 2 (first shot): the 2023 development machine types and 9 new evaluation
    ones, section 00, the 2023 layout and official score. Some machine types come without
    attribute information (``..._noAttribute.wav``: their classes are section and domain only;
    ``attribute_correspondence`` gives them the attributes published later). Clips are tiled
    and cropped to 12 s, as the AdaProj author's 2024 system does."""

    name = "dcase2024"
    default_clip_seconds = 12.0
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": (
            "3DPrinter",
            "AirCompressor",
            "BrushlessMotor",
            "HairDryer",
            "HoveringDrone",
            "RoboticArm",
            "Scanner",
            "ToothBrush",
            "ToyCircuit",
        ),
    }
    sections = ONE_SECTION
    zenodo = ("10902294", "11259435", "11363076")
    renamed: ClassVar[dict[str, str]] = {
        "eval_data_3DPrinter_train.zip": "eval_data_3DPrinter_train_r2.zip",
        "eval_data_RoboticArm_train.zip": "eval_data_RoboticArm_train_r2.zip",
    }
    evaluator = "nttcslab/dcase2024_task2_evaluator"
