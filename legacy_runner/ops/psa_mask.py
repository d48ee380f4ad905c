"""Point-wise spatial attention mask re-layout (PSANet, mmcv.ops.psa_mask).

Input ``(N, hm*wm, H, W)``: for each feature position a ``hm x wm`` window of attention values
centred on it. 'collect' writes the value of window cell (i, j) at position (h, w) to
``out[n, (h + i - hm//2... ) * W + ..., h, w]``; 'distribute' writes it to the transposed place.
Output ``(N, H*W, H, W)``; positions outside the map are dropped, the rest of the output is 0.
"""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from torch import Tensor
from torch.nn.modules.utils import _pair


def _psa_index(h: int, w: int, hm: int, wm: int, collect: bool, device: torch.device
               ) -> Tuple[Tensor, Tensor]:
    half_h, half_w = (hm - 1) // 2, (wm - 1) // 2
    i = torch.arange(hm, device=device).view(hm, 1, 1, 1)
    j = torch.arange(wm, device=device).view(1, wm, 1, 1)
    y = torch.arange(h, device=device).view(1, 1, h, 1)
    x = torch.arange(w, device=device).view(1, 1, 1, w)
    fy, fx = i + y - half_h, j + x - half_w  # the feature position window cell (i, j) points at
    ok = (fy >= 0) & (fy < h) & (fx >= 0) & (fx < w)
    pos, other = y * w + x, fy * w + fx
    if collect:
        target = other * (h * w) + pos
    else:
        target = pos * (h * w) + other
    src = ((i * wm + j) * (h * w) + pos).expand_as(ok)
    return src[ok], target.expand_as(ok)[ok]


def psa_mask(input: Tensor, psa_type: int, mask_size: Union[int, Tuple[int, int]]) -> Tensor:
    """``psa_type`` 0 = collect, 1 = distribute."""
    assert psa_type in (0, 1)
    n, c, h, w = input.shape
    hm, wm = _pair(mask_size)
    assert c == hm * wm
    src, target = _psa_index(h, w, hm, wm, psa_type == 0, input.device)
    flat = input.reshape(n, -1)
    out = flat.new_zeros(n, h * w * h * w)
    out = out.index_copy(1, target, flat.index_select(1, src))
    return out.view(n, h * w, h, w)


class PSAMask(nn.Module):
    """``PSAMask('collect' | 'distribute', mask_size)``."""

    def __init__(self, psa_type: str, mask_size: Optional[Union[int, Tuple[int, int]]] = None) -> None:
        super().__init__()
        assert psa_type in ['collect', 'distribute']
        self.psa_type_enum = 0 if psa_type == 'collect' else 1
        self.mask_size = mask_size
        self.psa_type = psa_type

    def forward(self, input: Tensor) -> Tensor:
        return psa_mask(input, self.psa_type_enum, self.mask_size)

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'(psa_type={self.psa_type}, '
        s += f'mask_size={self.mask_size})'
        return s


__all__ = ['PSAMask', 'psa_mask']
