"""Entry point: registers the DCASE Task 2 datasets, 2020 to 2026 (import-light)."""

import asdbench

#: Each year's dataset, ``dcase<year>`` (its class ``Dcase<year>``), in one line.
YEARS = {
    "2020": "6 machine types, machine IDs, no domains, 10 s",
    "2021": "7 machine types x 6 sections, source and target test sets, 10 s",
    "2022": "7 machine types x 6 sections, 10 s clips",
    "2023": "7 dev + 7 eval machine types (first shot), up to 18 s",
    "2024": "7 dev + 9 eval machine types (first shot), 12 s",
    "2025": "7 dev + 8 eval machine types (first shot), supplemental clips, 12 s",
    "2026": "stereo (near left, far right), 7 dev + 5 eval machine types, 12 s",
}


@asdbench.hookimpl
def asdbench_datasets():
    for year, summary in YEARS.items():
        yield asdbench.DatasetSpec(
            name=f"dcase{year}",
            factory=f"asdbench_dcase.datasets:Dcase{year}",
            summary=f"DCASE{year} Task 2: {summary}",
        )
