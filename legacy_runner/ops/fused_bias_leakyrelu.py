"""Bias + leaky ReLU + gain (StyleGAN2, mmcv.ops.fused_bias_leakyrelu); mmcv's CPU path is this
same PyTorch expression, used on every device here."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def fused_bias_leakyrelu(input: Tensor, bias: Tensor, negative_slope: float = 0.2,
                         scale: float = 2**0.5) -> Tensor:
    """``leaky_relu(input + bias[channel], negative_slope) * scale`` (channel = dim 1)."""
    if bias is not None:
        assert bias.ndim == 1
        assert bias.shape[0] == input.shape[1]
        input = input + bias.reshape([-1 if i == 1 else 1 for i in range(input.ndim)])
    return F.leaky_relu(input, negative_slope) * scale


class FusedBiasLeakyReLU(nn.Module):
    """Learnable per-channel bias (zero init) followed by :func:`fused_bias_leakyrelu`."""

    def __init__(self, num_channels: int, negative_slope: float = 0.2, scale: float = 2**0.5) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(num_channels))
        self.negative_slope = negative_slope
        self.scale = scale

    def forward(self, input: Tensor) -> Tensor:
        return fused_bias_leakyrelu(input, self.bias, self.negative_slope, self.scale)


__all__ = ['FusedBiasLeakyReLU', 'fused_bias_leakyrelu']
