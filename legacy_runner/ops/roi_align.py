"""RoIAlign (mmcv.ops.roi_align) in PyTorch: every sampling point of every bin of every RoI is
one row of a single bilinear gather, so backward is autograd (an index_add into the feature)."""
from typing import Any, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.utils import _pair

from ..utils.helpers import deprecated_api_warning
from ._bilinear import as_rows, sample

# Upper bound on (sampling points x channels) gathered at once; RoIs are processed in chunks
# below it so that adaptive sampling on big RoIs does not allocate gigabytes.
_CHUNK_ELEMS = 1 << 25


def bin_points(rois: Tensor, pooled: Tuple[int, int], spatial_scale: float, sampling_ratio: int,
                offset: float, clamp_size: bool) -> Tuple[Tensor, Tensor, Tensor, Tensor]:
    """Sampling points of the RoIAlign bins of ``rois`` (R, 5).

    Returns ``y (R, ph, G_h)``, ``x (R, pw, G_w)``, the per-RoI grid counts ``(R, 2)`` and the
    divisor ``count (R,)`` as in mmcv's kernel (``max(g_h * g_w, 1)``).
    """
    ph, pw = pooled
    x1 = rois[:, 1] * spatial_scale - offset
    y1 = rois[:, 2] * spatial_scale - offset
    x2 = rois[:, 3] * spatial_scale - offset
    y2 = rois[:, 4] * spatial_scale - offset
    roi_w, roi_h = x2 - x1, y2 - y1
    if clamp_size:
        roi_w, roi_h = roi_w.clamp(min=1.0), roi_h.clamp(min=1.0)
    bin_h, bin_w = roi_h / ph, roi_w / pw
    if sampling_ratio > 0:
        g_h = torch.full_like(roi_h, sampling_ratio)
        g_w = torch.full_like(roi_w, sampling_ratio)
    else:
        g_h, g_w = torch.ceil(roi_h / ph), torch.ceil(roi_w / pw)
    count = (g_h * g_w).clamp(min=1)
    gmax_h = max(int(g_h.max()) if g_h.numel() else 1, 1)
    gmax_w = max(int(g_w.max()) if g_w.numel() else 1, 1)
    iy = torch.arange(gmax_h, device=rois.device, dtype=rois.dtype)
    ix = torch.arange(gmax_w, device=rois.device, dtype=rois.dtype)
    py = torch.arange(ph, device=rois.device, dtype=rois.dtype)
    px = torch.arange(pw, device=rois.device, dtype=rois.dtype)
    gh_safe, gw_safe = g_h.clamp(min=1), g_w.clamp(min=1)
    y = (y1[:, None, None] + py[None, :, None] * bin_h[:, None, None]
         + (iy[None, None, :] + 0.5) * (bin_h / gh_safe)[:, None, None])
    x = (x1[:, None, None] + px[None, :, None] * bin_w[:, None, None]
         + (ix[None, None, :] + 0.5) * (bin_w / gw_safe)[:, None, None])
    return y, x, torch.stack([g_h, g_w], 1), count


