"""``build_norm_layer`` with mmcv's name abbreviations (bn, gn, ln, in)."""
import inspect
from typing import Any, Dict, Tuple, Union

from torch import nn
from torch.nn import SyncBatchNorm
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ...utils.misc import is_tuple_of
from .registry import NORM_LAYERS, split_layer_cfg

for _name, _cls in (('BN', nn.BatchNorm2d), ('BN1d', nn.BatchNorm1d), ('BN2d', nn.BatchNorm2d),
                    ('BN3d', nn.BatchNorm3d), ('SyncBN', SyncBatchNorm), ('GN', nn.GroupNorm),
                    ('LN', nn.LayerNorm), ('IN', nn.InstanceNorm2d), ('IN1d', nn.InstanceNorm1d),
                    ('IN2d', nn.InstanceNorm2d), ('IN3d', nn.InstanceNorm3d)):
    NORM_LAYERS.register_module(_name, module=_cls)


def infer_abbr(class_type: type) -> str:
    """The short name of a norm class: its ``_abbr_``, else in/bn/gn/ln, else 'norm_layer'."""
    if not inspect.isclass(class_type):
        raise TypeError(f'class_type must be a type, but got {type(class_type)}')
    if hasattr(class_type, '_abbr_'):
        return class_type._abbr_
    if issubclass(class_type, _InstanceNorm):  # before _BatchNorm: IN subclasses it in old torch
        return 'in'
    if issubclass(class_type, _BatchNorm):
        return 'bn'
    if issubclass(class_type, nn.GroupNorm):
        return 'gn'
    if issubclass(class_type, nn.LayerNorm):
        return 'ln'
    lowered = class_type.__name__.lower()
    for word, abbr in (('batch', 'bn'), ('group', 'gn'), ('layer', 'ln'), ('instance', 'in')):
        if word in lowered:
            return abbr
    return 'norm_layer'


def build_norm_layer(cfg: Dict, num_features: int,
                     postfix: Union[int, str] = '') -> Tuple[str, nn.Module]:
    """Build a norm layer; returns ``(abbr + str(postfix), layer)``.

    ``cfg`` keys: ``type``; ``requires_grad`` (default True) for the layer's parameters; the rest
    (``eps`` defaults to 1e-5, ``num_groups`` for GN) goes to the layer.
    """
    norm_layer, layer_type, cfg_ = split_layer_cfg(cfg, NORM_LAYERS, 'Unrecognized norm type {}')
    name = infer_abbr(norm_layer) + str(postfix)
    requires_grad = cfg_.pop('requires_grad', True)
    cfg_.setdefault('eps', 1e-5)
    if layer_type == 'GN' or norm_layer is nn.GroupNorm:
        if 'num_groups' not in cfg_:
            raise AssertionError('GN needs num_groups in its cfg')
        layer: Any = norm_layer(num_channels=num_features, **cfg_)
    else:
        layer = norm_layer(num_features, **cfg_)
    for param in layer.parameters():
        param.requires_grad = requires_grad
    return name, layer

def is_norm(layer: nn.Module, exclude: Union[type, tuple, None] = None) -> bool:
    """Whether ``layer`` is a batch/instance/group/layer norm and not an instance of ``exclude``."""
    if exclude is not None:
        if not isinstance(exclude, tuple):
            exclude = (exclude, )
        if not is_tuple_of(exclude, type):
            raise TypeError(f'"exclude" must be either None or type or a tuple of types, '
                            f'but got {type(exclude)}: {exclude}')
    if exclude and isinstance(layer, exclude):
        return False
    return isinstance(layer, (_BatchNorm, _InstanceNorm, nn.GroupNorm, nn.LayerNorm))

__all__ = ['build_norm_layer', 'infer_abbr', 'is_norm']
