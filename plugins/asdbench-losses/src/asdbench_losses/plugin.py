"""Entry point: registers the baseline losses (import-light; torch loads with a loss)."""

import asdbench

#: name -> (factory, summary) of each loss.
LOSSES = {
    "adacos": (
        "adacos:AdaCosLoss",
        "AdaCos: scaled cosine to one fixed centre per class, adaptive scale",
    ),
    "subcluster_adacos": (
        "adacos:SubclusterAdaCosLoss",
        "Sub-cluster AdaCos: J fixed centres per class, probabilities summed per class",
    ),
    "compactness": (
        "compactness:CompactnessLoss",
        "Intra-class compactness: squared distance to a fixed centre per class",
    ),
    "compactness_cce": (
        "compactness:CompactnessCCELoss",
        "Compactness plus categorical cross-entropy on the same classes",
    ),
}


@asdbench.hookimpl
def asdbench_losses():
    for name, (factory, summary) in LOSSES.items():
        yield asdbench.LossSpec(name=name, factory=f"asdbench_losses.{factory}", summary=summary)
