"""``build_padding_layer``: zero / reflect / replicate padding."""
from typing import Any, Dict

from torch import nn

from .registry import PADDING_LAYERS, split_layer_cfg

PADDING_LAYERS.register_module('zero', module=nn.ZeroPad2d)
PADDING_LAYERS.register_module('reflect', module=nn.ReflectionPad2d)
PADDING_LAYERS.register_module('replicate', module=nn.ReplicationPad2d)


def build_padding_layer(cfg: Dict, *args: Any, **kwargs: Any) -> nn.Module:
    """``PADDING_LAYERS[cfg.type](*args, **kwargs, **rest_of_cfg)``."""
    layer, _, cfg_ = split_layer_cfg(cfg, PADDING_LAYERS, 'Unrecognized padding type {}.', classes=False)
    return layer(*args, **kwargs, **cfg_)

__all__ = ['build_padding_layer']
