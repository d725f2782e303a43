"""Entry point of the plugin. Import-light: the loss module (and torch) load only when used."""

import asdbench


@asdbench.hookimpl
def asdbench_losses():
    yield asdbench.LossSpec(
        name="cosine_softmax",
        factory="asdbench_example_loss.loss:CosineSoftmaxLoss",
        summary="Softmax cross-entropy over scaled cosine similarity to one centre per class",
    )
