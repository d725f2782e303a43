"""Training: mixup, the L2 penalty, determinism, checkpoints and resume."""

import numpy as np
import pytest
import torch

import asdbench
from asdbench.data.audio_cache import AudioCache
from asdbench.errors import DataError
from asdbench.model.dual_branch import DualBranchEmbedder
from asdbench.testing.trees import write_wav
from asdbench.training.embedding import embed
from asdbench.training.loop import Trainer, l2_penalty, mixup
from asdbench.training.settings import TrainConfig


def test_mixup_pairs_each_clip_with_its_reversed_partner():
    waves = torch.arange(12.0).reshape(4, 3)
    targets = torch.eye(4)
    generator = torch.Generator().manual_seed(0)
    mixed, mixed_targets = mixup(waves, targets, 1.0, generator)
    lam = mixed_targets.diagonal()  # row i keeps λ_i of its own class
    assert ((lam > 0) & (lam < 1)).all()
    expected = lam[:, None] * waves + (1 - lam[:, None]) * waves.flip(0)
    assert torch.allclose(mixed, expected)
    assert torch.allclose(mixed_targets.sum(1), torch.ones(4))
    untouched, same_targets = mixup(waves, targets, 0.0, generator)
    assert torch.equal(untouched, waves) and torch.equal(same_targets, targets)


def test_mixup_mixes_both_channels_of_a_clip_with_one_lambda():
    waves = torch.arange(24.0).reshape(4, 2, 3)
    mixed, mixed_targets = mixup(waves, torch.eye(4), 1.0, torch.Generator().manual_seed(0))
    lam = mixed_targets.diagonal()
    for i in range(4):
        assert torch.allclose(mixed[i], lam[i] * waves[i] + (1 - lam[i]) * waves[3 - i])


