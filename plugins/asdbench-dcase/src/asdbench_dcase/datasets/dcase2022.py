"""DCASE2022 Task 2."""

from __future__ import annotations

from typing import ClassVar

from asdbench_dcase.datasets.year import DcaseYear


class Dcase2022(DcaseYear):
    """DCASE2022 Task 2: the same 7 machine types in both partitions, sections 00-02 (dev) and
    03-05 (eval), 10 s clips. The official score is the harmonic mean of every section's
    AUC (source), AUC (target) and pAUC."""

    name = "dcase2022"
    default_clip_seconds = 10.0
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
        "eval": ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve"),
    }
    sections: ClassVar[dict[str, tuple[str, ...]]] = {
        "dev": ("00", "01", "02"),
        "eval": ("03", "04", "05"),
    }
    zenodo = ("6355122", "6462969", "6586456")
    evaluator = "Kota-Dohi/dcase2022_evaluator"