def pool_bins(input: Tensor, rois: Tensor, output_size: Any, y: Tensor, x: Tensor, grid: Tensor,
              count: Tensor, pool_mode: str = 'avg') -> Tensor:
    """Average (or max) of the bilinear samples of each bin: ``y (R, ph, G_h)`` and
    ``x (R, pw, G_w)``, or per bin ``y (R, ph, pw, G_h)`` and ``x (R, ph, pw, G_w)``. Samples past
    a RoI's own grid ``grid (R, 2)`` are ignored. Output ``(R, C, ph, pw)``."""
    ph, pw = output_size
    num_rois = rois.shape[0]
    _, channels, height, width = input.shape
    rows = as_rows(input)
    if y.dim() == 3:  # bins share rows/columns of points unless offsets moved them
        y = y[:, :, None, :]
    if x.dim() == 3:
        x = x[:, None, :, :]
    g_h, g_w = y.shape[-1], x.shape[-1]
    valid = ((torch.arange(g_h, device=rois.device)[None, :, None] < grid[:, 0, None, None])
             & (torch.arange(g_w, device=rois.device)[None, None, :] < grid[:, 1, None, None]))
    yy = y[..., :, None].expand(num_rois, ph, pw, g_h, g_w)
    xx = x[..., None, :].expand(num_rois, ph, pw, g_h, g_w)
    img = rois[:, 0].long()[:, None, None, None, None].expand(num_rois, ph, pw, g_h, g_w)
    vals = sample(rows, img.reshape(-1), yy.reshape(-1), xx.reshape(-1), height, width, 'clamp')
    vals = vals.view(num_rois, ph, pw, g_h * g_w, channels)
    valid = valid.view(num_rois, 1, 1, g_h * g_w, 1)
    if pool_mode == 'avg':
        out = (vals * valid.to(vals.dtype)).sum(3) / count.to(vals.dtype)[:, None, None, None]
    else:
        lowest = torch.finfo(vals.dtype).min  # the kernel's -FLT_MAX start value
        out = vals.masked_fill(~valid, lowest).max(3)[0]
    return out.permute(0, 3, 1, 2).contiguous()


def _axis_weights(pos: Tensor, valid: Tensor, size: int) -> Tuple[Tensor, Tensor, int]:
    """Interpolation weights of sample positions ``pos (R, P, G)`` along one axis, summed over
    the samples of each bin: ``(R, P, K)`` weights on the window ``start (R,) + arange(K)``.
    Uses the RoIAlign clamping rules; ``valid`` masks samples outside the RoI's grid or the map."""
    p = pos.clamp(min=0)
    low = p.floor().clamp(max=size - 1)
    frac = torch.where(low >= size - 1, torch.zeros_like(p), p - low)
    high = (low + 1).clamp(max=size - 1)
    vw = valid.to(pos.dtype)
    start = low.flatten(1).min(1)[0] if low.numel() else low.new_zeros(pos.shape[0])
    k = int((high.flatten(1).max(1)[0] - start).max()) + 1 if low.numel() else 1
    rel_low = (low - start[:, None, None]).long()
    rel_high = (high - start[:, None, None]).long()
    weights = pos.new_zeros(pos.shape[0], pos.shape[1], k)
    weights.scatter_add_(2, rel_low, (1 - frac) * vw)
    weights.scatter_add_(2, rel_high, frac * vw)
    return weights, start.long(), k


def _avg_pool_separable(input: Tensor, rois: Tensor, y: Tensor, x: Tensor, grid: Tensor,
                        count: Tensor) -> Tensor:
    """Average RoIAlign as ``Wy @ crop @ Wx^T`` per RoI: with a regular sample grid the bilinear
    average of a bin factorises into a row and a column weighting, so each RoI only reads its own
    window of the map once instead of four rows per sample."""
    _, channels, height, width = input.shape
    g_h, g_w = y.shape[-1], x.shape[-1]
    in_grid_y = torch.arange(g_h, device=rois.device)[None, None, :] < grid[:, 0, None, None]
    in_grid_x = torch.arange(g_w, device=rois.device)[None, None, :] < grid[:, 1, None, None]
    # a sample outside [-1, size] on either axis contributes nothing (the kernel returns 0)
    ok_y = in_grid_y & (y >= -1.0) & (y <= height)
    ok_x = in_grid_x & (x >= -1.0) & (x <= width)
    wy, sy, kh = _axis_weights(y, ok_y, height)
    wx, sx, kw = _axis_weights(x, ok_x, width)
    rows = (sy[:, None] + torch.arange(kh, device=rois.device)).clamp(max=height - 1)
    cols = (sx[:, None] + torch.arange(kw, device=rois.device)).clamp(max=width - 1)
    img = rois[:, 0].long()
    crop = input[img[:, None, None], :, rows[:, :, None], cols[:, None, :]]  # (R, kh, kw, C)
    out = torch.einsum('rph,rhwc,rqw->rcpq', wy.to(input.dtype), crop, wx.to(input.dtype))
    return out / count.to(out.dtype)[:, None, None, None]


