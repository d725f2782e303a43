"""Entry point: registers the DCASE Task 2 datasets, 2020 to 2026 (import-light)."""

import asdbench


@asdbench.hookimpl
def asdbench_datasets():
    yield asdbench.DatasetSpec(
        name="dcase2020",
        factory="asdbench_dcase.datasets:Dcase2020",
        summary="DCASE2020 Task 2: 6 machine types, machine IDs, no domains, 10 s",
    )
    yield asdbench.DatasetSpec(
        name="dcase2021",
        factory="asdbench_dcase.datasets:Dcase2021",
        summary="DCASE2021 Task 2: 7 machine types x 6 sections, source and target test sets, 10 s",
    )
    yield asdbench.DatasetSpec(
        name="dcase2022",
        factory="asdbench_dcase.datasets:Dcase2022",
        summary="DCASE2022 Task 2: 7 machine types x 6 sections, 10 s clips",
    )
    yield asdbench.DatasetSpec(
        name="dcase2023",
        factory="asdbench_dcase.datasets:Dcase2023",
        summary="DCASE2023 Task 2: 7 dev + 7 eval machine types (first shot), up to 18 s",
    )
    yield asdbench.DatasetSpec(
        name="dcase2024",
        factory="asdbench_dcase.datasets:Dcase2024",
        summary="DCASE2024 Task 2: 7 dev + 9 eval machine types (first shot), 12 s",
    )
    yield asdbench.DatasetSpec(
        name="dcase2025",
        factory="asdbench_dcase.datasets:Dcase2025",
        summary="DCASE2025 Task 2: 7 dev + 8 eval machine types (first shot), supplemental "
        "clips, 12 s",
    )
    yield asdbench.DatasetSpec(
        name="dcase2026",
        factory="asdbench_dcase.datasets:Dcase2026",
        summary="DCASE2026 Task 2: stereo (near left, far right), 7 dev + 5 eval machine types, "
        "12 s",
    )
