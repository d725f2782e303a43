"""Numerics, not releases, key the trial cache: a new release of core or of a plugin that
changes none of the numbers reuses the trained trials; a change to the numbers of the training
loop, a loss or an embedder (its declared ``numerics_version``) trains again."""

import dataclasses

import pytest
from mlflow.tracking import MlflowClient

from asdbench.pipeline.cells import run_benchmark
from asdbench.pipeline.resolve import resolve
from asdbench.training import loop

QUIET = {"progress": False, "echo": lambda message: None}


def tiny():
    return resolve(
        loss="adaproj",
        embedder="dual_branch",
        backend="kmeans",
        dataset="synthetic",
        sets=["dataset.size=tiny", "train.embedding_dim=16", "loss.subspace_dim=4"],
        train={"epochs": 1, "batch_size": 16},
    )


def trial_cache_tag(outcome) -> str:
    client = MlflowClient()
    [trial] = client.search_runs(
        [client.get_run(outcome.run_id).info.experiment_id],
        f"tags.mlflow.parentRunId = '{outcome.run_id}'",
    )
    return trial.data.tags["asdbench.trial_cache"]


def released(config, monkeypatch, version):
    """``config`` as a new release (core and every plugin at ``version``) would resolve it."""
    import asdbench.registry.manager

    monkeypatch.setattr(asdbench.registry.manager, "core_version", lambda: version)
    for choice in config.choices().values():
        plugin = dataclasses.replace(choice.component.plugin, version=version)
        choice.component = dataclasses.replace(choice.component, plugin=plugin)
    return config


@pytest.mark.slow
def test_a_release_that_changes_no_numbers_reuses_cached_trials(
    mlflow_tracking, asdbench_cache, monkeypatch
):
    first = run_benchmark(tiny(), **QUIET)
    assert trial_cache_tag(first) == "trained"

    again = run_benchmark(released(tiny(), monkeypatch, "99.0"), **QUIET)
    assert trial_cache_tag(again) == "reused"
    assert again.results["eval"].official_score() == first.results["eval"].official_score()

    monkeypatch.setattr(loop, "NUMERICS_VERSION", "changed")
    assert trial_cache_tag(run_benchmark(tiny(), **QUIET)) == "trained"


def test_each_numerics_version_is_part_of_the_key(asdbench_cache, monkeypatch, tmp_path):
    """The key changes with the training loop's, the loss's and the embedder's numerics
    versions, and with nothing else of a release."""
    from asdbench.pipeline.trials import training_key

    class Cache:
        directory = tmp_path / "audio-key"

    config = tiny()
    key = training_key(config, Cache, 0, "cpu")
    assert training_key(released(tiny(), monkeypatch, "99.0"), Cache, 0, "cpu") == key
    for target in (
        loop,
        config.loss.component.spec.resolve(),
        config.embedder.component.spec.resolve(),
    ):
        name = "NUMERICS_VERSION" if target is loop else "numerics_version"
        with monkeypatch.context() as patch:
            patch.setattr(target, name, "bumped")
            assert training_key(config, Cache, 0, "cpu") != key, target


def test_a_component_that_declares_no_numerics_version_is_keyed_by_its_release(
    register_plugin,
):
    """Without a declared ``numerics_version`` every release of the plugin retrains: the safe
    side for code asdbench knows nothing about."""
    import asdbench
    from asdbench.pipeline.trials import numerics_of

    def plain_loss(*, num_classes: int, embedding_dim: int):
        from asdbench_losses.compactness import CompactnessLoss

        return CompactnessLoss(num_classes=num_classes, embedding_dim=embedding_dim)

    class Plugin:
        @asdbench.hookimpl
        def asdbench_losses(self):
            yield asdbench.LossSpec(name="plainloss", factory=plain_loss, summary="plain")

    register_plugin(Plugin(), "plain", distribution="plain-loss", version="1.2")
    config = resolve(
        loss="plainloss", embedder="dual_branch", backend="kmeans", dataset="synthetic"
    )
    assert numerics_of(config.loss) == "plain-loss 1.2"
    from asdbench.model.dual_branch import DualBranchEmbedder

    declared = DualBranchEmbedder.numerics_version
    assert numerics_of(config.embedder) == f"dual_branch numerics {declared}"
