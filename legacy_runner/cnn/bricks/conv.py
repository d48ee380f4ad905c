"""``build_conv_layer`` and the registered torch convolutions."""
from typing import Any, Dict, Optional

from torch import nn

from .registry import CONV_LAYERS, split_layer_cfg

CONV_LAYERS.register_module('Conv1d', module=nn.Conv1d)
CONV_LAYERS.register_module('Conv2d', module=nn.Conv2d)
CONV_LAYERS.register_module('Conv3d', module=nn.Conv3d)
CONV_LAYERS.register_module('Conv', module=nn.Conv2d)


def build_conv_layer(cfg: Optional[Dict], *args: Any, **kwargs: Any) -> nn.Module:
    """``CONV_LAYERS[cfg.type](*args, **kwargs, **rest_of_cfg)``; ``cfg=None`` means Conv2d."""
    if cfg is None:
        cfg = dict(type='Conv2d')
    conv_layer, _, cfg_ = split_layer_cfg(cfg, CONV_LAYERS, 'Unrecognized layer type {}')
    return conv_layer(*args, **kwargs, **cfg_)

__all__ = ['build_conv_layer']
