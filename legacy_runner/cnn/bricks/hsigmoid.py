"""``HSigmoid``: ``clamp((x + bias) / divisor, min_value, max_value)``."""
import warnings

import torch
from torch import nn

from .registry import ACTIVATION_LAYERS

# mmcv's message, word for word: old code may filter warnings by it
DEFAULTS_CHANGED = ('In MMCV v1.4.4, we modified the default value of args to align with PyTorch official. '
                    'Previous Implementation: Hsigmoid(x) = min(max((x + 1) / 2, 0), 1). '
                    'Current Implementation: Hsigmoid(x) = min(max((x + 3) / 6, 0), 1).')


@ACTIVATION_LAYERS.register_module()
class HSigmoid(nn.Module):
    """Hard sigmoid; the defaults (3, 6, 0, 1) match ``torch.nn.Hardsigmoid``. Every construction
    warns, as mmcv 1.7.2 does, that the defaults were (1, 2, 0, 1) before mmcv 1.4.4."""

    def __init__(self, bias: float = 3.0, divisor: float = 6.0, min_value: float = 0.0,
                 max_value: float = 1.0) -> None:
        super().__init__()
        warnings.warn(DEFAULTS_CHANGED)
        self.bias = bias
        self.divisor = divisor
        assert self.divisor != 0
        self.min_value = min_value
        self.max_value = max_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x + self.bias) / self.divisor
        return x.clamp_(self.min_value, self.max_value)

__all__ = ['HSigmoid']
