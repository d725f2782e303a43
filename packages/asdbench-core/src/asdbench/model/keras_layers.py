"""Layers that compute as their Keras counterparts in the AdaProj reference code: TensorFlow
``same`` padding (asymmetric when the total is odd), batch norm with Keras' momentum and
epsilon, and the moving variance of Keras 2's non-fused batch norms."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

BN_MOMENTUM = 0.01  # Keras 0.99
BN_EPS = 1e-3


def same_output(size: int, stride: int) -> int:
    return math.ceil(size / stride)


def same_padding(size: int, kernel: int, stride: int) -> tuple[int, int]:
    """TensorFlow ``same``: total = max((out - 1) * stride + kernel - size, 0), the odd
    extra pixel at the end."""
    total = max((same_output(size, stride) - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class KerasBatchNorm1d(nn.BatchNorm1d):
    """Batch norm over features (``[B, C]`` or ``[B, C, L]``) whose moving variance follows
    Keras 2's non-fused layers when ``biased``: they average the biased batch variance (divide
    by n), where torch (and Keras' fused, convolutional layers) use the unbiased one (n - 1).
    Normalisation in training uses the batch statistics either way."""

    def __init__(self, features: int, *, biased: bool) -> None:
        super().__init__(features, eps=BN_EPS, momentum=BN_MOMENTUM)
        self.biased = biased

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.training and self.biased):
            return super().forward(x)
        dims = [0] if x.dim() == 2 else [0, 2]
        with torch.no_grad():
            statistics = x.to(self.running_var.dtype)  # bf16 inputs: stats in float32
            mean = statistics.mean(dim=dims)
            variance = statistics.var(dim=dims, unbiased=False)
        out = F.batch_norm(x, None, None, self.weight, self.bias, True, 0.0, self.eps)
        with torch.no_grad():
            self.running_mean.lerp_(mean, self.momentum)
            self.running_var.lerp_(variance, self.momentum)
            self.num_batches_tracked.add_(1)
        return out


def bn1d(features: int, biased: bool) -> KerasBatchNorm1d:
    return KerasBatchNorm1d(features, biased=biased)


def bn2d(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class SameConv1d(nn.Conv1d):
    """A bias-free 1-D convolution with TensorFlow ``same`` padding for one input length."""

    def __init__(self, length: int, cin: int, cout: int, kernel: int, stride: int) -> None:
        super().__init__(cin, cout, kernel, stride, bias=False)
        self.pads = same_padding(length, kernel, stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(F.pad(x, self.pads))


class SameConv2d(nn.Conv2d):
    """A bias-free 2-D convolution with TensorFlow ``same`` padding (computed per input size,
    asymmetric when the total is odd: 3x3 stride 2 on even sizes pads bottom/right only)."""

    def __init__(self, cin: int, cout: int, kernel: int, stride: int = 1) -> None:
        symmetric = stride == 1 and kernel % 2 == 1
        super().__init__(
            cin, cout, kernel, stride, padding=kernel // 2 if symmetric else 0, bias=False
        )
        self.symmetric = symmetric

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.symmetric:
            k, s = self.kernel_size[0], self.stride[0]
            top, bottom = same_padding(x.shape[-2], k, s)
            left, right = same_padding(x.shape[-1], k, s)
            x = F.pad(x, (left, right, top, bottom))
        return super().forward(x)
