"""The facts of each challenge year (2020 to 2026), one module a year, and downloading its
archives from Zenodo (:mod:`.year`)."""

from asdbench_dcase.datasets.dcase2020 import MACHINE_IDS_2020, Dcase2020
from asdbench_dcase.datasets.dcase2021 import Dcase2021
from asdbench_dcase.datasets.dcase2022 import Dcase2022
from asdbench_dcase.datasets.dcase2023 import Dcase2023
from asdbench_dcase.datasets.dcase2024 import Dcase2024
from asdbench_dcase.datasets.dcase2025 import Dcase2025
from asdbench_dcase.datasets.dcase2026 import Dcase2026
from asdbench_dcase.datasets.withheld import WithheldAttributesYear, read_correspondence
from asdbench_dcase.datasets.year import DcaseYear

__all__ = [
    "MACHINE_IDS_2020",
    "Dcase2020",
    "Dcase2021",
    "Dcase2022",
    "Dcase2023",
    "Dcase2024",
    "Dcase2025",
    "Dcase2026",
    "DcaseYear",
    "WithheldAttributesYear",
    "read_correspondence",
]
