"""Switchable atrous convolution (DetectoRS, mmcv.ops.saconv), registered as conv 'SAC'."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..cnn.bricks.conv_ws import ConvAWS2d
from ..cnn.bricks.registry import CONV_LAYERS
from ..cnn.weight_init import constant_init
from .deform_conv import deform_conv2d


@CONV_LAYERS.register_module(name='SAC')
class SAConv2d(ConvAWS2d):
    """A weight-standardised conv switching, per pixel, between dilation d and 3d (the larger one
    with weight ``weight + weight_diff``), with global context before and after.

    Args: as nn.Conv2d, plus ``use_deform`` (deformable 3x3 offsets for both branches).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,  # type: ignore[no-untyped-def]
                 dilation=1, groups: int = 1, bias: bool = True, use_deform: bool = False) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.use_deform = use_deform
        self.switch = nn.Conv2d(self.in_channels, 1, kernel_size=1, stride=stride, bias=True)
        self.weight_diff = nn.Parameter(torch.Tensor(self.weight.size()))
        self.pre_context = nn.Conv2d(self.in_channels, self.in_channels, kernel_size=1, bias=True)
        self.post_context = nn.Conv2d(self.out_channels, self.out_channels, kernel_size=1, bias=True)
        if self.use_deform:
            self.offset_s = nn.Conv2d(self.in_channels, 18, kernel_size=3, padding=1, stride=stride,
                                      bias=True)
            self.offset_l = nn.Conv2d(self.in_channels, 18, kernel_size=3, padding=1, stride=stride,
                                      bias=True)
        self.init_weights()

    def init_weights(self) -> None:
        constant_init(self.switch, 0, bias=1)
        self.weight_diff.data.zero_()
        constant_init(self.pre_context, 0)
        constant_init(self.post_context, 0)
        if self.use_deform:
            constant_init(self.offset_s, 0)
            constant_init(self.offset_l, 0)

    def _branch(self, x: Tensor, weight: Tensor, offset_conv: str, avg_x: Tensor, scale: int) -> Tensor:
        padding = tuple(scale * p for p in self.padding)
        dilation = tuple(scale * d for d in self.dilation)
        if self.use_deform:
            offset = getattr(self, offset_conv)(avg_x)
            return deform_conv2d(x, offset, weight, self.stride, padding, dilation, self.groups, 1)
        # mmcv's SAC convolves both branches with a zero bias: self.bias never enters the output
        return F.conv2d(x, weight, None, self.stride, padding, dilation, self.groups)

    def forward(self, x: Tensor) -> Tensor:
        # pre-context
        avg_x = F.adaptive_avg_pool2d(x, output_size=1)
        avg_x = self.pre_context(avg_x)
        x = x + avg_x.expand_as(x)
        # switch from a 5x5 (reflect-padded) local average
        avg_x = F.pad(x, pad=(2, 2, 2, 2), mode='reflect')
        avg_x = F.avg_pool2d(avg_x, kernel_size=5, stride=1, padding=0)
        switch = self.switch(avg_x)
        weight = self._get_weight(self.weight)
        out_s = self._branch(x, weight, 'offset_s', avg_x, 1)
        out_l = self._branch(x, weight + self.weight_diff, 'offset_l', avg_x, 3)
        out = switch * out_s + (1 - switch) * out_l
        # post-context
        avg_x = F.adaptive_avg_pool2d(out, output_size=1)
        avg_x = self.post_context(avg_x)
        return out + avg_x.expand_as(out)


__all__ = ['SAConv2d']
