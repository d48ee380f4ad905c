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


def _corners(y: Tensor, x: Tensor, height: int, width: int, mode: str
             ) -> Tuple[Tensor, Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]:
    if mode == 'clamp':
        # RoIAlign / DeformRoIPool kernels: outside [-1, size] -> 0; [-1, 0] snaps to 0 (the value
        # is that of the border, while the gradient still flows as in mmcv's backward); at and
        # past size - 1 both corners are the last pixel.
        inside = (y >= -1.0) & (y <= height) & (x >= -1.0) & (x <= width)
        y = torch.where(y <= 0, y - y.detach(), y)
        x = torch.where(x <= 0, x - x.detach(), x)
        y0 = y.detach().floor().clamp(0, height - 1)
        x0 = x.detach().floor().clamp(0, width - 1)
        ly = torch.where(y0 >= height - 1, torch.zeros_like(y), y - y0)
        lx = torch.where(x0 >= width - 1, torch.zeros_like(x), x - x0)
        y1 = (y0 + 1).clamp(max=height - 1)
        x1 = (x0 + 1).clamp(max=width - 1)
        ones = inside
        return y0.long(), x0.long(), y1.long(), x1.long(), ly, lx, torch.stack([ones] * 4)
    # Deformable convolution kernels: inside (-1, size) each corner counts only if it is a pixel
    # (zero padding), exactly like grid_sample(padding_mode='zeros').
    inside = (y > -1.0) & (y < height) & (x > -1.0) & (x < width)
    y0f = y.detach().floor()
    x0f = x.detach().floor()
    ly = y - y0f
    lx = x - x0f
    y0v = (y0f >= 0) & (y0f <= height - 1)
    y1v = (y0f + 1 >= 0) & (y0f + 1 <= height - 1)
    x0v = (x0f >= 0) & (x0f <= width - 1)
    x1v = (x0f + 1 >= 0) & (x0f + 1 <= width - 1)
    valid = torch.stack([y0v & x0v, y0v & x1v, y1v & x0v, y1v & x1v]) & inside
    y0 = y0f.clamp(0, height - 1).long()
    x0 = x0f.clamp(0, width - 1).long()
    y1 = (y0f + 1).clamp(0, height - 1).long()
    x1 = (x0f + 1).clamp(0, width - 1).long()
    return y0, x0, y1, x1, ly, lx, valid


def sample(rows: Tensor, img: Tensor, y: Tensor, x: Tensor, height: int, width: int,
           mode: str = 'clamp') -> Tensor:
    """Bilinear values ``(P, C)`` at points ``(img, y, x)`` (each ``(P,)``) of a row table.

    ``mode='clamp'`` is mmcv's RoIAlign interpolation, ``mode='zeros'`` the deformable-conv one.
    """
    y0, x0, y1, x1, ly, lx, valid = _corners(y, x, height, width, mode)
    hy, hx = 1 - ly, 1 - lx
    base = img.long() * (height * width)
    weights = torch.stack([hy * hx, hy * lx, ly * hx, ly * lx]) * valid.to(ly.dtype)
    index = torch.stack([base + y0 * width + x0, base + y0 * width + x1,
                         base + y1 * width + x0, base + y1 * width + x1])
    picked = rows.index_select(0, index.reshape(-1)).view(4, -1, rows.shape[1])
    return (picked * weights.unsqueeze(-1).to(rows.dtype)).sum(0)
