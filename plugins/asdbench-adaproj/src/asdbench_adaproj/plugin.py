"""Entry point: registers the ``adaproj`` loss (import-light; torch loads with the loss) and
the presets that reproduce the AdaProj paper and its released code."""

import asdbench

#: What the paper and the released code share: everything the paper leaves open, it defers to
#: the code (docs/reproducing.md has the item-by-item table).
_AS_THE_CODE = {
    "loss": "adaproj",
    "embedder": "dual_branch",
    "backend": "kmeans",
    "loss.trainable_centers": False,
    "loss.exact_projection": False,
    "loss.dynamic_scale": True,
    "loss.initial_scale": None,
    "loss.scale_median": "tfp-nearest",
    "embedder.block2_bn_bug": True,
    "embedder.bn_moving_variance": "keras",
    "embedder.time_pooling": "window18",
    "backend.renormalize_centroids": False,
    "backend.random_state": 0,
    "train.epochs": 10,
    "train.batch_size": 64,
    "train.learning_rate": 0.001,
    "train.adam_eps": 1e-7,
    "train.l2_weight": 1e-5,
    "train.mixup_prob": 1.0,
    "train.crop": "once",
    "train.embed_offset": "random",
    "std": "population",
}


@asdbench.hookimpl
def asdbench_losses():
    yield asdbench.LossSpec(
        name="adaproj",
        factory="asdbench_adaproj.loss:AdaProjLoss",
        summary="AdaProj: cosine to the projection onto J fixed random centres per class, "
        "adaptive scale",
    )


@asdbench.hookimpl
def asdbench_presets():
    yield asdbench.PresetSpec(
        name="adaproj-paper",
        version="1",
        summary="The AdaProj paper: 512-dim embedding, J = 32, 32 means, Definition 1, ten "
        "trials and their mean ensemble; the released code wherever the paper is silent",
        values={
            **_AS_THE_CODE,
            "train.embedding_dim": 512,
            "loss.subspace_dim": 32,
            "loss.logit": "normalized_distance",
            "backend.n_means": 32,
            "dataset.classes": "train",
            "trials": 10,
            "ensemble": "mean",
        },
    )
    yield asdbench.PresetSpec(
        name="adaproj-code",
        version="1",
        summary="The released AdaProj code: 256-dim embedding, J = 16, 16 means, classes from "
        "train and dev-test files, five trials, no ensemble, crops drawn once",
        values={
            **_AS_THE_CODE,
            "train.embedding_dim": 256,
            "loss.subspace_dim": 16,
            "loss.logit": "cosine",
            "backend.n_means": 16,
            "dataset.classes": "train+dev-test",
            "trials": 5,
            "ensemble": None,
        },
    )
