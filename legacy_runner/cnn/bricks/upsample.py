"""``build_upsample_layer``: nearest / bilinear (nn.Upsample), pixel_shuffle (deconv: see wrappers)."""
from typing import Any, Dict

import torch
from torch import nn
from torch.nn import functional as F

from ..weight_init import xavier_init
from .registry import UPSAMPLE_LAYERS

UPSAMPLE_LAYERS.register_module('nearest', module=nn.Upsample)
UPSAMPLE_LAYERS.register_module('bilinear', module=nn.Upsample)


@UPSAMPLE_LAYERS.register_module(name='pixel_shuffle')
class PixelShufflePack(nn.Module):
    """A conv to ``out_channels * scale_factor**2`` channels followed by a pixel shuffle."""

    def __init__(self, in_channels: int, out_channels: int, scale_factor: int,
                 upsample_kernel: int) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.scale_factor = scale_factor
        self.upsample_kernel = upsample_kernel
        self.upsample_conv = nn.Conv2d(in_channels, out_channels * scale_factor * scale_factor,
                                       upsample_kernel, padding=(upsample_kernel - 1) // 2)
        self.init_weights()

    def init_weights(self) -> None:
        xavier_init(self.upsample_conv, distribution='uniform')

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.upsample_conv(x), self.scale_factor)


def build_upsample_layer(cfg: Dict, *args: Any, **kwargs: Any) -> nn.Module:
    """``UPSAMPLE_LAYERS[cfg.type](...)``; for nearest/bilinear the type becomes ``mode``."""
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg must be a dict, but got {type(cfg)}')
    if 'type' not in cfg:
        raise KeyError(f'the cfg dict must contain the key "type", but got {cfg}')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    upsample = UPSAMPLE_LAYERS.get(layer_type)
    if upsample is None:
        raise KeyError(f'Unrecognized upsample type {layer_type}')
    if upsample is nn.Upsample:
        cfg_['mode'] = layer_type
    return upsample(*args, **kwargs, **cfg_)

__all__ = ['PixelShufflePack', 'build_upsample_layer']
