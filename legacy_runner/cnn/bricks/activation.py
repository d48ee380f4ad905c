"""``build_activation_layer`` and the registered activations (torch's plus mmcv's extras)."""
from typing import Dict

import torch
from torch import nn
from torch.nn import functional as F

from ...registry import build_from_cfg
from .registry import ACTIVATION_LAYERS

for _cls in (nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ReLU6, nn.ELU, nn.Sigmoid, nn.Tanh,
             nn.GELU, nn.SiLU, nn.Softplus, nn.Mish, nn.Hardswish, nn.Hardsigmoid):
    ACTIVATION_LAYERS.register_module(module=_cls)


@ACTIVATION_LAYERS.register_module()
class Clamp(nn.Module):
    """Clamp values into ``[min, max]``."""

    def __init__(self, min: float = -1., max: float = 1.) -> None:
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=self.min, max=self.max)


ACTIVATION_LAYERS.register_module('Clip', module=Clamp)


@ACTIVATION_LAYERS.register_module()
class Swish(nn.Module):
    """``x * sigmoid(x)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(x)


@ACTIVATION_LAYERS.register_module()
class HSigmoid(nn.Module):
    """Hard sigmoid: ``clamp((x + bias) / divisor, min_value, max_value)``."""

    def __init__(self, bias: float = 3.0, divisor: float = 6.0, min_value: float = 0.0,
                 max_value: float = 1.0) -> None:
        super().__init__()
        assert divisor != 0
        self.bias, self.divisor = bias, divisor
        self.min_value, self.max_value = min_value, max_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return ((x + self.bias) / self.divisor).clamp_(self.min_value, self.max_value)


@ACTIVATION_LAYERS.register_module()
class HSwish(nn.Module):
    """Hard swish: ``x * relu6(x + 3) / 6``."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * F.relu6(x + 3, inplace=self.inplace) / 6


def build_activation_layer(cfg: Dict) -> nn.Module:
    """Build an activation from ``cfg`` (``type`` looked up in ACTIVATION_LAYERS)."""
    return build_from_cfg(cfg, ACTIVATION_LAYERS)

__all__ = ['Clamp', 'HSigmoid', 'HSwish', 'Swish', 'build_activation_layer']
