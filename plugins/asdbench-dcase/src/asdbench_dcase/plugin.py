"""Entry point: registers the dcase2022 and dcase2023 datasets (import-light)."""

import asdbench


@asdbench.hookimpl
def asdbench_datasets():
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
