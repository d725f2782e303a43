"""Building blocks for angular-margin losses, shared by AdaProj, AdaCos and sub-cluster AdaCos:
random unit class centres and AdaCos' adaptive scale.

Loss plugins import these from core so that every loss updates its scale the same way.
"""

from __future__ import annotations

import math
from typing import Annotated, ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import nn

#: Keras clips the angle's cosine to this margin before arccos.
COSINE_CLIP = 1e-7

# The options every loss with fixed centres and an adaptive scale has, documented once.
TrainableCenters = Annotated[
    bool, "Train the class centres with the network (the reference keeps them fixed)"
]
DynamicScale = Annotated[
    bool, "Update the scale every step from the batch's median angle; false keeps it fixed"
]
InitialScale = Annotated[
    float | None, "Starting scale (default: sqrt(2) ln(C*J - 1), C classes, J centres each)"
]
ScaleMedian = Annotated[
    Literal["tfp-nearest", "lower"],
    "Median angle of the scale update: tfp-nearest as the released code, or the lower median",
]


def glorot_centers(num_classes: int, per_class: int, embedding_dim: int) -> torch.Tensor:
    """``[classes, per_class, dim]`` centres drawn as Keras draws a ``dim x classes*per_class``
    Glorot-uniform kernel (limit sqrt(6 / (dim + classes*per_class))), class-major, then
    L2-normalised per centre. Uses torch's global generator (seed with ``torch.manual_seed``)."""
    fan_out = num_classes * per_class
    limit = math.sqrt(6.0 / (embedding_dim + fan_out))
    kernel = torch.empty(embedding_dim, fan_out).uniform_(-limit, limit)
    centers = kernel.T.reshape(num_classes, per_class, embedding_dim)
    return F.normalize(centers, dim=-1)


def initial_scale(num_classes: int, per_class: int) -> float:
    """AdaCos' initial scale as coded in the reference: sqrt(2) * ln(C*J - 1)."""
    count = num_classes * per_class
    if count < 3:
        raise ValueError(f"the adaptive scale needs at least 3 centres in all, got {count}")
    return math.sqrt(2.0) * math.log(count - 1)


def starting_scale(given: float | None, num_classes: int, per_class: int) -> float:
    """``given`` when set, else the reference's sqrt(2) ln(C*J - 1); with fewer than 3 centres
    in all that formula is undefined and the scale starts at 1."""
    if given is not None:
        return given
    return initial_scale(num_classes, per_class) if num_classes * per_class >= 3 else 1.0


def angles(cosines: torch.Tensor) -> torch.Tensor:
    return torch.arccos(cosines.clamp(-1 + COSINE_CLIP, 1 - COSINE_CLIP))


def median_angle(theta: torch.Tensor, rule: str) -> torch.Tensor:
    """The batch's median angle by ``rule``:

    - ``tfp-nearest``: ``tfp.stats.percentile(theta, q=50)`` as the released code calls it
      (interpolation ``nearest``): the values sorted in ascending order, the one at index
      ``round((n - 1) / 2)`` with ties rounded to even (TFP 0.11.1, the code's, and 0.25 alike).
      For an even batch that is the upper of the two middle values when n is divisible by 4
      (the code's batch of 64 included) and the lower one when n = 2 mod 4; for an odd batch,
      the middle value.
    - ``lower``: the lower of the two middle values (``torch.median``).
    """
    if rule == "lower":
        return theta.median()
    ascending = round((theta.numel() - 1) / 2)  # Python rounds half to even, as tf.round does
    return theta.kthvalue(ascending + 1).values


