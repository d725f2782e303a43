"""Core's own components, registered as an ordinary plugin (listed with ``plugins --all``)."""

from __future__ import annotations

from collections.abc import Iterator

from asdbench.hookspecs import hookimpl
from asdbench.specs import DatasetSpec


@hookimpl
def asdbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="synthetic",
        factory="asdbench.synthetic:SyntheticDataset",
        summary="Synthetic machine sounds in the DCASE2023 layout, generated on first use",
    )
