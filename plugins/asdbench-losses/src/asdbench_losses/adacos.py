"""AdaCos and sub-cluster AdaCos, as coded in the sub-cluster AdaCos reference.

With ``x̂ = x / ‖x‖`` and unit centres ``w_cj`` (J per class), the softmax runs over all C·J
scaled cosines ``s cos(x̂, w_cj)`` and a class's probability is the sum of its J sub-cluster
probabilities; the loss is the cross-entropy against soft (mixup) targets. AdaCos is the case
J = 1. The scale follows the sub-cluster rule of ``asdbench.model.angular.AdaptiveScale``: every
centre counts in the sum, and the target angle is summed over the J sub-clusters and multiplied
by the number of classes in the (mixed) target.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import torch
import torch.nn.functional as F

from asdbench import (
    AngularLoss,
    glorot_centers,
)


class SubclusterAdaCosLoss(AngularLoss):
    """Sub-cluster AdaCos.

    Options:
        n_subclusters: J, centres per class (32 here, to match the AdaProj comparison; the
            reference repositories use 16).
        trainable_centers: train the centres (the reference's main head: fixed).
        dynamic_scale: update the scale every training step; otherwise it stays at
            ``initial_scale``.
        initial_scale: the starting scale; default ``sqrt(2) * ln(C*J - 1)``.
    """

    #: The version of the numbers this loss computes: bump it with any change that alters them
    #: (the trial cache is keyed by it, not by the package's release).
    numerics_version: ClassVar[str] = "2"
    #: The scale's update weights a mixed target's angle by its classes (sub-cluster AdaCos).
    count_classes: ClassVar[bool] = True

    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        n_subclusters: Annotated[int, "Sub-clusters J: fixed centres per class"] = 32,
        **options: Any,
    ) -> None:
        if n_subclusters < 1:
            raise ValueError(f"n_subclusters must be at least 1, got {n_subclusters}")
        centers = glorot_centers(num_classes, n_subclusters, embedding_dim)
        super().__init__(centers, **options)
        self.n_subclusters = n_subclusters

    @property
    def centers(self) -> torch.Tensor:
        """Unit centres ``[classes, J, dim]``."""
        return F.normalize(self.raw_centers, dim=-1)

    def _cosines(self, embeddings: torch.Tensor) -> torch.Tensor:
        """``[B, C, J]`` cosine to every centre."""
        x = F.normalize(embeddings, dim=1)
        return torch.einsum("bd,cjd->bcj", x, self.centers.to(x.dtype))

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Unscaled class similarities ``[batch, classes]``: the cosine to the nearest of the
        class's sub-cluster centres."""
        return self._cosines(embeddings).amax(dim=-1)

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cosines = self._cosines(embeddings)
        flat = cosines.flatten(1)
        repeated = targets.repeat_interleave(self.n_subclusters, dim=1)  # class-major
        self.adaptive_scale.update(flat.detach(), repeated, (targets > 0).sum(dim=1).to(flat.dtype))
        scaled = self.adaptive_scale.value.to(cosines.dtype) * cosines
        log_class = torch.logsumexp(scaled, dim=-1) - torch.logsumexp(
            scaled.flatten(1), dim=1, keepdim=True
        )
        return -(targets * log_class).sum(dim=1).mean()


class AdaCosLoss(SubclusterAdaCosLoss):
    """AdaCos: sub-cluster AdaCos with one centre per class.

    Options:
        trainable_centers: train the centres (reference: fixed).
        dynamic_scale: update the scale every training step; otherwise it stays at
            ``initial_scale``.
        initial_scale: the starting scale; default ``sqrt(2) * ln(C - 1)``.
    """

    #: One centre per class: sub-cluster AdaCos' option, set here.
    sets_options: ClassVar[tuple[str, ...]] = ("n_subclusters",)

    def __init__(self, *, num_classes: int, embedding_dim: int, **options: Any) -> None:
        super().__init__(
            num_classes=num_classes, embedding_dim=embedding_dim, n_subclusters=1, **options
        )
