"""Layer registries of ``mmcv.cnn`` (names as in mmcv 1.x) and the config check their builders share."""
from typing import Any, Dict, Tuple

from ...registry import Registry

CONV_LAYERS = Registry('conv layer')
NORM_LAYERS = Registry('norm layer')
ACTIVATION_LAYERS = Registry('activation layer')
PADDING_LAYERS = Registry('padding layer')
UPSAMPLE_LAYERS = Registry('upsample layer')
PLUGIN_LAYERS = Registry('plugin layer')

DROPOUT_LAYERS = Registry('drop out layers')
POSITIONAL_ENCODING = Registry('position encoding')
ATTENTION = Registry('attention')
FEEDFORWARD_NETWORK = Registry('feed-forward Network')
TRANSFORMER_LAYER = Registry('transformerLayer')
TRANSFORMER_LAYER_SEQUENCE = Registry('transformer-layers sequence')



def split_layer_cfg(cfg: Any, registry: Registry, unknown: str,
                    classes: bool = True) -> Tuple[Any, Any, Dict]:
    """``(layer class, cfg['type'], the other keys)`` of a ``dict(type=..., **kwargs)`` layer
    config. ``unknown`` is the KeyError message for a type ``registry`` lacks (``{}`` is the
    type); ``classes`` lets ``type`` be a class instead of a registered name."""
    if not isinstance(cfg, dict):
        raise TypeError('cfg must be a dict')
    if 'type' not in cfg:
        raise KeyError('the cfg dict must contain the key "type"')
    rest = dict(cfg)
    layer_type = rest.pop('type')
    layer = registry.get(layer_type) if isinstance(layer_type, str) or not classes else layer_type
    if layer is None:
        raise KeyError(unknown.format(layer_type))
    return layer, layer_type, rest


__all__ = ['ACTIVATION_LAYERS', 'ATTENTION', 'CONV_LAYERS', 'DROPOUT_LAYERS', 'FEEDFORWARD_NETWORK',
           'NORM_LAYERS', 'PADDING_LAYERS', 'PLUGIN_LAYERS', 'POSITIONAL_ENCODING', 'TRANSFORMER_LAYER',
           'TRANSFORMER_LAYER_SEQUENCE', 'UPSAMPLE_LAYERS', 'Registry']
