"""``build_conv_layer`` and the registered torch convolutions."""
from typing import Any, Dict, Optional

from torch import nn

from .registry import CONV_LAYERS

CONV_LAYERS.register_module('Conv1d', module=nn.Conv1d)
CONV_LAYERS.register_module('Conv2d', module=nn.Conv2d)
CONV_LAYERS.register_module('Conv3d', module=nn.Conv3d)
CONV_LAYERS.register_module('Conv', module=nn.Conv2d)


def build_conv_layer(cfg: Optional[Dict], *args: Any, **kwargs: Any) -> nn.Module:
    """``CONV_LAYERS[cfg.type](*args, **kwargs, **rest_of_cfg)``; ``cfg=None`` means Conv2d."""
    if cfg is None:
        cfg = dict(type='Conv2d')
    if not isinstance(cfg, dict):
        raise TypeError('cfg must be a dict')
    if 'type' not in cfg:
        raise KeyError('the cfg dict must contain the key "type"')
    cfg_ = dict(cfg)
    layer_type = cfg_.pop('type')
    conv_layer = CONV_LAYERS.get(layer_type) if isinstance(layer_type, str) else layer_type
    if conv_layer is None:
        raise KeyError(f'Unrecognized layer type {layer_type}')
    return conv_layer(*args, **kwargs, **cfg_)

__all__ = ['build_conv_layer']