def test_l2_penalty_covers_kernels_not_batch_norm():
    model = torch.nn.Sequential(torch.nn.Linear(3, 2, bias=False), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        model[0].weight.fill_(2.0)
        model[1].weight.fill_(5.0)
    assert float(l2_penalty(model).detach()) == 6 * 4.0


@pytest.fixture
def cache(tmp_path):
    paths = [write_wav(tmp_path / f"{i}.wav", seconds=0.3 + 0.05 * i, seed=i) for i in range(10)]
    return AudioCache.build(paths, tmp_path / "cache", progress=False)


def make_trainer(checkpoint, epochs=2, on_step=None, identity="trial-a"):
    torch.manual_seed(7)
    embedder = DualBranchEmbedder(sample_rate=16000, clip_samples=8000, embedding_dim=16)
    loss = asdbench.create("loss", "toy_cosine", num_classes=3, embedding_dim=16)
    config = TrainConfig(epochs=epochs, batch_size=4, embedding_dim=16)
    return Trainer(
        embedder,
        loss,
        config,
        seed=3,
        device=torch.device("cpu"),
        checkpoint=checkpoint,
        identity=identity,
        progress=False,
        on_step=on_step,
    )


class ToyLoss(torch.nn.Module):
    """A loss with a trainable parameter, to check it joins the optimiser."""

    def __init__(self, *, num_classes: int, embedding_dim: int) -> None:
        super().__init__()
        self.centers = torch.nn.Parameter(torch.randn(num_classes, embedding_dim))

    def forward(self, embeddings, targets):
        logits = torch.nn.functional.normalize(embeddings, dim=1) @ self.centers.T
        return -(targets * torch.log_softmax(logits, 1)).sum(1).mean()


class ToyPlugin:
    @asdbench.hookimpl
    def asdbench_losses(self):
        yield asdbench.LossSpec(name="toy_cosine", factory=ToyLoss, summary="toy")


@pytest.fixture(autouse=True)
def toy_loss(register_plugin):
    register_plugin(ToyPlugin(), "toy")


ROWS = np.arange(10)
CLASSES = np.arange(10) % 3


def state(trainer):
    return {
        **trainer.embedder.state_dict(),
        **{f"loss.{k}": v for k, v in trainer.loss.state_dict().items()},
    }


def test_loss_parameters_join_the_optimiser_and_train(tmp_path, cache):
    trainer = make_trainer(None, epochs=1)
    before = trainer.loss.centers.detach().clone()
    assert len(trainer.optimizer.param_groups) == 2
    trainer.fit(cache, ROWS, CLASSES, 3, 8000)
    assert not torch.equal(before, trainer.loss.centers.detach())
    assert len(trainer.history.epochs) == 1 and trainer.history.epochs[0]["clips_per_second"] > 0


def test_same_seed_trains_bit_for_bit_the_same(tmp_path, cache):
    first, second = make_trainer(None), make_trainer(None)
    first.fit(cache, ROWS, CLASSES, 3, 8000)
    second.fit(cache, ROWS, CLASSES, 3, 8000)
    for key, value in state(first).items():
        assert torch.equal(value, state(second)[key]), key


def test_interrupted_training_resumes_to_the_same_weights(tmp_path, cache):
    reference = make_trainer(tmp_path / "ref.pt")
    reference.fit(cache, ROWS, CLASSES, 3, 8000)

    def interrupt(step, values):
        if step == 3:  # the first step of epoch 2 (3 batches per epoch)
            raise KeyboardInterrupt

    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        make_trainer(checkpoint, on_step=interrupt).fit(cache, ROWS, CLASSES, 3, 8000)
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 1
    resumed = make_trainer(checkpoint)
    assert resumed.resume() and resumed.start_epoch == 1
    resumed.fit(cache, ROWS, CLASSES, 3, 8000)
    for key, value in state(reference).items():
        assert torch.equal(value, state(resumed)[key]), key
    assert [e["loss"] for e in resumed.history.epochs] == [
        e["loss"] for e in reference.history.epochs
    ]


def test_a_checkpoint_of_another_trial_or_out_of_plan_is_not_resumed(tmp_path, cache):
    """A checkpoint written for another trial (another cell's, copied in) or claiming an epoch
    outside this trial's plan is refused naming the file, never resumed as this trial."""

    def interrupt(step, values):
        if step == 3:
            raise KeyboardInterrupt

    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        make_trainer(checkpoint, on_step=interrupt).fit(cache, ROWS, CLASSES, 3, 8000)
    refused = r"run.pt: the checkpoint cannot be resumed \(it is another"
    with pytest.raises(DataError, match=refused):
        make_trainer(checkpoint, identity="trial-b").resume()
    state = torch.load(checkpoint, weights_only=True)
    for epoch in (99, 0, -1):
        torch.save({**state, "epoch": epoch}, checkpoint)
        with pytest.raises(DataError, match=f"epoch {epoch} is not one of this trial's 1..2"):
            make_trainer(checkpoint).resume()
    torch.save({**state, "epoch": 2}, checkpoint)  # trained, interrupted while embedding
    assert make_trainer(checkpoint).resume()


def test_embed_is_deterministic_and_uses_offset_zero(cache):
    trainer = make_trainer(None, epochs=1)
    first = embed(
        trainer.embedder,
        cache,
        ROWS,
        8000,
        batch_size=4,
        device=torch.device("cpu"),
        progress=False,
    )
    second = embed(
        trainer.embedder,
        cache,
        ROWS[::-1].copy(),
        8000,
        batch_size=3,
        device=torch.device("cpu"),
        progress=False,
    )
    assert first.shape == (10, 16)
    assert np.allclose(first[::-1], second, atol=1e-5)


class Recorder(torch.nn.Module):
    """An embedder that keeps every waveform batch it is given (to see the crops)."""

    def __init__(self) -> None:
        super().__init__()
        self.dense = torch.nn.Linear(64, 16, bias=False)
        self.seen: list[np.ndarray] = []

    def forward(self, waves):
        self.seen.append(waves.detach().numpy().copy())
        return self.dense(waves[:, :64])


def where_cut(window: np.ndarray, clips: list[np.ndarray]) -> tuple[int, int]:
    """(clip, offset) of ``window`` in the tiled clips, found by hand: the clip repeated as
    often as ``len(window)`` needs, then every start compared."""
    found = []
    for index, samples in enumerate(clips):
        tiled = np.tile(samples, -(-len(window) // len(samples)))
        for offset in range(len(tiled) - len(window) + 1):
            if np.array_equal(tiled[offset : offset + len(window)], window):
                found.append((index, offset))
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("crop", ["each_epoch", "once"])
def test_training_crops_are_windows_of_the_tiled_clip_drawn_per_epoch_or_once(
    tmp_path, cache, crop
):
    import soundfile

    clips = [soundfile.read(p, dtype="int16")[0] / 32768.0 for p in cache.files]
    recorder = Recorder()
    config = TrainConfig(
        epochs=3, batch_size=5, embedding_dim=16, mixup_prob=0.0, crop=crop, l2_weight=0.0
    )
    loss = asdbench.create("loss", "toy_cosine", num_classes=3, embedding_dim=16)
    trainer = Trainer(recorder, loss, config, seed=5, device=torch.device("cpu"), progress=False)
    trainer.fit(cache, ROWS, CLASSES, 3, 8000)
    epochs = [np.concatenate(recorder.seen[i * 2 : i * 2 + 2]) for i in range(3)]
    cuts = [dict(where_cut(w.astype(np.float64), clips) for w in epoch) for epoch in epochs]
    assert all(sorted(c) == list(range(10)) for c in cuts)  # every clip once per epoch
    room = [i for i, c in enumerate(clips) if -(-8000 // len(c)) * len(c) > 8000]
    assert any(cuts[0][i] > 0 for i in room)  # offsets are drawn, not 0
    if crop == "once":
        assert cuts[0] == cuts[1] == cuts[2]
        recorder.seen.clear()
        from asdbench.training.loop import fixed_offsets

        offsets = fixed_offsets(cache, 8000, seed=5)[ROWS]
        embed(recorder, cache, ROWS, 8000, batch_size=4, device=torch.device("cpu"),
              progress=False, offsets=offsets)  # fmt: skip
        embedded = np.concatenate(recorder.seen)
        # the released code embeds each clip at the crop it trained on
        assert [where_cut(w.astype(np.float64), clips) for w in embedded] == sorted(cuts[0].items())
    else:
        assert any(cuts[0][i] != cuts[1][i] for i in room)


def test_random_offsets_are_uniform_over_the_valid_starts():
    from asdbench.training.loop import random_offsets

    rng = np.random.default_rng(0)
    lengths = np.array([6000] * 4000)  # tiled twice: 12000 samples, starts 0..4000 for 8000
    drawn = random_offsets(rng, lengths, 8000)
    assert drawn.min() >= 0 and drawn.max() <= 4000
    counts = np.histogram(drawn, bins=4, range=(0, 4001))[0]
    assert np.all(np.abs(counts - 1000) < 5 * np.sqrt(1000))
    exact = random_offsets(rng, np.array([8000, 4000, 16000]), 8000)
    assert exact.tolist()[:2] == [0, 0]  # a clip of the length or tiled exactly: one start


class HalfFixed(torch.nn.Module):
    """A pretrained-style embedder: a fixed layer (shared under two names, as BEATs shares
    its position-bias table) under a trainable one, and a batch norm."""

    def __init__(self) -> None:
        super().__init__()
        self.fixed = torch.nn.Linear(4, 4)
        self.alias = self.fixed
        self.head = torch.nn.Linear(4, 2)
        self.norm = torch.nn.BatchNorm1d(2)
        self.fixed.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.head(self.fixed(x)))


def test_fixed_parameters_are_neither_penalised_nor_optimised_nor_stored():
    from asdbench.pipeline.trials import learned_state

    model = HalfFixed()
    assert torch.equal(l2_penalty(model), model.head.weight.square().sum())
    loss = asdbench.create("loss", "toy_cosine", num_classes=3, embedding_dim=2)
    trainer = Trainer(
        model,
        loss,
        TrainConfig(embedding_dim=2),
        seed=0,
        device=torch.device("cpu"),
        progress=False,
    )
    optimised = {id(p) for group in trainer.optimizer.param_groups for p in group["params"]}
    assert id(model.fixed.weight) not in optimised and id(model.head.weight) in optimised
    stored = learned_state(model)
    assert set(stored) == {
        "head.weight",
        "head.bias",
        "norm.weight",
        "norm.bias",
        "norm.running_mean",
        "norm.running_var",
        "norm.num_batches_tracked",
    }
