"""AdaProj: angular margin subspace projections with AdaCos' adaptive scale.

Each class c has J unit centres ``W_c`` (rows, ``[J, D]``). With ``x̂ = x / ‖x‖`` and
``a_c = W_c x̂`` (the J centre cosines), the reference's "projection" is ``p_c = W_cᵀ a_c`` and

    logit_c = cos(x̂, p_c) = ‖a_c‖² / ‖p_c‖,   ‖p_c‖² = a_cᵀ G_c a_c,  G_c = W_c W_cᵀ (J x J).

Computing ``‖p_c‖`` through the Gram matrix never builds the ``[B, D, C, J]`` tensor of the
Keras reference (0.84 GB at B=64, D=512, C=200, J=32); the largest tensors are ``a`` and
``G a``, ``[B, C, J]`` (1.6 MB at that size), plus ``G`` itself, ``[C, J, J]`` (0.8 MB).

The loss is the cross-entropy of ``softmax(s * logit)`` against soft (mixup) targets.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

import torch
import torch.nn.functional as F

from asdbench import (
    AngularLoss,
    glorot_centers,
)

EPSILON = 1e-12
LOGITS = ("cosine", "normalized_distance", "projection_distance")


class AdaProjLoss(AngularLoss):
    """AdaProj (as coded by the reference, with the paper's J = 32 by default).

    Options:
        subspace_dim: J, centres per class (the paper: 32; the reference code: 16).
        trainable_centers: train the centres with the network (reference: fixed).
        exact_projection: orthonormalise each class's centres (QR), so ``p_c`` is the true
            orthogonal projection and the logit is ``‖P_c x̂‖`` (reference: raw centres, a
            weighted projector).
        logit: ``"cosine"`` (reference code); ``"normalized_distance"``, the paper's
            Definition 1 as a similarity, ``-‖x̂ - p_c/‖p_c‖‖² = 2 cos - 2``; or
            ``"projection_distance"``, ``-‖x̂ - p_c‖²`` to the unnormalised projection (a
            variant the reference once had, commented out). The scale update always uses the
            cosine's angle.
        dynamic_scale: update the scale every training step (AdaCos); otherwise it stays at
            ``initial_scale``.
        initial_scale: the starting scale; default ``sqrt(2) * ln(C*J - 1)`` as coded.
    """

    #: The version of the numbers this loss computes: bump it with any change that alters them
    #: (the trial cache is keyed by it, not by the package's release).
    numerics_version: ClassVar[str] = "2"
    #: The scale's update counts an exactly-1 target as exp(-m) (AdaProj's rule).
    replace_exact_targets: ClassVar[bool] = True

    def __init__(
        self,
        *,
        num_classes: int,
        embedding_dim: int,
        subspace_dim: Annotated[
            int, "Subspace dimension J: fixed random centres spanning each class's subspace"
        ] = 32,
        exact_projection: Annotated[
            bool,
            "Orthonormalise each class's centres (QR); the reference projects onto the raw ones",
        ] = False,
        logit: Annotated[
            Literal["cosine", "normalized_distance", "projection_distance"],
            "cosine (the code), normalized_distance (the paper's Definition 1) or "
            "projection_distance (to the unnormalised projection); docs/losses.md",
        ] = "cosine",
        **options: Any,
    ) -> None:
        if num_classes < 1 or embedding_dim < 1:
            raise ValueError("num_classes and embedding_dim must be positive")
        if subspace_dim < 1:
            raise ValueError(f"subspace_dim must be at least 1, got {subspace_dim}")
        if exact_projection and subspace_dim > embedding_dim:
            raise ValueError(
                f"exact_projection needs subspace_dim <= embedding_dim ({subspace_dim} > "
                f"{embedding_dim})"
            )
        if logit not in LOGITS:
            raise ValueError(f"logit must be one of {', '.join(LOGITS)}, got {logit!r}")
        centers = glorot_centers(num_classes, subspace_dim, embedding_dim)
        if exact_projection:
            centers = _orthonormal_rows(centers)
        super().__init__(centers, **options)
        self.num_classes = num_classes
        self.subspace_dim = subspace_dim
        self.exact_projection = exact_projection
        self.logit_form = logit

    @property
    def centers(self) -> torch.Tensor:
        """The centres in use, ``[classes, J, dim]``: unit rows, orthonormal per class with
        ``exact_projection``."""
        if self.exact_projection and self.trainable_centers:
            return _orthonormal_rows(self.raw_centers)  # training moves them off orthonormal
        return F.normalize(self.raw_centers, dim=-1)

    def _forms(self, embeddings: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(cosine logits, the configured logits), both ``[B, C]``."""
        x = F.normalize(embeddings, dim=1)
        w = self.centers.to(x.dtype)
        a = torch.einsum("bd,cjd->bcj", x, w)  # cosine to each centre
        energy = a.square().sum(dim=-1)  # <x̂, p_c>
        if self.exact_projection:
            projection_sq = energy  # G = I
        else:
            gram = w @ w.transpose(1, 2)  # [C, J, J]
            projection_sq = (torch.einsum("bcj,cjk->bck", a, gram) * a).sum(dim=-1)
        cosine = energy / projection_sq.clamp_min(EPSILON).sqrt()
        if self.logit_form == "normalized_distance":
            return cosine, 2 * cosine - 2  # -‖x̂ - p̂_c‖² for unit x̂ and p̂_c
        if self.logit_form == "projection_distance":
            return cosine, 2 * energy - projection_sq - 1  # -‖x̂ - p_c‖²
        return cosine, cosine

    def logits(self, embeddings: torch.Tensor) -> torch.Tensor:
        """Unscaled class similarities ``[batch, classes]`` (cosine or negative squared
        distance, per ``logit``)."""
        return self._forms(embeddings)[1]

    def forward(self, embeddings: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        cosine, logits = self._forms(embeddings)
        self.adaptive_scale.update(cosine.detach(), targets)
        log_probs = F.log_softmax(self.adaptive_scale.value.to(logits.dtype) * logits, dim=1)
        return -(targets * log_probs).sum(dim=1).mean()


def _orthonormal_rows(centers: torch.Tensor) -> torch.Tensor:
    """Per class, an orthonormal basis of the span of its centres (QR, signs fixed so that each
    basis vector points along its centre), ``[C, J, D]``."""
    q, r = torch.linalg.qr(centers.transpose(1, 2))  # [C, D, J]
    signs = torch.sign(torch.diagonal(r, dim1=1, dim2=2)).unsqueeze(1)
    return (q * torch.where(signs == 0, torch.ones_like(signs), signs)).transpose(1, 2)
