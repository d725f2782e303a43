"""The adaptive scale and the random centres, against hand computations."""

import json
import math
from pathlib import Path

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
    # The released code's rule at a batch of 2 takes index round(0.5) = 0 of the ascending
    # values (TFP's recorded output below): the lower one too, so no clamp either.
    code = AdaptiveScale(2.0, dynamic=True, replace_exact_targets=False, count_classes=True)
    code.update(cosines, TARGETS, class_counts=counts)
    assert float(code.value) == pytest.approx((1.8 + math.log(b)) / 0.9 + 1e-7, rel=1e-6)


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


#: TensorFlow Probability's own output, recorded by scripts/record_tensorflow.py.
RECORDED = json.loads((Path(__file__).parent / "recorded" / "tensorflow.json").read_text())


def test_the_recording_names_its_library_versions():
    assert RECORDED["versions"]["tensorflow_probability"] == "0.25.0"
    assert len(RECORDED["percentile_q50"]) == 21


@pytest.mark.parametrize(
    "case", RECORDED["percentile_q50"], ids=lambda case: f"n={len(case['values'])}"
)
def test_tfp_nearest_equals_tfp_percentile_as_recorded(case):
    """``tfp.stats.percentile(values, q=50)`` of 1..n in a random order, as TFP 0.25.0
    computed it, for 21 batch sizes from 1 to 65: the ascending value at index
    round((n - 1) / 2), ties to even (the upper middle one at n = 4, 8, 64, the lower at
    n = 2, 6, 10)."""
    theta = torch.tensor(case["values"], dtype=torch.float64)
    assert float(median_angle(theta, "tfp-nearest")) == case["median"]


def test_the_recorded_median_at_the_issue_sizes():
    """The values TFP returns for 1..n as the issue reports them."""
    recorded = {len(case["values"]): case["median"] for case in RECORDED["percentile_q50"]}
    assert {n: recorded[n] for n in (4, 6, 8, 63, 64)} == {4: 3, 6: 3, 8: 5, 63: 32, 64: 33}


@pytest.mark.parametrize("size", [1, 2, 4, 6, 63, 64])
def test_the_lower_median_is_torch_median(size):
    generator = np.random.default_rng(size)
    values = generator.permutation(np.linspace(0.1, 1.5, size))  # distinct angles
    theta = torch.tensor(values, dtype=torch.float64)
    assert float(median_angle(theta, "lower")) == float(np.sort(values)[(size - 1) // 2])
