"""RoIPool (mmcv.ops.roi_pool): max over each bin's integer cells, as mmcv's kernel (rounded RoI
corners, inclusive far edge, floor/ceil bin edges, empty bins give 0)."""
from typing import Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.utils import _pair

_CHUNK_ELEMS = 1 << 25


def _round_half_away(x: Tensor) -> Tensor:
    # C's round(): halves go away from zero (torch.round goes to even)
    return torch.sign(x) * torch.floor(x.abs() + 0.5)


def _bin_edges(start: Tensor, size: Tensor, pooled: int, limit: int) -> Tuple[Tensor, Tensor]:
    p = torch.arange(pooled, device=start.device, dtype=size.dtype)
    bin_size = size / pooled
    lo = torch.floor(p[None] * bin_size[:, None]) + start[:, None]
    hi = torch.ceil((p[None] + 1) * bin_size[:, None]) + start[:, None]
    return lo.clamp(0, limit).long(), hi.clamp(0, limit).long()


def roi_pool(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
             spatial_scale: float = 1.0) -> Tensor:
    """Max-pool each RoI ``(idx, x1, y1, x2, y2)`` of ``input`` into ``output_size`` bins."""
    output_size = _pair(output_size)
    ph, pw = output_size
    num_rois = rois.shape[0]
    batch, channels, height, width = input.shape
    if num_rois == 0:
        return input.new_zeros((0, channels, ph, pw)) + input.sum() * 0
    r = rois.detach().float()
    x1 = _round_half_away(r[:, 1] * spatial_scale)
    y1 = _round_half_away(r[:, 2] * spatial_scale)
    x2 = _round_half_away(r[:, 3] * spatial_scale)
    y2 = _round_half_away(r[:, 4] * spatial_scale)
    roi_w = (x2 - x1 + 1).clamp(min=1)
    roi_h = (y2 - y1 + 1).clamp(min=1)
    hs, he = _bin_edges(y1, roi_h, ph, height)
    ws, we = _bin_edges(x1, roi_w, pw, width)
    # windows are padded to the largest bin of the chunk and masked
    plane = input.reshape(batch, channels, height * width)
    outs = []
    kh_all, kw_all = (he - hs).clamp(min=0), (we - ws).clamp(min=0)
    step = max(1, _CHUNK_ELEMS // max(1, ph * pw * channels * int(kh_all.max()) * int(kw_all.max())))
    for s in range(0, num_rois, step):
        sl = slice(s, s + step)
        kh = max(int(kh_all[sl].max()), 1)
        kw = max(int(kw_all[sl].max()), 1)
        rows = hs[sl, :, None] + torch.arange(kh, device=input.device)  # (n, ph, kh)
        cols = ws[sl, :, None] + torch.arange(kw, device=input.device)  # (n, pw, kw)
        row_ok = rows < he[sl, :, None]
        col_ok = cols < we[sl, :, None]
        flat = (rows.clamp(max=height - 1)[:, :, None, :, None] * width
                + cols.clamp(max=width - 1)[:, None, :, None, :])  # (n, ph, pw, kh, kw)
        ok = row_ok[:, :, None, :, None] & col_ok[:, None, :, None, :]
        n = flat.shape[0]
        img = rois[sl, 0].long()
        vals = plane[img].gather(2, flat.reshape(n, 1, -1).expand(n, channels, -1))
        vals = vals.view(n, channels, ph, pw, kh * kw)
        ok = ok.reshape(n, 1, ph, pw, kh * kw)
        best = vals.masked_fill(~ok, float('-inf')).max(-1)[0]
        outs.append(torch.where(ok.any(-1), best, torch.zeros_like(best)))
    return outs[0] if len(outs) == 1 else torch.cat(outs)


class RoIPool(nn.Module):
    """RoIPool layer (see :func:`roi_pool`)."""

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0) -> None:
        super().__init__()
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'(output_size={self.output_size}, '
        s += f'spatial_scale={self.spatial_scale})'
        return s


__all__ = ['RoIPool', 'roi_pool']
