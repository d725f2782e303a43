"""Intra-class compactness losses (Wilkinghoff & Kurth, TASLP 2024; no reference code exists).

IC compactness, a one-class objective per class as in Ruff et al.'s Deep SVDD, jointly over all
classes, with fixed random unit centres ``w_c``:

    L_comp = mean_i  sum_c y_ic ‖x̂_i - w_c‖²,   x̂ = x / ‖x‖

Compactness + CCE (Perera & Patel's compactness + descriptiveness, trained on the same classes):
a linear classifier ``V`` (no bias) on the embeddings adds a categorical cross-entropy,

    L = -mean_i sum_c y_ic log softmax(V x_i)_c  +  λ L_comp,   λ = ``compactness_weight``.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from asdbench import glorot_centers


class CompactnessLoss(nn.Module):
    """Squared distance of the normalised embedding to its class's fixed unit centre."""

    #: The version of the numbers this loss computes: bump it with any change that alters them
    #: (the trial cache is keyed by it, not by the package's release).
    numerics_version: ClassVar[str] = "1"

    def __init__(self, *, num_classes: int, embedding_dim: int) -> None:
        super().__init__()
        self.register_buffer("raw_centers", glorot_centers(num_classes, 1, embedding_dim))

    @property
    def centers(self) -> torch.Tensor:
        """Unit centres ``[classes, 1, dim]``."""
        return self.raw_centers

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity to each class centre, ``[batch, classes]``."""
        return F.normalize(embeddings, dim=1) @ self.centers[:, 0].to(embeddings.dtype).T

    def compactness(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        # ‖x̂ - w‖² = 2 - 2 cos for unit vectors
        distances = 2 - 2 * self.logits(embeddings)
        return (targets * distances).sum(dim=1).mean()

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return self.compactness(embeddings, targets)


class CompactnessCCELoss(CompactnessLoss):
    """Categorical cross-entropy of a linear classifier plus weighted compactness.

    Options:
        compactness_weight: λ, the weight of the compactness term (Perera & Patel: 0.1).
    """

    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        compactness_weight: Annotated[
            float, "Weight of the compactness term beside the cross-entropy (>= 0)"
        ] = 0.1,
    ) -> None:
        super().__init__(num_classes=num_classes, embedding_dim=embedding_dim)
        if compactness_weight < 0:
            raise ValueError(f"compactness_weight must be >= 0, got {compactness_weight}")
        self.compactness_weight = compactness_weight
        self.classifier = nn.Linear(embedding_dim, num_classes, bias=False)
        nn.init.xavier_uniform_(self.classifier.weight)

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_probs = F.log_softmax(self.classifier(embeddings), dim=1)
        cross_entropy = -(targets * log_probs).sum(dim=1).mean()
        return cross_entropy + self.compactness_weight * self.compactness(embeddings, targets)
