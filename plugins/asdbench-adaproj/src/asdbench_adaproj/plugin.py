"""Entry point: registers the ``adaproj`` loss (import-light; torch loads with the loss)."""

import asdbench


@asdbench.hookimpl
def asdbench_losses():
    yield asdbench.LossSpec(
        name="adaproj",
        factory="asdbench_adaproj.loss:AdaProjLoss",
        summary="AdaProj: cosine to the projection onto J fixed random centres per class, "
        "adaptive scale",
    )
