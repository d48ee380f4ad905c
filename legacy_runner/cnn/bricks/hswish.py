"""``HSwish``: ``x * relu6(x + 3) / 6``."""
import torch
from torch import nn

from ...utils.misc import digit_version
from .activation import TORCH_VERSION
from .registry import ACTIVATION_LAYERS


class HSwish(nn.Module):
    """Hard swish with an optionally in-place ReLU6."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.act = nn.ReLU6(inplace)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.act(x + 3) / 6


# As mmcv: the 'HSwish' config type builds torch's own Hardswish where torch has one (>= 1.7).
if TORCH_VERSION == 'parrots' or digit_version(TORCH_VERSION) < digit_version('1.7'):
    ACTIVATION_LAYERS.register_module(module=HSwish)
else:
    ACTIVATION_LAYERS.register_module(module=nn.Hardswish, name='HSwish')

__all__ = ['HSwish']
