"""Entry point: registers the back ends (import-light; scikit-learn loads with a back end)."""

import asdbench


@asdbench.hookimpl
def asdbench_backends():
    yield asdbench.BackendSpec(
        name="smote_knn",
        factory="asdbench_backends.neighbours:SmoteKnnBackend",
        summary="kNN per domain, the few target clips oversampled with SMOTE (ASDKit)",
    )
    yield asdbench.BackendSpec(
        name="density_knn",
        factory="asdbench_backends.neighbours:DensityKnnBackend",
        summary="kNN distance divided by each reference's own local density (Wilkinghoff 2025)",
    )
    yield asdbench.BackendSpec(
        name="lof",
        factory="asdbench_backends.neighbours:LofBackend",
        summary="Local outlier factor of the training clips (scikit-learn)",
    )
    yield asdbench.BackendSpec(
        name="mahalanobis",
        factory="asdbench_backends.gaussian:MahalanobisBackend",
        summary="Mahalanobis distance to one shrunk Gaussian of all training clips",
    )
    yield asdbench.BackendSpec(
        name="selective_mahalanobis",
        factory="asdbench_backends.gaussian:SelectiveMahalanobisBackend",
        summary="Smaller Mahalanobis distance of a Gaussian per domain (DCASE 2023-2026 baseline)",
    )
    yield asdbench.BackendSpec(
        name="gmm",
        factory="asdbench_backends.gaussian:GmmBackend",
        summary="Negative log-likelihood under a Gaussian mixture of the training clips",
    )
