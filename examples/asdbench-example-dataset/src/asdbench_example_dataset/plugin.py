"""The entry point: registers the dataset by name."""

import asdbench


@asdbench.hookimpl
def asdbench_datasets():
    yield asdbench.DatasetSpec(
        name="pump_station",
        factory="asdbench_example_dataset.dataset:PumpStation",
        summary="A pump station's recordings in the DCASE2023 layout (two pumps, 5 s clips)",
    )
