"""The entry point: registers the back end by name, without importing numpy."""

import asdbench


@asdbench.hookimpl
def asdbench_backends():
    yield asdbench.BackendSpec(
        name="centroid",
        factory="asdbench_example_backend.backend:CentroidBackend",
        summary="Cosine distance to the nearest per-domain centroid of the training clips",
    )
