"""Entry point: registers the baseline losses (import-light; torch loads with a loss)."""

import asdbench


@asdbench.hookimpl
def asdbench_losses():
    yield asdbench.LossSpec(
        name="adacos",
        factory="asdbench_losses.adacos:AdaCosLoss",
        summary="AdaCos: scaled cosine to one fixed centre per class, adaptive scale",
    )
    yield asdbench.LossSpec(
        name="subcluster_adacos",
        factory="asdbench_losses.adacos:SubclusterAdaCosLoss",
        summary="Sub-cluster AdaCos: J fixed centres per class, probabilities summed per class",
    )
    yield asdbench.LossSpec(
        name="compactness",
        factory="asdbench_losses.compactness:CompactnessLoss",
        summary="Intra-class compactness: squared distance to a fixed centre per class",
    )
    yield asdbench.LossSpec(
        name="compactness_cce",
        factory="asdbench_losses.compactness:CompactnessCCELoss",
        summary="Compactness plus categorical cross-entropy on the same classes",
    )
