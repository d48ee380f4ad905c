"""``build_padding_layer``: zero / reflect / replicate padding."""
from typing import Any, Dict

from torch import nn

from .registry import PADDING_LAYERS

PADDING_LAYERS.register_module('zero', module=nn.ZeroPad2d)
PADDING_LAYERS.register_module('reflect', module=nn.ReflectionPad2d)
PADDING_LAYERS.register_module('replicate', module=nn.ReplicationPad2d)


def build_padding_layer(cfg: Dict, *args: Any, **kwargs: Any) -> nn.Module:
    """``PADDING_LAYERS[cfg.type](*args, **kwargs, **rest_of_cfg)``."""
    if not isinstance(cfg, dict):
        raise TypeError('cfg must be a dict')
    if 'type' not in cfg:
        raise KeyError('the cfg dict must contain the key "type"')
    cfg_ = dict(cfg)
    padding_type = cfg_.pop('type')
    layer = PADDING_LAYERS.get(padding_type)
    if layer is None:
        raise KeyError(f'Unrecognized padding type {padding_type}.')
    return layer(*args, **kwargs, **cfg_)

__all__ = ['build_padding_layer']
