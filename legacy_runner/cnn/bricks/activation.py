"""``build_activation_layer`` and the registered activations (torch's plus mmcv's extras)."""
from typing import Dict

import torch
from torch import nn
from torch.nn import functional as F

from ...registry import build_from_cfg
from ...utils.misc import digit_version
from .registry import ACTIVATION_LAYERS

# mmcv reads the torch version through this name (a string, as ``torch.__version__``)
TORCH_VERSION = torch.__version__

for module in [nn.ReLU, nn.LeakyReLU, nn.PReLU, nn.RReLU, nn.ReLU6, nn.ELU, nn.Sigmoid, nn.Tanh]:
    ACTIVATION_LAYERS.register_module(module=module)
ACTIVATION_LAYERS.register_module(module=nn.SiLU, name='SiLU')


@ACTIVATION_LAYERS.register_module(name='Clip')
@ACTIVATION_LAYERS.register_module()
class Clamp(nn.Module):
    """Clamp values into ``[min, max]``."""

    def __init__(self, min: float = -1., max: float = 1.) -> None:
        super().__init__()
        self.min = min
        self.max = max

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.clamp(x, min=self.min, max=self.max)


class GELU(nn.Module):
    """``F.gelu`` as a module (the registry serves torch's ``nn.GELU`` on every supported torch)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return F.gelu(input)


if TORCH_VERSION == 'parrots' or digit_version(TORCH_VERSION) < digit_version('1.4'):
    ACTIVATION_LAYERS.register_module(module=GELU)
else:
    ACTIVATION_LAYERS.register_module(module=nn.GELU)


def build_activation_layer(cfg: Dict) -> nn.Module:
    """Build an activation from ``cfg`` (``type`` looked up in ACTIVATION_LAYERS)."""
    return build_from_cfg(cfg, ACTIVATION_LAYERS)

__all__ = ['Clamp', 'GELU', 'build_activation_layer']
