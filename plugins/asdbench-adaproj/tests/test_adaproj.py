"""AdaProj: the conformance kit, the paper's Lemma 2, and the maths against independent code."""

import math

import numpy as np
import pytest
import torch

import asdbench
from asdbench.testing import LossConformanceTests
from asdbench_adaproj.loss import AdaProjLoss


class TestAdaProjConformance(LossConformanceTests):
    factory = AdaProjLoss
    options = {"subspace_dim": 3}
    option_variants = {
        "subspace_dim": 5,
        "trainable_centers": True,
        "exact_projection": True,
        "logit": "normalized_distance",
        "dynamic_scale": False,
        "initial_scale": 3.0,
    }
    invalid_options = {
        "subspace_dim": 0,
        "logit": "distance",
        "initial_scale": -1.0,
        "scale_median": "upper",
    }


def test_plugin_is_discoverable():
    assert asdbench.component("loss", "adaproj").plugin.distribution == "asdbench-adaproj"


def make(seed=0, **options):
    torch.manual_seed(seed)
    return AdaProjLoss(**{"num_classes": 4, "embedding_dim": 64, "subspace_dim": 8, **options})


def in_span(centers: torch.Tensor, generator: torch.Generator, count: int) -> torch.Tensor:
    """Random vectors in the span of ``centers`` ([J, D])."""
    weights = torch.randn(count, centers.shape[0], generator=generator, dtype=centers.dtype)
    return weights @ centers


def test_lemma_2_orthonormal_centres_give_logit_one_and_distance_zero():
    loss = make(exact_projection=True)
    centers = loss.centers
    assert torch.allclose(centers[1] @ centers[1].T, torch.eye(8), atol=1e-5)
    x = in_span(centers[1], torch.Generator().manual_seed(1), 10)
    assert torch.allclose(loss.logits(x)[:, 1], torch.ones(10), atol=1e-5)
    for form in ("normalized_distance", "projection_distance"):
        distance = make(exact_projection=True, logit=form)
        assert torch.allclose(distance.logits(x)[:, 1], torch.zeros(10), atol=1e-5)
    others = loss.logits(x)[:, [0, 2, 3]]
    assert (others < 0.9).all()  # other classes' subspaces are far in 64 dimensions


def test_reference_random_centres_at_paper_size_stay_close_to_one_in_span():
    """D = 512, J = 32: W Wᵀ is a weighted projector, so an in-span vector gets a cosine of
    about 0.94 to 1 rather than exactly 1 (Marchenko-Pastur spread of the Gram eigenvalues)."""
    torch.manual_seed(0)
    loss = AdaProjLoss(num_classes=3, embedding_dim=512, subspace_dim=32)
    x = in_span(loss.centers[2], torch.Generator().manual_seed(2), 200)
    logits = loss.logits(x)[:, 2]
    assert logits.max() <= 1 + 1e-5
    assert logits.min() > 0.9 and logits.mean() > 0.94


def test_exact_projection_logit_is_the_norm_of_the_qr_projection():
    raw = make(seed=5)  # same random draw, raw centres
    exact = make(seed=5, exact_projection=True)
    x = torch.randn(7, 64, generator=torch.Generator().manual_seed(3))
    unit = torch.nn.functional.normalize(x, dim=1).numpy().astype(np.float64)
    for c in range(4):
        basis, _ = np.linalg.qr(raw.centers[c].numpy().astype(np.float64).T)  # [D, J]
        projection = unit @ basis @ basis.T
        expected = np.linalg.norm(projection, axis=1)
        assert np.allclose(exact.logits(x)[:, c].numpy(), expected, atol=1e-5)


