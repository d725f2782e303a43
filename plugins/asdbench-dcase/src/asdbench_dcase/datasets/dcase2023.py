"""DCASE2023 Task 2."""

from __future__ import annotations

from typing import ClassVar

from asdbench_dcase.datasets.year import ONE_SECTION, DcaseYear


class Dcase2023(DcaseYear):
    """DCASE2023 Task 2 ("first shot"): 7 dev and 7 different eval machine types, section 00
    only, clips of 6-18 s tiled and cropped to 18 s. Official score as in 2022."""

    name = "dcase2023"
    default_clip_seconds = 18.0
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": ("ToyDrone", "ToyNscale", "ToyTank", "Vacuum", "bandsaw", "grinder", "shaker"),
    }
    sections = ONE_SECTION
    zenodo = ("7882613", "7830345", "7860847")
    evaluator = "nttcslab/dcase2023_task2_evaluator"
