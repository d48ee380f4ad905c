"""Masked convolution (mmcv.ops.masked_conv): the convolution only where ``mask > 0``, zero
elsewhere. mmcv computes just the masked columns; here the full convolution is masked, which is
the same output (and, unlike mmcv, differentiable)."""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.utils import _pair


def masked_conv2d(features: Tensor, mask: Tensor, weight: Tensor, bias: Optional[Tensor],
                  padding: Union[int, Tuple[int, int]] = 0,
                  stride: Union[int, Tuple[int, int]] = 1) -> Tensor:
    """``features`` (1, C, H, W), ``mask`` (1, H, W); stride must be 1."""
    assert mask.dim() == 3 and mask.size(0) == 1
    assert features.dim() == 4 and features.size(0) == 1
    assert features.size()[2:] == mask.size()[1:]
    pad_h, pad_w = _pair(padding)
    stride_h, stride_w = _pair(stride)
    if stride_h != 1 or stride_w != 1:
        raise ValueError('Stride could not only be 1 in masked_conv2d currently.')
    _, _, kernel_h, kernel_w = weight.size()
    out_h = int(math.floor((features.size(2) + 2 * pad_h - (kernel_h - 1) - 1) / stride_h + 1))
    out_w = int(math.floor((features.size(3) + 2 * pad_w - (kernel_w - 1) - 1) / stride_w + 1))
    out = F.conv2d(features, weight, bias, 1, (pad_h, pad_w))
    # the kernel writes outputs at the mask's (h, w) indices of an (out_h, out_w) map
    keep = torch.zeros(out_h, out_w, dtype=torch.bool, device=features.device)
    hh, ww = min(out_h, mask.size(1)), min(out_w, mask.size(2))
    keep[:hh, :ww] = mask[0, :hh, :ww] > 0
    return out[..., :out_h, :out_w] * keep.to(out.dtype)


class MaskedConv2d(nn.Conv2d):
    """nn.Conv2d whose ``forward(input, mask=None)`` computes only where ``mask > 0``."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, ...]],
                 stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1,
                 bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias)

    def forward(self, input: Tensor, mask: Optional[Tensor] = None) -> Tensor:  # type: ignore[override]
        if mask is None:
            return super().forward(input)
        return masked_conv2d(input, mask, self.weight, self.bias, self.padding)


__all__ = ['MaskedConv2d', 'masked_conv2d']
