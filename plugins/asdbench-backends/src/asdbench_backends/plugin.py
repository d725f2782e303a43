"""Entry point: registers the back ends (import-light; scikit-learn loads with a back end)."""

import asdbench

#: name -> (factory, summary) of each back end.
BACKENDS = {
    "smote_knn": (
        "neighbours:SmoteKnnBackend",
        "kNN per domain, the few target clips oversampled with SMOTE (ASDKit)",
    ),
    "density_knn": (
        "neighbours:DensityKnnBackend",
        "kNN distance divided by each reference's own local density (Wilkinghoff 2025)",
    ),
    "lof": ("neighbours:LofBackend", "Local outlier factor of the training clips (scikit-learn)"),
    "mahalanobis": (
        "gaussian:MahalanobisBackend",
        "Mahalanobis distance to one shrunk Gaussian of all training clips",
    ),
    "selective_mahalanobis": (
        "gaussian:SelectiveMahalanobisBackend",
        "Smaller Mahalanobis distance of a Gaussian per domain (DCASE 2023-2026 baseline)",
    ),
    "genrep": (
        "memory:GenRepBackend",
        "GenRep: kNN to a source and a MemMixup-grown target memory bank, each standardised",
    ),
    "fusion": (
        "fusion:FusionBackend",
        "Label-free fusion: each member standardised by its cross-fitted self-scores, the least",
    ),
    "gmm": (
        "gaussian:GmmBackend",
        "Negative log-likelihood under a Gaussian mixture of the training clips",
    ),
}


@asdbench.hookimpl
def asdbench_backends():
    for name, (factory, summary) in BACKENDS.items():
        yield asdbench.BackendSpec(
            name=name, factory=f"asdbench_backends.{factory}", summary=summary
        )
