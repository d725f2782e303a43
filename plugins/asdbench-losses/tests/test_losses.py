"""The baseline losses: conformance kit, formulas against independent computations."""

import math

import pytest
import torch
import torch.nn.functional as F

import asdbench
from asdbench.testing import LossConformanceTests
from asdbench_losses.adacos import AdaCosLoss, SubclusterAdaCosLoss
from asdbench_losses.compactness import CompactnessCCELoss, CompactnessLoss


class TestAdaCos(LossConformanceTests):
    factory = AdaCosLoss
    option_variants = {
        "trainable_centers": True,
        "dynamic_scale": False,
        "initial_scale": 3.0,
    }
    invalid_options = {"initial_scale": 0.0, "scale_median": "upper"}


class TestSubclusterAdaCos(LossConformanceTests):
    factory = SubclusterAdaCosLoss
    options = {"n_subclusters": 3}
    option_variants = {
        "n_subclusters": 4,
        "trainable_centers": True,
        "dynamic_scale": False,
        "initial_scale": 3.0,
    }
    invalid_options = {"n_subclusters": 0, "initial_scale": -2.0, "scale_median": "upper"}


class TestCompactness(LossConformanceTests):
    factory = CompactnessLoss


class TestCompactnessCCE(LossConformanceTests):
    factory = CompactnessCCELoss
    option_variants = {"compactness_weight": 2.0}
    invalid_options = {"compactness_weight": -1.0}


def test_plugin_registers_four_losses():
    names = {"adacos", "subcluster_adacos", "compactness", "compactness_cce"}
    assert names <= set(asdbench.available("loss"))
    assert {asdbench.component("loss", n).plugin.distribution for n in names} == {"asdbench-losses"}


def batch(seed=0, n=6, d=16, c=5):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g, dtype=torch.float64)
    y = torch.eye(c, dtype=torch.float64)[torch.randint(c, (n,), generator=g)]
    return x, y


def test_subcluster_probability_is_the_sum_over_sub_clusters():
    torch.manual_seed(0)
    loss = SubclusterAdaCosLoss(
        num_classes=5, embedding_dim=16, n_subclusters=3, dynamic_scale=False
    ).double()
    x, y = batch()
    cos = F.normalize(x, dim=1) @ loss.centers.reshape(15, 16).T  # all C*J cosines
    probs = torch.softmax(loss.scale * cos, dim=1).reshape(6, 5, 3).sum(-1)
    expected = -(y * probs.log()).sum(1).mean()
    assert torch.allclose(loss(x, y), expected)
    assert torch.allclose(loss.logits(x), cos.reshape(6, 5, 3).amax(-1))


def test_adacos_is_one_centre_per_class_with_scale_sqrt2_ln_c_minus_1():
    torch.manual_seed(1)
    loss = AdaCosLoss(num_classes=5, embedding_dim=16).double().eval()
    assert loss.centers.shape == (5, 1, 16)
    assert loss.scale == pytest.approx(math.sqrt(2) * math.log(4))
    x, y = batch(1)
    logits = F.normalize(x, dim=1) @ loss.centers[:, 0].T
    expected = -(y * torch.log_softmax(loss.scale * logits, 1)).sum(1).mean()
    assert torch.allclose(loss(x, y), expected)


def test_compactness_is_the_squared_distance_to_the_class_centre():
    torch.manual_seed(2)
    loss = CompactnessLoss(num_classes=5, embedding_dim=16).double()
    x, y = batch(2)
    centres = loss.centers[:, 0]
    expected = ((F.normalize(x, dim=1) - centres[y.argmax(1)]) ** 2).sum(1).mean()
    assert torch.allclose(loss(x, y), expected)
    assert loss(centres[:2] * 4.0, torch.eye(5, dtype=torch.float64)[:2]) < 1e-6


def test_compactness_cce_adds_a_weighted_compactness_term():
    torch.manual_seed(3)
    loss = CompactnessCCELoss(num_classes=5, embedding_dim=16, compactness_weight=0.5).double()
    x, y = batch(3)
    ce = F.cross_entropy(loss.classifier(x), y.argmax(1))
    comp = ((F.normalize(x, dim=1) - loss.centers[y.argmax(1), 0]) ** 2).sum(1).mean()
    assert torch.allclose(loss(x, y), ce + 0.5 * comp)
    assert [name for name, _ in loss.named_parameters()] == ["classifier.weight"]
