"""Training: mixup, the L2 penalty, determinism, checkpoints and resume."""

import numpy as np
import pytest
import torch

import asdbench
from asdbench.data.audio_cache import AudioCache
from asdbench.model.dual_branch import DualBranchEmbedder
from asdbench.model.settings import TrainConfig
from asdbench.model.training import Trainer, embed, l2_penalty, mixup
from asdbench.testing.trees import write_wav


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


def make_trainer(checkpoint, epochs=2, on_step=None):
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
