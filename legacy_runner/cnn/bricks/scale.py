"""``Scale``: multiply by one learnable scalar."""
import torch
from torch import nn


class Scale(nn.Module):
    """Multiply the input by one learnable scalar (initialised to ``scale``)."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale

__all__ = ['Scale']
