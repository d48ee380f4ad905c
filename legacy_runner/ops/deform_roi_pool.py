"""Deformable RoI pooling (mmcv.ops.deform_roi_pool): RoIAlign (half-pixel aligned) whose bins
are shifted by ``gamma * roi_size * offset``; autograd gives input and offset gradients."""
from typing import Optional, Tuple, Union

import torch
from torch import Tensor, nn
from torch.nn.modules.utils import _pair

from .roi_align import bin_points, pool_bins, roi_chunks


def deform_roi_pool(input: Tensor, rois: Tensor, offset: Optional[Tensor],
                    output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0,
                    sampling_ratio: int = 0, gamma: float = 0.1) -> Tensor:
    """``offset`` ``(R, 2, ph, pw)`` (x then y, in units of the RoI size) or None."""
    output_size = _pair(output_size)
    assert rois.size(1) == 5, 'RoI must be (idx, x1, y1, x2, y2)!'
    rois = rois.detach().to(input.dtype)
    channels = input.shape[1]
    if rois.shape[0] == 0:
        out = input.new_zeros((0, channels, *output_size)) + input.sum() * 0
        return out if offset is None else out + offset.sum() * 0
    y, x, grid, count = bin_points(rois, output_size, float(spatial_scale), int(sampling_ratio), 0.5, False)
    if offset is not None and offset.numel() > 0:
        roi_w = (rois[:, 3] - rois[:, 1]) * spatial_scale
        roi_h = (rois[:, 4] - rois[:, 2]) * spatial_scale
        off = offset.to(input.dtype)
        x = x[:, None, :, :] + (gamma * roi_w)[:, None, None, None] * off[:, 0, :, :, None]
        y = y[:, :, None, :] + (gamma * roi_h)[:, None, None, None] * off[:, 1, :, :, None]
    per_roi = output_size[0] * output_size[1] * y.shape[-1] * x.shape[-1] * 4
    step = roi_chunks(rois.shape[0], per_roi, channels)
    outs = []
    for s in range(0, rois.shape[0], step):
        sl = slice(s, s + step)
        gy = int(grid[sl, 0].max().clamp(min=1))
        gx = int(grid[sl, 1].max().clamp(min=1))
        outs.append(pool_bins(input, rois[sl], output_size, y[sl, ..., :gy], x[sl, ..., :gx],
                              grid[sl], count[sl], 'avg'))
    return outs[0] if len(outs) == 1 else torch.cat(outs)


class DeformRoIPool(nn.Module):
    """``forward(input, rois, offset=None)``, see :func:`deform_roi_pool`."""

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float = 1.0,
                 sampling_ratio: int = 0, gamma: float = 0.1) -> None:
        super().__init__()
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)
        self.sampling_ratio = int(sampling_ratio)
        self.gamma = float(gamma)

    def forward(self, input: Tensor, rois: Tensor, offset: Optional[Tensor] = None) -> Tensor:
        return deform_roi_pool(input, rois, offset, self.output_size, self.spatial_scale,
                               self.sampling_ratio, self.gamma)


class DeformRoIPoolPack(DeformRoIPool):
    """DeformRoIPool predicting its offsets from a first, unshifted pooling with ``offset_fc``
    (last layer zero-initialised)."""

    def __init__(self, output_size: Union[int, Tuple[int, int]], output_channels: int,
                 deform_fc_channels: int = 1024, spatial_scale: float = 1.0, sampling_ratio: int = 0,
                 gamma: float = 0.1) -> None:
        super().__init__(output_size, spatial_scale, sampling_ratio, gamma)
        self.output_channels = output_channels
        self.deform_fc_channels = deform_fc_channels
        bins = self.output_size[0] * self.output_size[1]
        self.offset_fc = nn.Sequential(
            nn.Linear(bins * self.output_channels, self.deform_fc_channels), nn.ReLU(inplace=True),
            nn.Linear(self.deform_fc_channels, self.deform_fc_channels), nn.ReLU(inplace=True),
            nn.Linear(self.deform_fc_channels, bins * 2))
        self.offset_fc[-1].weight.data.zero_()
        self.offset_fc[-1].bias.data.zero_()

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:  # type: ignore[override]
        assert input.size(1) == self.output_channels
        x = deform_roi_pool(input, rois, None, self.output_size, self.spatial_scale,
                            self.sampling_ratio, self.gamma)
        rois_num = rois.size(0)
        offset = self.offset_fc(x.view(rois_num, -1))
        offset = offset.view(rois_num, 2, self.output_size[0], self.output_size[1])
        return deform_roi_pool(input, rois, offset, self.output_size, self.spatial_scale,
                               self.sampling_ratio, self.gamma)


class ModulatedDeformRoIPoolPack(DeformRoIPool):
    """DeformRoIPoolPack whose output is also scaled by a predicted per-bin mask (``mask_fc``)."""

    def __init__(self, output_size: Union[int, Tuple[int, int]], output_channels: int,
                 deform_fc_channels: int = 1024, spatial_scale: float = 1.0, sampling_ratio: int = 0,
                 gamma: float = 0.1) -> None:
        super().__init__(output_size, spatial_scale, sampling_ratio, gamma)
        self.output_channels = output_channels
        self.deform_fc_channels = deform_fc_channels
        bins = self.output_size[0] * self.output_size[1]
        self.offset_fc = nn.Sequential(
            nn.Linear(bins * self.output_channels, self.deform_fc_channels), nn.ReLU(inplace=True),
            nn.Linear(self.deform_fc_channels, self.deform_fc_channels), nn.ReLU(inplace=True),
            nn.Linear(self.deform_fc_channels, bins * 2))
        self.offset_fc[-1].weight.data.zero_()
        self.offset_fc[-1].bias.data.zero_()
        self.mask_fc = nn.Sequential(
            nn.Linear(bins * self.output_channels, self.deform_fc_channels), nn.ReLU(inplace=True),
            nn.Linear(self.deform_fc_channels, bins * 1), nn.Sigmoid())
        self.mask_fc[2].weight.data.zero_()
        self.mask_fc[2].bias.data.zero_()

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:  # type: ignore[override]
        assert input.size(1) == self.output_channels
        x = deform_roi_pool(input, rois, None, self.output_size, self.spatial_scale,
                            self.sampling_ratio, self.gamma)
        rois_num = rois.size(0)
        offset = self.offset_fc(x.view(rois_num, -1))
        offset = offset.view(rois_num, 2, self.output_size[0], self.output_size[1])
        mask = self.mask_fc(x.view(rois_num, -1))
        mask = mask.view(rois_num, 1, self.output_size[0], self.output_size[1])
        d = deform_roi_pool(input, rois, offset, self.output_size, self.spatial_scale,
                            self.sampling_ratio, self.gamma)
        return d * mask


__all__ = ['DeformRoIPool', 'DeformRoIPoolPack', 'ModulatedDeformRoIPoolPack', 'deform_roi_pool']