def roi_chunks(num_rois: int, points_per_roi: int, channels: int) -> int:
    return max(1, _CHUNK_ELEMS // max(1, points_per_roi * channels))


def roi_align(input: Tensor, rois: Tensor, output_size: Union[int, Tuple[int, int]],
              spatial_scale: float = 1.0, sampling_ratio: int = 0, pool_mode: str = 'avg',
              aligned: bool = True) -> Tensor:
    """RoIAlign of ``rois`` (R, 5: image index, x1, y1, x2, y2) on ``input`` (B, C, H, W).

    ``aligned=True`` shifts the RoI by half a pixel (pixel centres at .5), ``False`` is the
    legacy convention with RoI sides of at least 1. ``sampling_ratio=0`` takes
    ``ceil(roi_size / output_size)`` points per bin side. Gradients flow to ``input`` only.
    """
    assert pool_mode in ('max', 'avg')
    assert rois.size(1) == 5, 'RoI must be (idx, x1, y1, x2, y2)!'
    output_size = _pair(output_size)
    rois = rois.detach().to(input.dtype)
    channels = input.shape[1]
    if rois.shape[0] == 0:
        return input.new_zeros((0, channels, *output_size)) + input.sum() * 0
    y, x, grid, count = bin_points(rois, output_size, float(spatial_scale), int(sampling_ratio),
                                    0.5 if aligned else 0.0, not aligned)
    per_roi = output_size[0] * output_size[1] * y.shape[-1] * x.shape[-1] * 4
    step = roi_chunks(rois.shape[0], per_roi, channels)
    outs = []
    for s in range(0, rois.shape[0], step):
        sl = slice(s, s + step)
        gy = int(grid[sl, 0].max().clamp(min=1))
        gx = int(grid[sl, 1].max().clamp(min=1))
        if pool_mode == 'avg':
            outs.append(_avg_pool_separable(input, rois[sl], y[sl, ..., :gy], x[sl, ..., :gx],
                                            grid[sl], count[sl]))
        else:
            outs.append(pool_bins(input, rois[sl], output_size, y[sl, ..., :gy], x[sl, ..., :gx],
                                  grid[sl], count[sl], pool_mode))
    return outs[0] if len(outs) == 1 else torch.cat(outs)


class RoIAlign(nn.Module):
    """RoIAlign layer (see :func:`roi_align`).

    Args:
        output_size (int | tuple): ``(h, w)`` of each pooled RoI.
        spatial_scale (float): scale from image to feature coordinates.
        sampling_ratio (int): points per bin side; 0 = adaptive.
        pool_mode (str): 'avg' or 'max' over a bin's points.
        aligned (bool): half-pixel aligned RoIs (Detectron2 convention).
        use_torchvision (bool): use torchvision.ops.roi_align when installed (avg mode only).
    """

    @deprecated_api_warning({'out_size': 'output_size', 'sample_num': 'sampling_ratio'},
                            cls_name='RoIAlign')
    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0,
                 sampling_ratio: int = 0, pool_mode: str = 'avg', aligned: bool = True,
                 use_torchvision: bool = False) -> None:
        super().__init__()
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.pool_mode = pool_mode
        self.aligned = aligned
        self.use_torchvision = use_torchvision

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        if self.use_torchvision:
            try:
                from torchvision.ops import roi_align as tv_roi_align
            except ImportError:  # same numbers from our own op
                tv_roi_align = None
            if tv_roi_align is not None:
                return tv_roi_align(input, rois, self.output_size, self.spatial_scale,
                                    self.sampling_ratio, self.aligned)
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio,
                         self.pool_mode, self.aligned)

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'(output_size={self.output_size}, '
        s += f'spatial_scale={self.spatial_scale}, '
        s += f'sampling_ratio={self.sampling_ratio}, '
        s += f'pool_mode={self.pool_mode}, '
        s += f'aligned={self.aligned}, '
        s += f'use_torchvision={self.use_torchvision})'
        return s


__all__ = ['RoIAlign', 'roi_align']
