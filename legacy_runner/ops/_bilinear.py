"""Bilinear sampling with mmcv's two kernel conventions, written with gathers so that autograd
gives the same gradients as mmcv's hand-written backward passes.

``feat`` is a row table ``(num_images * H * W, C)``; a point is ``(image index, y, x)`` in pixel
units (pixel centres at integers).
"""
from typing import Tuple

import torch
from torch import Tensor


def as_rows(feat: Tensor) -> Tensor:
    """``(B, C, H, W)`` -> ``(B * H * W, C)`` row table for :func:`sample`."""
    b, c, h, w = feat.shape
    return feat.permute(0, 2, 3, 1).reshape(b * h * w, c)


def _clamp_corners(y: Tensor, x: Tensor, height: int, width: int
                   ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    # RoIAlign / DeformRoIPool kernels: outside [-1, size] -> 0; [-1, 0] snaps to 0; at and past
    # size - 1 both corners are the last pixel.
    inside = (y >= -1.0) & (y <= height) & (x >= -1.0) & (x <= width)
    yc, xc = y.detach().clamp(min=0), x.detach().clamp(min=0)
    y0, x0 = yc.floor().clamp(max=height - 1), xc.floor().clamp(max=width - 1)
    ly = torch.where(y0 >= height - 1, torch.zeros_like(yc), yc - y0)
    lx = torch.where(x0 >= width - 1, torch.zeros_like(xc), xc - x0)
    y1, x1 = (y0 + 1).clamp(max=height - 1), (x0 + 1).clamp(max=width - 1)
    return y0, x0, y1, x1, ly, lx, inside


def _zeros_corners(y: Tensor, x: Tensor, height: int, width: int
                   ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    # Deformable convolution kernels: inside (-1, size) each corner counts only if it is a pixel
    # (zero padding), exactly like grid_sample(padding_mode='zeros').
    inside = (y > -1.0) & (y < height) & (x > -1.0) & (x < width)
    y0f, x0f = y.detach().floor(), x.detach().floor()
    ly, lx = y - y0f, x - x0f
    y0v = (y0f >= 0) & (y0f <= height - 1)
    y1v = (y0f + 1 >= 0) & (y0f + 1 <= height - 1)
    x0v = (x0f >= 0) & (x0f <= width - 1)
    x1v = (x0f + 1 >= 0) & (x0f + 1 <= width - 1)
    valid = torch.stack([y0v & x0v, y0v & x1v, y1v & x0v, y1v & x1v]) & inside
    return y0f, x0f, y0f + 1, x0f + 1, ly, lx, valid


def sample(rows: Tensor, img: Tensor, y: Tensor, x: Tensor, height: int, width: int,
           mode: str = 'clamp') -> Tensor:
    """Bilinear values ``(P, C)`` at points ``(img, y, x)`` (each ``(P,)``) of a row table.

    ``mode='zeros'`` is the deformable-conv interpolation: autograd through the fractional
    weights gives the kernels' coordinate gradients. ``mode='clamp'`` is mmcv's RoIAlign
    interpolation; its coordinate gradient (used by DeformRoIPool's offsets) is the kernel's
    formula, which takes the clamped corners but the unclamped point, e.g.
    ``d/dx = (y1 - y) * (v[y0, x1] - v[y0, x0]) + (y - y0) * (v[y1, x1] - v[y1, x0])``.
    """
    if mode == 'clamp':
        y0, x0, y1, x1, ly, lx, valid = _clamp_corners(y, x, height, width)
        valid = valid.expand(4, *valid.shape)
    else:
        y0, x0, y1, x1, ly, lx, valid = _zeros_corners(y, x, height, width)
    hy, hx = 1 - ly, 1 - lx
    base = img.long() * (height * width)
    yi0, yi1 = y0.clamp(0, height - 1).long(), y1.clamp(0, height - 1).long()
    xi0, xi1 = x0.clamp(0, width - 1).long(), x1.clamp(0, width - 1).long()
    weights = torch.stack([hy * hx, hy * lx, ly * hx, ly * lx]) * valid.to(ly.dtype)
    index = torch.stack([base + yi0 * width + xi0, base + yi0 * width + xi1,
                         base + yi1 * width + xi0, base + yi1 * width + xi1])
    picked = rows.index_select(0, index.reshape(-1)).view(4, -1, rows.shape[1])
    out = (picked * weights.unsqueeze(-1).to(rows.dtype)).sum(0)
    if mode == 'clamp' and (y.requires_grad or x.requires_grad):
        v00, v01, v10, v11 = picked.detach()
        inside = valid[0].to(rows.dtype).unsqueeze(-1)
        yd, xd = y.detach().unsqueeze(-1), x.detach().unsqueeze(-1)
        gx = ((y1.unsqueeze(-1) - yd) * (v01 - v00) + (yd - y0.unsqueeze(-1)) * (v11 - v10)) * inside
        gy = ((x1.unsqueeze(-1) - xd) * (v10 - v00) + (xd - x0.unsqueeze(-1)) * (v11 - v01)) * inside
        # zero-valued terms that carry the kernel's coordinate gradient
        out = out + gx * (x - x.detach()).unsqueeze(-1) + gy * (y - y.detach()).unsqueeze(-1)
    return out
