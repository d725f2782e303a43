"""The adaptive scale and the random centres, against hand computations."""

import math

import numpy as np
import pytest
import torch

from asdbench.model.angular import AdaptiveScale, glorot_centers, initial_scale, median_angle

COSINES = torch.tensor([[0.5, 0.1, -0.2], [0.3, 0.8, 0.0]], dtype=torch.float64)
TARGETS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.6, 0.4]], dtype=torch.float64)


def test_adaproj_rule_on_a_hand_computed_batch():
    # s_old = 2: scaled logits [[1.0, 0.2, -0.4], [0.6, 1.6, 0.0]], so m = 1.6.
    # Row 0's target is exactly 1, so it contributes exp(-m) instead of exp(1.0 - m).
    b = (math.exp(-1.6) + math.exp(-1.4) + math.exp(-2.0) + math.exp(-1.0) + 1 + math.exp(-1.6)) / 2
    # Target angles: row 0: arccos(0.5) = pi/3; row 1: 0.6 arccos(0.8) + 0.4 arccos(0).
    # Either middle value (1.0472 or 1.0144 rad) is > pi/4, so the clamp applies.
    assert 0.6 * math.acos(0.8) + 0.4 * math.pi / 2 < math.pi / 3
    expected = (1.6 + math.log(b)) / math.cos(math.pi / 4) + 1e-7
    scale = AdaptiveScale(2.0, dynamic=True, replace_exact_targets=True, count_classes=False)
    scale.update(COSINES, TARGETS)
    assert float(scale.value) == pytest.approx(expected, rel=1e-6)


def test_subcluster_rule_counts_classes_and_keeps_targets():
    # s_old = 2: scaled logits [[1.8, 0.2, -0.4], [0.6, 1.6, 0.0]], so m = 1.8; every entry
    # counts, the target of row 0 included.
    b = (1 + math.exp(-1.6) + math.exp(-2.2) + math.exp(-1.2) + math.exp(-0.2) + math.exp(-1.8)) / 2
    cosines = torch.tensor([[0.9, 0.1, -0.2], [0.3, 0.8, 0.0]], dtype=torch.float64)
    counts = torch.tensor([1.0, 2.0], dtype=torch.float64)
    # Angles: row 0: arccos(0.9) = 0.4510 (one class); row 1: 1.0144 x 2 classes = 2.0288.
    # Lower median = 0.4510 < pi/4: no clamp.
    lower = AdaptiveScale(
        2.0, dynamic=True, replace_exact_targets=False, count_classes=True, median="lower"
    )
    lower.update(cosines, TARGETS, class_counts=counts)
    assert float(lower.value) == pytest.approx((1.8 + math.log(b)) / 0.9 + 1e-7, rel=1e-6)
    # The released code's rule at a batch of 2 (2 mod 4) takes the upper value, 2.0288 > pi/4.
    code = AdaptiveScale(2.0, dynamic=True, replace_exact_targets=False, count_classes=True)
    code.update(cosines, TARGETS, class_counts=counts)
    expected = (1.8 + math.log(b)) / math.cos(math.pi / 4) + 1e-7
    assert float(code.value) == pytest.approx(expected, rel=1e-6)


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


def tfp_nearest_median(values: np.ndarray) -> float:
    """tfp.stats.percentile(values, q=50, interpolation="nearest") transcribed from its source:
    sort from the largest (``tf.nn.top_k``), take index ``round((d - 1) * (1 - q / 100))``
    with ``tf.round``'s ties to even (numpy's ``np.round`` rounds the same way), clipped."""
    ordered = np.sort(values)[::-1]
    index = int(np.round((len(values) - 1) * (1 - 50 / 100)))
    return float(ordered[min(max(index, 0), len(values) - 1)])


@pytest.mark.parametrize("size", [1, 2, 4, 6, 63, 64])
def test_median_angle_matches_tfp_nearest_and_the_lower_median(size):
    generator = np.random.default_rng(size)
    values = generator.permutation(np.linspace(0.1, 1.5, size))  # distinct angles
    theta = torch.tensor(values, dtype=torch.float64)
    assert float(median_angle(theta, "tfp-nearest")) == tfp_nearest_median(values)
    assert float(median_angle(theta, "lower")) == float(np.sort(values)[(size - 1) // 2])


def test_tfp_nearest_takes_the_lower_middle_at_64_and_the_upper_at_6():
    ascending = np.arange(64, dtype=float)
    assert tfp_nearest_median(ascending) == 31.0  # the lower of 31 and 32
    assert float(median_angle(torch.tensor(ascending), "tfp-nearest")) == 31.0
    assert float(median_angle(torch.tensor(np.arange(6.0)), "tfp-nearest")) == 3.0  # upper
    assert float(median_angle(torch.tensor(np.arange(4.0)), "tfp-nearest")) == 1.0  # lower
