"""PointRend point sampling helpers (mmcv.ops.point_sample): coordinates in [0, 1] relative to an
image or RoI, sampled with grid_sample."""
from typing import Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.utils import _pair


def bilinear_grid_sample(im: Tensor, grid: Tensor, align_corners: bool = False) -> Tensor:
    """grid_sample (bilinear, zero padding) written with gathers, for graph exports that lack it.
    ``im`` (N, C, H, W), ``grid`` (N, Hg, Wg, 2) in [-1, 1] -> (N, C, Hg, Wg)."""
    n, c, h, w = im.shape
    gn, gh, gw, _ = grid.shape
    assert n == gn
    x, y = grid[..., 0], grid[..., 1]
    if align_corners:
        x = (x + 1) / 2 * (w - 1)
        y = (y + 1) / 2 * (h - 1)
    else:
        x = ((x + 1) * w - 1) / 2
        y = ((y + 1) * h - 1) / 2
    x, y = x.reshape(n, -1), y.reshape(n, -1)
    x0, y0 = x.floor(), y.floor()
    out = im.new_zeros(n, c, x.shape[1])
    flat = im.reshape(n, c, h * w)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - (x - xi).abs()) * (1 - (y - yi).abs())
            ok = (xi >= 0) & (xi <= w - 1) & (yi >= 0) & (yi <= h - 1)
            idx = (yi.clamp(0, h - 1) * w + xi.clamp(0, w - 1)).long()
            vals = flat.gather(2, idx[:, None, :].expand(n, c, -1))
            out = out + vals * (wgt * ok.to(wgt.dtype))[:, None, :]
    return out.reshape(n, c, gh, gw)


def normalize(grid: Tensor) -> Tensor:
    """[-1, 1] -> [0, 1]."""
    return (grid + 1.0) / 2.0


def denormalize(grid: Tensor) -> Tensor:
    """[0, 1] -> [-1, 1]."""
    return grid * 2.0 - 1.0


def generate_grid(num_grid: int, size: Tuple[int, int], device: torch.device) -> Tensor:
    """Centres of a regular ``size`` grid in [0, 1]^2, ``(num_grid, size[0]*size[1], 2)``."""
    affine_trans = torch.tensor([[[1., 0., 0.], [0., 1., 0.]]], device=device)
    grid = F.affine_grid(affine_trans, torch.Size((1, 1, *size)), align_corners=False)
    grid = normalize(grid)
    return grid.view(1, -1, 2).expand(num_grid, -1, -1)


def rel_roi_point_to_abs_img_point(rois: Tensor, rel_roi_points: Tensor) -> Tensor:
    """RoI-relative points ``(N, P, 2)`` in [0, 1] -> absolute image coordinates."""
    with torch.no_grad():
        assert rel_roi_points.size(0) == rois.size(0)
        assert rois.dim() == 2
        assert rel_roi_points.dim() == 3
        assert rel_roi_points.size(2) == 2
        if rois.size(1) == 5:
            rois = rois[:, 1:]
        xs = rel_roi_points[:, :, 0] * (rois[:, None, 2] - rois[:, None, 0]) + rois[:, None, 0]
        ys = rel_roi_points[:, :, 1] * (rois[:, None, 3] - rois[:, None, 1]) + rois[:, None, 1]
        return torch.stack([xs, ys], dim=2)


def get_shape_from_feature_map(x: Tensor) -> Tensor:
    """``(width, height)`` of a feature map as a float tensor of shape (1, 1, 2)."""
    return torch.tensor(x.shape[2:]).flip(0).view(1, 1, 2).to(x.device).float()


def abs_img_point_to_rel_img_point(abs_img_points: Tensor, img: Union[tuple, Tensor],
                                   spatial_scale: float = 1.) -> Tensor:
    """Absolute points -> [0, 1] image-relative points; ``img`` is ``(h, w)`` or a feature map."""
    assert (isinstance(img, tuple) and len(img) == 2) or \
        (isinstance(img, torch.Tensor) and len(img.shape) == 4)
    if isinstance(img, tuple):
        h, w = img
        scale = torch.tensor([w, h], dtype=torch.float, device=abs_img_points.device).view(1, 1, 2)
    else:
        scale = get_shape_from_feature_map(img)
    return abs_img_points / scale * spatial_scale


def rel_roi_point_to_rel_img_point(rois: Tensor, rel_roi_points: Tensor, img: Union[tuple, Tensor],
                                   spatial_scale: float = 1.) -> Tensor:
    """RoI-relative points -> image-relative points ready for :func:`point_sample`."""
    abs_img_point = rel_roi_point_to_abs_img_point(rois, rel_roi_points)
    return abs_img_point_to_rel_img_point(abs_img_point, img, spatial_scale)


def point_sample(input: Tensor, points: Tensor, align_corners: bool = False, **kwargs) -> Tensor:
    """grid_sample at points in [0, 1]^2: ``points`` (N, P, 2) -> (N, C, P), or (N, Hg, Wg, 2)
    -> (N, C, Hg, Wg). Extra keyword arguments go to grid_sample."""
    add_dim = False
    if points.dim() == 3:
        add_dim = True
        points = points.unsqueeze(2)
    output = F.grid_sample(input, denormalize(points), align_corners=align_corners, **kwargs)
    if add_dim:
        output = output.squeeze(3)
    return output


class SimpleRoIAlign(nn.Module):
    """PointRend's RoI align: one bilinear sample at each output cell centre.

    Args:
        output_size (tuple[int]): ``(h, w)``.
        spatial_scale (float): image -> feature scale.
        aligned (bool): False samples with align_corners=True (legacy MMDetection behaviour).
    """

    def __init__(self, output_size: Union[int, Tuple[int, int]], spatial_scale: float,
                 aligned: bool = True) -> None:
        super().__init__()
        self.output_size = _pair(output_size)
        self.spatial_scale = float(spatial_scale)
        self.use_torchvision = False  # same attribute as the other RoI ops
        self.aligned = aligned

    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        num_imgs = features.size(0)
        num_rois = rois.size(0)
        rel_roi_points = generate_grid(num_rois, self.output_size, device=rois.device)
        point_feats = []
        for batch_ind in range(num_imgs):  # one grid_sample per image, all its RoIs at once
            feat = features[batch_ind].unsqueeze(0)
            inds = (rois[:, 0].long() == batch_ind)
            if inds.any():
                rel_img_points = rel_roi_point_to_rel_img_point(
                    rois[inds], rel_roi_points[inds], feat, self.spatial_scale).unsqueeze(0)
                point_feat = point_sample(feat, rel_img_points, align_corners=not self.aligned)
                point_feats.append(point_feat.squeeze(0).transpose(0, 1))
        channels = features.size(1)
        if not point_feats:
            return features.new_zeros((0, channels, *self.output_size))
        # RoIs come back grouped by image, as in mmcv
        return torch.cat(point_feats, dim=0).reshape(num_rois, channels, *self.output_size)

    def __repr__(self) -> str:
        format_str = self.__class__.__name__
        format_str += f'(output_size={self.output_size}, spatial_scale={self.spatial_scale}'
        return format_str


__all__ = ['SimpleRoIAlign', 'abs_img_point_to_rel_img_point', 'bilinear_grid_sample', 'denormalize',
           'generate_grid', 'get_shape_from_feature_map', 'normalize', 'point_sample',
           'rel_roi_point_to_abs_img_point', 'rel_roi_point_to_rel_img_point']
