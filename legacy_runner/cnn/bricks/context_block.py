"""``ContextBlock``: the global-context block of GCNet (arXiv:1904.11492)."""
from typing import Union

import torch
from torch import nn

from ..weight_init import constant_init, kaiming_init
from .registry import PLUGIN_LAYERS


def last_zero_init(m: Union[nn.Module, nn.Sequential]) -> None:
    """Zero the weights (and bias) of ``m``, or of its last layer when it is a Sequential."""
    constant_init(m[-1] if isinstance(m, nn.Sequential) else m, val=0)


def _transform(in_channels: int, planes: int) -> nn.Sequential:
    # 1x1 conv -> LayerNorm over (C, 1, 1) -> ReLU -> 1x1 conv back to in_channels
    return nn.Sequential(nn.Conv2d(in_channels, planes, kernel_size=1), nn.LayerNorm([planes, 1, 1]),
                         nn.ReLU(inplace=True), nn.Conv2d(planes, in_channels, kernel_size=1))


@PLUGIN_LAYERS.register_module()
class ContextBlock(nn.Module):
    """Pool a global context vector (attention or average pooling), transform it through a
    bottleneck of ``int(in_channels * ratio)`` channels and fuse it into every position by
    addition ('channel_add') and/or sigmoid gating ('channel_mul')."""

    _abbr_ = 'context_block'

    def __init__(self, in_channels: int, ratio: float, pooling_type: str = 'att',
                 fusion_types: tuple = ('channel_add', )) -> None:
        super().__init__()
        assert pooling_type in ['avg', 'att']
        assert isinstance(fusion_types, (list, tuple))
        assert all(f in ('channel_add', 'channel_mul') for f in fusion_types)
        assert len(fusion_types) > 0, 'at least one fusion should be used'
        self.in_channels = in_channels
        self.ratio = ratio
        self.planes = int(in_channels * ratio)
        self.pooling_type = pooling_type
        self.fusion_types = fusion_types
        if pooling_type == 'att':
            self.conv_mask = nn.Conv2d(in_channels, 1, kernel_size=1)
            self.softmax = nn.Softmax(dim=2)
        else:
            self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.channel_add_conv = (_transform(in_channels, self.planes)
                                 if 'channel_add' in fusion_types else None)
        self.channel_mul_conv = (_transform(in_channels, self.planes)
                                 if 'channel_mul' in fusion_types else None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.pooling_type == 'att':
            kaiming_init(self.conv_mask, mode='fan_in')
            self.conv_mask.inited = True
        if self.channel_add_conv is not None:
            last_zero_init(self.channel_add_conv)
        if self.channel_mul_conv is not None:
            last_zero_init(self.channel_mul_conv)

    def spatial_pool(self, x: torch.Tensor) -> torch.Tensor:
        """The (N, C, 1, 1) context: softmax(conv_mask)-weighted sum over positions, or the mean."""
        batch, channel, height, width = x.size()
        if self.pooling_type != 'att':
            return self.avg_pool(x)
        features = x.view(batch, channel, height * width).unsqueeze(1)           # N, 1, C, HW
        mask = self.softmax(self.conv_mask(x).view(batch, 1, height * width))     # N, 1, HW
        context = torch.matmul(features, mask.unsqueeze(-1))                     # N, 1, C, 1
        return context.view(batch, channel, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        context = self.spatial_pool(x)
        out = x
        if self.channel_mul_conv is not None:
            out = out * torch.sigmoid(self.channel_mul_conv(context))
        if self.channel_add_conv is not None:
            out = out + self.channel_add_conv(context)
        return out

__all__ = ['ContextBlock', 'last_zero_init']
