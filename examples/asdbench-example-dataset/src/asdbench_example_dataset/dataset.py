"""A dataset on the ``asdbench.Dataset`` contract: recordings kept in the DCASE2023 layout
(``dev_data/<machine>/{train,test}/section_00_<domain>_<split>_<label>_<n>_<attributes>.wav``),
so ``asdbench.DcaseLayoutDataset`` reads them; the class states the facts of the data."""

from __future__ import annotations

from typing import ClassVar

from asdbench import DcaseLayoutDataset, ScoreRule


class PumpStation(DcaseLayoutDataset):
    """Two pumps of one station, one section each, scored as DCASE 2023 scores its data: the
    harmonic mean of every section's AUC (source), AUC (target) and pAUC."""

    name: ClassVar[str] = "pump_station"
    sample_rate: ClassVar[int] = 16000
    default_clip_seconds: ClassVar[float] = 5.0
    official_score: ClassVar[ScoreRule] = ScoreRule("pump_station")
    machine_types: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("PumpA", "PumpB")}
    sections: ClassVar[dict[str, tuple[str, ...]]] = {"dev": ("00",)}
    how_to_obtain: ClassVar[str] = "Copy the station's recordings into the DCASE2023 layout."
