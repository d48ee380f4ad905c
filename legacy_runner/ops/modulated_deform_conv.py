"""Modulated deformable convolution (DCNv2, mmcv.ops.modulated_deform_conv) in PyTorch: the
deformable sampling of :mod:`.deform_conv` with each tap scaled by a learned mask."""
import math
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor

from ..cnn.bricks.registry import CONV_LAYERS
from ..utils.helpers import deprecated_api_warning
from .deform_conv import DeformConvGeometry, deform_conv_forward, rename_legacy_offset_keys


def modulated_deform_conv2d(input: Tensor, offset: Tensor, mask: Tensor, weight: Tensor,
                            bias: Optional[Tensor] = None, stride: Union[int, Tuple[int, int]] = 1,
                            padding: Union[int, Tuple[int, int]] = 0,
                            dilation: Union[int, Tuple[int, int]] = 1, groups: int = 1,
                            deform_groups: int = 1) -> Tensor:
    """DCNv2: ``offset`` ``(B, dg*2*kh*kw, Ho, Wo)``, ``mask`` ``(B, dg*kh*kw, Ho, Wo)``."""
    # mmcv passes an empty tensor for "no bias"
    if bias is not None and bias.numel() == 0:
        bias = None
    return deform_conv_forward(input, offset, mask, weight, bias, stride, padding, dilation, groups,
                               deform_groups, im2col_step=max(1, input.size(0)))


class ModulatedDeformConv2d(DeformConvGeometry):
    """DCNv2 layer; ``forward(x, offset, mask)``."""

    @deprecated_api_warning({'deformable_groups': 'deform_groups'}, cls_name='ModulatedDeformConv2d')
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int]],
                 stride: int = 1, padding: int = 0, dilation: int = 1, groups: int = 1,
                 deform_groups: int = 1, bias: Union[bool, str] = True) -> None:
        super().__init__()
        self._set_geometry(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                           deform_groups)
        self.weight = nn.Parameter(torch.Tensor(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(torch.Tensor(out_channels))
        else:
            self.register_parameter('bias', None)
        self.init_weights()

    def init_weights(self) -> None:
        n = self.in_channels
        for k in self.kernel_size:
            n *= k
        stdv = 1. / math.sqrt(n)
        self.weight.data.uniform_(-stdv, stdv)
        if self.bias is not None:
            self.bias.data.zero_()

    def forward(self, x: Tensor, offset: Tensor, mask: Tensor) -> Tensor:
        return modulated_deform_conv2d(x, offset, mask, self.weight, self.bias, self.stride,
                                       self.padding, self.dilation, self.groups, self.deform_groups)


@CONV_LAYERS.register_module('DCNv2')
class ModulatedDeformConv2dPack(ModulatedDeformConv2d):
    """DCNv2 that predicts offsets and mask with a zero-initialised ``conv_offset`` (offsets 0,
    mask sigmoid(0) = 0.5 at start); used like nn.Conv2d, registered as 'DCNv2'."""

    _version = 2

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.conv_offset = nn.Conv2d(
            self.in_channels, self.deform_groups * 3 * self.kernel_size[0] * self.kernel_size[1],
            kernel_size=self.kernel_size, stride=self.stride, padding=self.padding,
            dilation=self.dilation, bias=True)
        self.init_weights()

    def init_weights(self) -> None:
        super().init_weights()
        if hasattr(self, 'conv_offset'):
            self.conv_offset.weight.data.zero_()
            self.conv_offset.bias.data.zero_()

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        out = self.conv_offset(x)
        o1, o2, mask = torch.chunk(out, 3, dim=1)
        offset = torch.cat((o1, o2), dim=1)
        mask = torch.sigmoid(mask)
        return modulated_deform_conv2d(x, offset, mask, self.weight, self.bias, self.stride,
                                       self.padding, self.dilation, self.groups, self.deform_groups)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        rename_legacy_offset_keys(state_dict, prefix, local_metadata, 'ModulatedDeformConvPack')
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


__all__ = ['ModulatedDeformConv2d', 'ModulatedDeformConv2dPack', 'modulated_deform_conv2d']
