"""Corner pooling (CornerNet, mmcv.ops.corner_pool) as a running maximum (torch.cummax)."""
import torch
from torch import Tensor, nn


class CornerPool(nn.Module):
    """Running max towards one side: 'top' and 'left' take the max of everything below/right
    of a cell, 'bottom' and 'right' of everything above/left.

    Args:
        mode (str): 'bottom', 'left', 'right' or 'top'.
    """

    cummax_dim_flip = {
        'bottom': (2, False),
        'left': (3, True),
        'right': (3, False),
        'top': (2, True),
    }

    def __init__(self, mode: str) -> None:
        super().__init__()
        assert mode in self.cummax_dim_flip
        self.mode = mode

    def forward(self, x: Tensor) -> Tensor:
        dim, flip = self.cummax_dim_flip[self.mode]
        if flip:
            x = x.flip(dim)
        pool_tensor, _ = torch.cummax(x, dim=dim)
        if flip:
            pool_tensor = pool_tensor.flip(dim)
        return pool_tensor


__all__ = ['CornerPool']
