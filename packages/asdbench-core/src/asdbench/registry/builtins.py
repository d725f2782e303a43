"""Core's own components, registered as an ordinary plugin (listed with ``plugins --all``)."""

from __future__ import annotations

from collections.abc import Iterator

from asdbench.registry.hookspecs import hookimpl
from asdbench.registry.specs import BackendSpec, DatasetSpec, EmbedderSpec


@hookimpl
def asdbench_datasets() -> Iterator[DatasetSpec]:
    yield DatasetSpec(
        name="synthetic",
        factory="asdbench.synthetic:SyntheticDataset",
        summary="Synthetic machine sounds in the DCASE2023 layout, generated on first use",
    )
    yield DatasetSpec(
        name="synthetic2022",
        factory="asdbench.synthetic:Synthetic2022Dataset",
        summary="Synthetic machine sounds in the DCASE2022 layout (sections), generated on "
        "first use",
    )


@hookimpl
def asdbench_embedders() -> Iterator[EmbedderSpec]:
    yield EmbedderSpec(
        name="dual_branch",
        factory="asdbench.model.dual_branch:DualBranchEmbedder",
        summary="AdaProj reference network: full-spectrum 1-D CNN + STFT ResNet, concatenated",
    )
    yield EmbedderSpec(
        name="logmel_stats",
        factory="asdbench.model.untrained:LogMelStatsEmbedder",
        summary="No training: mean and std over time of the log-mel spectrum (the floor)",
    )


@hookimpl
def asdbench_backends() -> Iterator[BackendSpec]:
    yield BackendSpec(
        name="kmeans",
        factory="asdbench.backends.builtin:KMeansBackend",
        summary="Reference backend: min cosine distance to source k-means and target clips",
    )
    yield BackendSpec(
        name="knn",
        factory="asdbench.backends.builtin:KnnBackend",
        summary="Mean cosine distance to the k nearest training clips, per domain",
    )
