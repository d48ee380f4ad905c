"""``build_plugin_layer``: build a PLUGIN_LAYERS entry and name it after its class."""
import inspect
import re
from typing import Any, Dict, Optional, Tuple, Union

from torch import nn

from .registry import PLUGIN_LAYERS


def infer_abbr(class_type: type) -> str:
    """The class's ``_abbr_``, else its name in snake case (``FancyBlock`` -> ``fancy_block``)."""
    if not inspect.isclass(class_type):
        raise TypeError(f'class_type must be a type, but got {type(class_type)}')
    if hasattr(class_type, '_abbr_'):
        return class_type._abbr_  # type: ignore[attr-defined]
    word = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', class_type.__name__)
    word = re.sub(r'([a-z\d])([A-Z])', r'\1_\2', word)
    return word.replace('-', '_').lower()


def build_plugin_layer(cfg: Optional[Dict], postfix: Union[int, str] = '',
                       **kwargs: Any) -> Tuple[str, nn.Module]:
    """Build a plugin layer; returns ``(abbreviation + str(postfix), layer)``.

    ``cfg`` holds ``type`` (a PLUGIN_LAYERS name) and the layer's arguments; ``kwargs`` are
    passed to the layer too.
    """
    if not isinstance(cfg, dict):
        raise TypeError('cfg must be a dict')
    if 'type' not in cfg:
        raise KeyError('the cfg dict must contain the key "type"')
    cfg_ = cfg.copy()
    layer_type = cfg_.pop('type')
    if layer_type not in PLUGIN_LAYERS:
        raise KeyError(f'Unrecognized plugin type {layer_type}')
    plugin_layer = PLUGIN_LAYERS.get(layer_type)
    abbr = infer_abbr(plugin_layer)
    assert isinstance(postfix, (int, str))
    return abbr + str(postfix), plugin_layer(**kwargs, **cfg_)

__all__ = ['build_plugin_layer', 'infer_abbr']
