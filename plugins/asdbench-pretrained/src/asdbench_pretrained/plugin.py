"""Entry point: the BEATs and EAT embedders, their presets and ``asdbench models`` (import-light:
torch and peft load with an embedder)."""

import asdbench

#: name -> (factory, summary) of each embedder.
EMBEDDERS = {
    "beats": (
        "embedders:FrozenBeats",
        "BEATs as published, no training: the mean of a layer's tokens (needs a checkpoint)",
    ),
    "beats_lora": (
        "embedders:LoraBeats",
        "BEATs fine-tuned through LoRA with a pooling head, any loss (needs a checkpoint)",
    ),
    "eat": (
        "embedders:FrozenEat",
        "EAT as published, no training: a layer's utterance token (needs a checkpoint)",
    ),
    "eat_lora": (
        "embedders:LoraEat",
        "EAT fine-tuned through LoRA with a head on its utterance token, any loss",
    ),
}


@asdbench.hookimpl
def asdbench_embedders():
    for name, (factory, summary) in EMBEDDERS.items():
        yield asdbench.EmbedderSpec(
            name=name, factory=f"asdbench_pretrained.{factory}", summary=summary
        )


@asdbench.hookimpl
def asdbench_presets():
    yield asdbench.PresetSpec(
        name="beats-frozen-knn",
        version="1",
        summary="Frozen BEATs (mean of the last layer's tokens) and a kNN back end, no "
        "training; give the checkpoint with --set embedder.checkpoint=PATH",
        values={
            "embedder": "beats",
            "backend": "knn",
            "train.embedding_dim": 768,
            "trials": 1,
        },
    )
    yield asdbench.PresetSpec(
        name="beats-lora-adaproj",
        version="1",
        summary="BEATs fine-tuned through LoRA (rank 64 on q and v, attentive statistics "
        "pooling to 256) with the AdaProj loss and k-means; give the checkpoint with --set",
        values={
            "embedder": "beats_lora",
            "loss": "adaproj",
            "backend": "kmeans",
            "train.embedding_dim": 256,
            "train.batch_size": 32,
            "train.learning_rate": 0.0001,
            "train.epochs": 10,
            "trials": 1,
        },
    )

    yield asdbench.PresetSpec(
        name="eat-frozen-knn",
        version="1",
        summary="Frozen EAT (the last layer's utterance token) and a kNN back end, no "
        "training; give the checkpoint with --set embedder.checkpoint=PATH",
        values={
            "embedder": "eat",
            "backend": "knn",
            "train.embedding_dim": 768,
            "trials": 1,
        },
    )


@asdbench.hookimpl
def asdbench_commands(cli):
    from asdbench_pretrained.command import models_command

    cli.add_command(models_command)