def test_gram_form_equals_the_materialised_projection():
    """The reference builds p_c = Σ_j a_cj w_cj explicitly; the Gram form must agree."""
    loss = make(seed=2)
    x = torch.randn(6, 64, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    w = loss.centers.double()
    unit = torch.nn.functional.normalize(x, dim=1)
    a = torch.einsum("bd,cjd->bcj", unit, w)
    projections = (a.unsqueeze(-1) * w.unsqueeze(0)).sum(dim=2)  # [B, C, D], as in Keras
    expected = torch.nn.functional.cosine_similarity(unit.unsqueeze(1), projections, dim=-1)
    assert torch.allclose(loss.double().logits(x), expected, atol=1e-10)


def test_the_distance_logits_against_the_materialised_projection():
    """normalized_distance is the paper's Definition 1, the squared distance between the unit
    embedding and the unit projection (as a similarity: its negative), which the paper notes
    is 2 - 2 cos; projection_distance measures to the projection itself."""
    x = torch.randn(6, 64, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    unit = torch.nn.functional.normalize(x, dim=1).numpy()
    for form in ("normalized_distance", "projection_distance"):
        loss = make(seed=3, logit=form).double()
        w = loss.centers.numpy()  # [C, J, D]
        for c in range(4):
            projection = unit @ w[c].T @ w[c]  # Σ_j <x̂, w_cj> w_cj, [B, D]
            if form == "normalized_distance":
                target = projection / np.linalg.norm(projection, axis=1, keepdims=True)
            else:
                target = projection
            expected = -np.square(unit - target).sum(axis=1)
            assert np.allclose(loss.logits(x)[:, c].numpy(), expected, atol=1e-10), (form, c)
    cosine = make(seed=3).double().logits(x)
    normalized = make(seed=3, logit="normalized_distance").double().logits(x)
    assert torch.allclose(normalized, 2 * cosine - 2, atol=1e-12)


def test_one_centre_per_class_is_the_absolute_adacos_cosine():
    """With J = 1 the projection normalisation turns AdaCos' cos θ into |cos θ|."""
    loss = make(subspace_dim=1)
    x = torch.randn(9, 64, generator=torch.Generator().manual_seed(6))
    cosine = torch.nn.functional.normalize(x, dim=1) @ loss.centers[:, 0].T
    assert torch.allclose(loss.logits(x), cosine.abs(), atol=1e-6)


def test_initial_scale_is_sqrt2_ln_of_all_centres_minus_one():
    assert make().scale == pytest.approx(math.sqrt(2) * math.log(4 * 8 - 1))
    assert make(initial_scale=7.5).scale == 7.5


def test_scale_updates_in_training_and_not_when_fixed():
    x = torch.randn(8, 64, generator=torch.Generator().manual_seed(7))
    y = torch.eye(4)[torch.arange(8) % 4]
    dynamic, fixed = make(), make(dynamic_scale=False)
    start = dynamic.scale
    dynamic(x, y)
    fixed(x, y)
    assert dynamic.scale != start and fixed.scale == start


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"exact_projection": True},
        {"logit": "normalized_distance"},
        {"logit": "projection_distance"},
    ],
)
def test_gradients_are_finite_for_zero_and_colinear_embeddings(options):
    loss = make(**options)
    colinear = loss.centers[0, :1].repeat(3, 1) * torch.tensor([[1.0], [2.0], [-3.0]])
    x = torch.cat([torch.zeros(2, 64), colinear]).requires_grad_(True)
    y = torch.eye(4)[[0, 1, 0, 2, 3]]
    value = loss(x, y)
    value.backward()
    assert torch.isfinite(value) and torch.isfinite(x.grad).all()


def test_fixed_centres_do_not_move_trainable_ones_do():
    x = torch.randn(8, 64, generator=torch.Generator().manual_seed(8))
    y = torch.eye(4)[torch.arange(8) % 4]
    for trainable in (False, True):
        loss = make(trainable_centers=trainable)
        before = loss.centers.detach().clone()
        parameters = list(loss.parameters())
        assert len(parameters) == int(trainable)
        if parameters:
            optimizer = torch.optim.SGD(parameters, lr=0.5)
            loss(x, y).backward()
            optimizer.step()
        moved = not torch.allclose(before, loss.centers.detach())
        assert moved == trainable
