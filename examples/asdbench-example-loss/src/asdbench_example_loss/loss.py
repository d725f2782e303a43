"""Softmax cross-entropy over ``scale * cos(embedding, centre_c)``, one centre per class."""

from __future__ import annotations

from typing import Annotated

import torch
import torch.nn.functional as F
from torch import nn


class CosineSoftmaxLoss(nn.Module):
    """Cross-entropy of ``softmax(scale * cos θ_c)`` against soft (mixup) targets.

    The centres are trained with the network unless ``trainable_centers=False``; a fixed
    ``scale`` replaces AdaCos' adaptive one.
    """

    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        scale: Annotated[float, "Fixed scale of the cosine logits (AdaCos adapts it)"] = 16.0,
        trainable_centers: Annotated[bool, "Train the class centres with the network"] = True,
    ) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        centers = nn.init.xavier_uniform_(torch.empty(num_classes, embedding_dim))
        if trainable_centers:
            self.centers = nn.Parameter(centers)
        else:
            self.register_buffer("centers", centers)
        self.scale = scale

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Cosine similarity of each embedding to each class centre, ``[batch, classes]``."""
        return F.normalize(embeddings, dim=1) @ F.normalize(self.centers, dim=1).T

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        log_probs = F.log_softmax(self.scale * self.logits(embeddings), dim=1)
        return -(targets * log_probs).sum(dim=1).mean()