class AdaptiveScale(nn.Module):
    """The scale ``s`` that multiplies the cosine logits, updated every training step without
    gradient (AdaCos, Zhang et al. 2019, as coded in the AdaProj and sub-cluster AdaCos
    reference):

    1. ``m = max(s_old * cos)`` over batch and logits;
    2. ``B = mean_i sum_k exp(s_old * cos_ik - m)``; with ``replace_exact_targets``, entries
       whose target is exactly 1 contribute ``exp(-m)`` instead (AdaProj's rule);
    3. ``theta_i = sum_k y_ik * theta_ik``, times the number of classes in ``y_i`` when
       ``count_classes`` (sub-cluster AdaCos' rule);
    4. ``theta_med`` = the median of ``theta_i`` over the batch, by ``median``
       (:func:`median_angle`; the released code's ``tfp-nearest`` by default);
    5. ``s_new = (m + log B) / cos(min(pi/4, theta_med)) + 1e-7``.

    The scale is a buffer: saved in ``state_dict`` and moved by ``.to()``. It never changes in
    eval mode, nor when ``dynamic`` is false.
    """

    def __init__(
        self,
        initial: float,
        *,
        dynamic: bool,
        replace_exact_targets: bool,
        count_classes: bool,
        median: str = "tfp-nearest",
    ) -> None:
        super().__init__()
        if initial <= 0:
            raise ValueError(f"the scale must be positive, got {initial}")
        if median not in ("tfp-nearest", "lower"):
            raise ValueError(f"scale_median must be 'tfp-nearest' or 'lower', got {median!r}")
        self.median = median
        self.register_buffer("value", torch.tensor(float(initial)))
        self.dynamic = dynamic
        self.replace_exact_targets = replace_exact_targets
        self.count_classes = count_classes

    @torch.no_grad()
    def update(
        self, cosines: torch.Tensor, targets: torch.Tensor, class_counts: torch.Tensor | None = None
    ) -> None:
        """One step. ``cosines`` and ``targets`` are ``[B, K]`` (K logits); ``class_counts`` is
        the number of non-zero classes per row, used with ``count_classes``."""
        if not (self.training and self.dynamic):
            return
        scale = self.value.to(cosines.dtype)
        scaled = scale * cosines
        top = scaled.max()
        terms = torch.exp(scaled - top)
        if self.replace_exact_targets:
            terms = torch.where(targets >= 1, torch.exp(-top), terms)
        mean_sum = terms.sum(dim=1).mean()
        theta = (targets * angles(cosines)).sum(dim=1)
        if self.count_classes and class_counts is not None:
            theta = theta * class_counts
        clamped = torch.clamp(median_angle(theta, self.median), max=math.pi / 4)
        new = (top + torch.log(mean_sum)) / torch.cos(clamped) + 1e-7
        self.value.copy_(new.to(self.value.dtype))

    def forward(self) -> torch.Tensor:
        return self.value


class AngularLoss(nn.Module):
    """The base of a loss over the cosine between an embedding and class centres, with an
    adaptive scale: it keeps the centres ``[classes, per_class, dim]`` (``raw_centers``, a
    parameter the trainer optimises when ``trainable``, else a buffer saved with the state and
    never trained) and the scale, started as :func:`starting_scale` says and reported during
    training as ``train/scale``. Its four options are every such loss's: a subclass takes
    ``**options`` and passes them on with its centres, and states how its scale reads the
    targets."""

    #: :class:`AdaptiveScale`'s rules: AdaProj replaces exact targets, sub-cluster AdaCos
    #: counts the classes of a mixed target.
    replace_exact_targets: ClassVar[bool] = False
    count_classes: ClassVar[bool] = False

    def __init__(
        self,
        centers: torch.Tensor,
        /,
        *,
        trainable_centers: TrainableCenters = False,
        dynamic_scale: DynamicScale = True,
        initial_scale: InitialScale = None,
        scale_median: ScaleMedian = "tfp-nearest",
    ) -> None:
        if initial_scale is not None and initial_scale <= 0:
            raise ValueError(f"initial_scale must be positive, got {initial_scale}")
        super().__init__()
        self.trainable_centers = trainable_centers
        if trainable_centers:
            self.raw_centers = nn.Parameter(centers)
        else:
            self.register_buffer("raw_centers", centers)
        classes, per_class = centers.shape[:2]
        self.adaptive_scale = AdaptiveScale(
            starting_scale(initial_scale, classes, per_class),
            dynamic=dynamic_scale,
            replace_exact_targets=self.replace_exact_targets,
            count_classes=self.count_classes,
            median=scale_median,
        )

    @property
    def scale(self) -> float:
        """The current scale ``s``."""
        return float(self.adaptive_scale.value)

    def training_metrics(self) -> dict[str, torch.Tensor]:
        """The scale, logged during training as ``train/scale``."""
        return {"scale": self.adaptive_scale.value}
