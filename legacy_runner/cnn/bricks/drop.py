"""Dropout layers named by ``drop_prob``: ``DropPath`` (stochastic depth) and ``Dropout``."""
from typing import Any, Dict, Optional

import torch
from torch import nn

from ...registry import build_from_cfg
from .registry import DROPOUT_LAYERS


def drop_path(x: torch.Tensor, drop_prob: float = 0., training: bool = False) -> torch.Tensor:
    """Zero whole samples with probability ``drop_prob`` and rescale the kept ones by
    ``1 / (1 - drop_prob)``; identity when not training or ``drop_prob == 0``."""
    if drop_prob == 0. or not training:
        return x
    keep_prob = 1 - drop_prob
    # one draw per sample, broadcast over the other dimensions (any rank)
    shape = (x.shape[0], ) + (1, ) * (x.ndim - 1)
    random_tensor = keep_prob + torch.rand(shape, dtype=x.dtype, device=x.device)
    return x.div(keep_prob) * random_tensor.floor()


@DROPOUT_LAYERS.register_module()
class DropPath(nn.Module):
    """Stochastic depth: drop a residual branch per sample (see :func:`drop_path`)."""

    def __init__(self, drop_prob: float = 0.1) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return drop_path(x, self.drop_prob, self.training)


@DROPOUT_LAYERS.register_module()
class Dropout(nn.Dropout):
    """``nn.Dropout`` whose probability argument is called ``drop_prob`` (like DropPath's)."""

    def __init__(self, drop_prob: float = 0.5, inplace: bool = False) -> None:
        super().__init__(p=drop_prob, inplace=inplace)


def build_dropout(cfg: Dict, default_args: Optional[Dict] = None) -> Any:
    """Build a dropout layer from ``cfg`` (``type`` looked up in DROPOUT_LAYERS)."""
    return build_from_cfg(cfg, DROPOUT_LAYERS, default_args)

__all__ = ['DropPath', 'Dropout', 'build_dropout', 'drop_path']
