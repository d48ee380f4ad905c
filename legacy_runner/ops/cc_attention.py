"""Criss-Cross attention (CCNet, mmcv.ops.cc_attention); mmcv itself computes it in PyTorch."""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..cnn.bricks.registry import PLUGIN_LAYERS
from ..cnn.bricks.scale import Scale


def NEG_INF_DIAG(n: int, device: torch.device) -> Tensor:  # noqa: N802  (mmcv's name)
    """``(n, n)`` matrix with -inf on the diagonal: the pixel itself is counted once (in the
    row branch), not twice."""
    return torch.diag(torch.tensor(float('-inf')).to(device).repeat(n), 0)


@PLUGIN_LAYERS.register_module()
class CrissCrossAttention(nn.Module):
    """Each pixel attends to the pixels of its row and column.

    Args:
        in_channels (int): input channels (queries/keys use ``in_channels // 8``).
    """

    def __init__(self, in_channels: int) -> None:
        super().__init__()
        self.query_conv = nn.Conv2d(in_channels, in_channels // 8, 1)
        self.key_conv = nn.Conv2d(in_channels, in_channels // 8, 1)
        self.value_conv = nn.Conv2d(in_channels, in_channels, 1)
        self.gamma = Scale(0.)
        self.in_channels = in_channels

    def forward(self, x: Tensor) -> Tensor:
        _, _, h, _ = x.size()
        query = self.query_conv(x)
        key = self.key_conv(x)
        value = self.value_conv(x)
        # column energies (b, h, w, h') and row energies (b, h, w, w'), one softmax over both
        energy_h = torch.einsum('bchw,bciw->bhwi', query, key) + NEG_INF_DIAG(h, query.device)[:, None, :]
        energy_w = torch.einsum('bchw,bchj->bhwj', query, key)
        attn = F.softmax(torch.cat([energy_h, energy_w], dim=-1), dim=-1)
        out = torch.einsum('bciw,bhwi->bchw', value, attn[..., :h])
        out = out + torch.einsum('bchj,bhwj->bchw', value, attn[..., h:])
        return (self.gamma(out) + x).contiguous()

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(in_channels={self.in_channels})'


__all__ = ['CrissCrossAttention']
