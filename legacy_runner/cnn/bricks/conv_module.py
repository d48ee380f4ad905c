"""``ConvModule``: conv / norm / activation in a configurable order (mmcv 1.x semantics)."""
import warnings
from typing import Dict, Optional, Tuple, Union

import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from ..weight_init import constant_init, kaiming_init
from .activation import build_activation_layer
from .conv import build_conv_layer
from .norm import build_norm_layer
from .padding import build_padding_layer
from .registry import PLUGIN_LAYERS

IntOrPair = Union[int, Tuple[int, int]]
# activations whose constructors take no ``inplace`` argument
_NO_INPLACE = ('Tanh', 'PReLU', 'Sigmoid', 'HSigmoid', 'Swish', 'GELU')


@PLUGIN_LAYERS.register_module()
class ConvModule(nn.Module):
    """A conv layer with an optional norm layer and activation.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups: as for the conv.
        bias: ``'auto'`` means a bias only when there is no norm layer.
        conv_cfg: conv layer config (None: Conv2d). norm_cfg: norm config (None: no norm).
        act_cfg: activation config (default ReLU; None: no activation).
        inplace: ``inplace`` of the activation (not for Tanh/PReLU/Sigmoid/HSigmoid/Swish/GELU).
        with_spectral_norm: wrap the conv in spectral normalisation.
        padding_mode: 'zeros' or 'circular' are the conv's own; other names ('reflect',
            'replicate', ...) add an explicit padding layer before a conv without padding.
        order: the order of 'conv', 'norm' and 'act'.
    """

    _abbr_ = 'conv_block'

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1, groups: int = 1,
                 bias: Union[bool, str] = 'auto', conv_cfg: Optional[Dict] = None,
                 norm_cfg: Optional[Dict] = None, act_cfg: Optional[Dict] = dict(type='ReLU'),  # noqa: B006
                 inplace: bool = True, with_spectral_norm: bool = False, padding_mode: str = 'zeros',
                 order: tuple = ('conv', 'norm', 'act')) -> None:
        super().__init__()
        assert conv_cfg is None or isinstance(conv_cfg, dict)
        assert norm_cfg is None or isinstance(norm_cfg, dict)
        assert act_cfg is None or isinstance(act_cfg, dict)
        assert isinstance(order, tuple) and len(order) == 3 and set(order) == {'conv', 'norm', 'act'}
        self.conv_cfg, self.norm_cfg, self.act_cfg = conv_cfg, norm_cfg, act_cfg
        self.inplace = inplace
        self.with_spectral_norm = with_spectral_norm
        self.with_explicit_padding = padding_mode not in ('zeros', 'circular')
        self.order = order
        self.with_norm = norm_cfg is not None
        self.with_activation = act_cfg is not None
        if bias == 'auto':
            bias = not self.with_norm
        self.with_bias = bias

        if self.with_explicit_padding:
            self.padding_layer = build_padding_layer(dict(type=padding_mode), padding)
        conv_padding = 0 if self.with_explicit_padding else padding
        extra = {'padding_mode': 'circular'} if padding_mode == 'circular' else {}
        self.conv = build_conv_layer(conv_cfg, in_channels, out_channels, kernel_size, stride=stride,
                                     padding=conv_padding, dilation=dilation, groups=groups, bias=bias,
                                     **extra)
        for attr in ('in_channels', 'out_channels', 'kernel_size', 'stride', 'padding', 'dilation',
                     'transposed', 'output_padding', 'groups'):
            setattr(self, attr, getattr(self.conv, attr, None))
        if self.with_spectral_norm:
            self.conv = nn.utils.spectral_norm(self.conv)

        self.norm_name: Optional[str] = None
        if self.with_norm:
            channels = out_channels if order.index('norm') > order.index('conv') else in_channels
            self.norm_name, norm = build_norm_layer(norm_cfg, channels)  # type: ignore[arg-type]
            self.add_module(self.norm_name, norm)
            if self.with_bias and isinstance(norm, (_BatchNorm, _InstanceNorm)):
                warnings.warn('Unnecessary conv bias before batch/instance norm')

        if self.with_activation:
            act = dict(act_cfg)  # type: ignore[arg-type]
            if act['type'] not in _NO_INPLACE:
                act.setdefault('inplace', inplace)
            self.activate = build_activation_layer(act)
        self.init_weights()

    @property
    def norm(self) -> Optional[nn.Module]:
        return getattr(self, self.norm_name) if self.norm_name else None

    def init_weights(self) -> None:
        """Kaiming-init the conv (unless it has its own init_weights), norm weight 1 / bias 0."""
        if not hasattr(self.conv, 'init_weights'):
            if self.with_activation and self.act_cfg['type'] == 'LeakyReLU':  # type: ignore[index]
                nonlinearity, a = 'leaky_relu', self.act_cfg.get('negative_slope', 0.01)  # type: ignore
            else:
                nonlinearity, a = 'relu', 0
            kaiming_init(self.conv, a=a, nonlinearity=nonlinearity)
        if self.with_norm:
            constant_init(self.norm, 1, bias=0)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor, activate: bool = True, norm: bool = True) -> torch.Tensor:
        for layer in self.order:
            if layer == 'conv':
                if self.with_explicit_padding:
                    x = self.padding_layer(x)
                x = self.conv(x)
            elif layer == 'norm' and norm and self.with_norm:
                x = self.norm(x)  # type: ignore[misc]
            elif layer == 'act' and activate and self.with_activation:
                x = self.activate(x)
        return x

__all__ = ['ConvModule']
