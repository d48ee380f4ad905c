"""``HSigmoid``: ``clamp((x + bias) / divisor, min_value, max_value)``."""
import torch
from torch import nn

from .registry import ACTIVATION_LAYERS


@ACTIVATION_LAYERS.register_module()
class HSigmoid(nn.Module):
    """Hard sigmoid; the defaults (3, 6, 0, 1) match ``torch.nn.Hardsigmoid``.

    mmcv 1.7.2 also warns on every construction that the defaults changed in v1.4.4; that
    warning is not repeated here.
    """

    def __init__(self, bias: float = 3.0, divisor: float = 6.0, min_value: float = 0.0,
                 max_value: float = 1.0) -> None:
        super().__init__()
        self.bias = bias
        self.divisor = divisor
        assert self.divisor != 0
        self.min_value = min_value
        self.max_value = max_value

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x + self.bias) / self.divisor
        return x.clamp_(self.min_value, self.max_value)

__all__ = ['HSigmoid']
