"""Small modules old model code imports from ``mmcv.cnn``: ``Scale`` and the layer aliases.

mmcv's Conv2d/Linear/... wrappers only added empty-tensor support for torch < 1.x; modern torch
handles empty batches, so the plain torch classes serve.
"""
import torch
from torch import nn

Conv2d = nn.Conv2d
Conv3d = nn.Conv3d
ConvTranspose2d = nn.ConvTranspose2d
ConvTranspose3d = nn.ConvTranspose3d
Linear = nn.Linear
MaxPool2d = nn.MaxPool2d
MaxPool3d = nn.MaxPool3d


class Scale(nn.Module):
    """Multiply the input by one learnable scalar (initialised to ``scale``)."""

    def __init__(self, scale: float = 1.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(scale, dtype=torch.float))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale

__all__ = ['Conv2d', 'Conv3d', 'ConvTranspose2d', 'ConvTranspose3d', 'Linear', 'MaxPool2d',
           'MaxPool3d', 'Scale']
