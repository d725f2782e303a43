"""The adaptive scale and the random centres, against hand computations."""

import math

import pytest
import torch

from asdbench.model.angular import AdaptiveScale, glorot_centers, initial_scale

COSINES = torch.tensor([[0.5, 0.1, -0.2], [0.3, 0.8, 0.0]], dtype=torch.float64)
TARGETS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.6, 0.4]], dtype=torch.float64)


def test_adaproj_rule_on_a_hand_computed_batch():
    # s_old = 2: scaled logits [[1.0, 0.2, -0.4], [0.6, 1.6, 0.0]], so m = 1.6.
    # Row 0's target is exactly 1, so it contributes exp(-m) instead of exp(1.0 - m).
    b = (math.exp(-1.6) + math.exp(-1.4) + math.exp(-2.0) + math.exp(-1.0) + 1 + math.exp(-1.6)) / 2
    # Target angles: row 0: arccos(0.5) = pi/3; row 1: 0.6 arccos(0.8) + 0.4 arccos(0).
    # Lower median of the two = row 1's 1.0144 rad > pi/4, so the clamp applies.
    assert 0.6 * math.acos(0.8) + 0.4 * math.pi / 2 < math.pi / 3
    expected = (1.6 + math.log(b)) / math.cos(math.pi / 4) + 1e-7
    scale = AdaptiveScale(2.0, dynamic=True, replace_exact_targets=True, count_classes=False)
    scale.update(COSINES, TARGETS)
    assert float(scale.value) == pytest.approx(expected, rel=1e-6)


def test_subcluster_rule_counts_classes_and_keeps_targets():
    # s_old = 2: scaled logits [[1.8, 0.2, -0.4], [0.6, 1.6, 0.0]], so m = 1.8; every entry
    # counts, the target of row 0 included.
    b = (1 + math.exp(-1.6) + math.exp(-2.2) + math.exp(-1.2) + math.exp(-0.2) + math.exp(-1.8)) / 2
    scale = AdaptiveScale(2.0, dynamic=True, replace_exact_targets=False, count_classes=True)
    cosines = torch.tensor([[0.9, 0.1, -0.2], [0.3, 0.8, 0.0]], dtype=torch.float64)
    # Angles: row 0: arccos(0.9) = 0.4510 (one class); row 1: 1.0144 x 2 classes = 2.0288.
    # Lower median = 0.4510 < pi/4: no clamp.
    expected = (1.8 + math.log(b)) / 0.9 + 1e-7
    scale.update(cosines, TARGETS, class_counts=torch.tensor([1.0, 2.0], dtype=torch.float64))
    assert float(scale.value) == pytest.approx(expected, rel=1e-6)


def test_no_update_in_eval_mode_or_when_fixed():
    for scale in (
        AdaptiveScale(2.0, dynamic=True, replace_exact_targets=True, count_classes=False).eval(),
        AdaptiveScale(2.0, dynamic=False, replace_exact_targets=True, count_classes=False),
    ):
        scale.update(COSINES, TARGETS)
        assert float(scale.value) == 2.0


def test_initial_scale_and_centres():
    assert initial_scale(10, 32) == pytest.approx(math.sqrt(2) * math.log(319))
    with pytest.raises(ValueError):
        initial_scale(1, 2)
    torch.manual_seed(0)
    centers = glorot_centers(5, 3, 16)
    assert centers.shape == (5, 3, 16)
    assert torch.allclose(centers.norm(dim=-1), torch.ones(5, 3))
    torch.manual_seed(0)
    kernel = torch.empty(16, 15).uniform_(-math.sqrt(6 / 31), math.sqrt(6 / 31))
    assert torch.allclose(centers[1, 2] * kernel[:, 5].norm(), kernel[:, 5])  # class-major
