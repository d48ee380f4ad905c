"""``Conv2dAdaptivePadding``: TensorFlow-style "SAME" padding computed from the input size."""
import math
from typing import Tuple, Union

import torch
from torch import nn
from torch.nn import functional as F

from .registry import CONV_LAYERS


@CONV_LAYERS.register_module()
class Conv2dAdaptivePadding(nn.Conv2d):
    """A conv that pads its input (extra pixel bottom/right) so the output is ``ceil(in / stride)``.

    The ``padding`` argument is accepted for signature compatibility and ignored (the conv's own
    padding is 0).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, int]],
                 stride: Union[int, Tuple[int, int]] = 1, padding: Union[int, Tuple[int, int]] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1, groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, 0, dilation, groups, bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        img_h, img_w = x.size()[-2:]
        kernel_h, kernel_w = self.weight.size()[-2:]
        stride_h, stride_w = self.stride
        out_h, out_w = math.ceil(img_h / stride_h), math.ceil(img_w / stride_w)
        pad_h = max((out_h - 1) * stride_h + (kernel_h - 1) * self.dilation[0] + 1 - img_h, 0)
        pad_w = max((out_w - 1) * stride_w + (kernel_w - 1) * self.dilation[1] + 1 - img_w, 0)
        if pad_h > 0 or pad_w > 0:
            x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2])
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

__all__ = ['Conv2dAdaptivePadding']
