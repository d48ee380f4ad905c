"""Multi-scale deformable attention (Deformable DETR, mmcv.ops.multi_scale_deform_attn) on
grid_sample: the same computation mmcv runs on the CPU, used on every device here."""
import math
import warnings
from typing import Any, Optional, no_type_check

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..base_module import BaseModule
from ..cnn.bricks.registry import ATTENTION
from ..cnn.weight_init import constant_init, xavier_init
from ..utils.helpers import deprecated_api_warning


def multi_scale_deformable_attn_pytorch(value: Tensor, value_spatial_shapes: Tensor,
                                        sampling_locations: Tensor,
                                        attention_weights: Tensor) -> Tensor:
    """Deformable attention over several feature levels.

    Args:
        value: ``(bs, num_keys, num_heads, embed_dims // num_heads)``, levels concatenated.
        value_spatial_shapes: ``(num_levels, 2)`` as (h, w).
        sampling_locations: ``(bs, num_queries, num_heads, num_levels, num_points, 2)``, (x, y)
            in [0, 1].
        attention_weights: ``(bs, num_queries, num_heads, num_levels, num_points)``.

    Returns:
        ``(bs, num_queries, embed_dims)``.
    """
    bs, _, num_heads, embed_dims = value.shape
    _, num_queries, num_heads, num_levels, num_points, _ = sampling_locations.shape
    value_list = value.split([int(h) * int(w) for h, w in value_spatial_shapes], dim=1)
    sampling_grids = 2 * sampling_locations - 1
    sampled = []
    for level, (h, w) in enumerate(value_spatial_shapes):
        # (bs, h*w, heads, d) -> (bs*heads, d, h, w)
        value_l = value_list[level].flatten(2).transpose(1, 2).reshape(bs * num_heads, embed_dims,
                                                                        int(h), int(w))
        # (bs, q, heads, points, 2) -> (bs*heads, q, points, 2)
        grid_l = sampling_grids[:, :, :, level].transpose(1, 2).flatten(0, 1)
        sampled.append(F.grid_sample(value_l, grid_l, mode='bilinear', padding_mode='zeros',
                                     align_corners=False))
    attention_weights = attention_weights.transpose(1, 2).reshape(bs * num_heads, 1, num_queries,
                                                                  num_levels * num_points)
    output = (torch.stack(sampled, dim=-2).flatten(-2) * attention_weights).sum(-1)
    return output.view(bs, num_heads * embed_dims, num_queries).transpose(1, 2).contiguous()


class MultiScaleDeformableAttnFunction:
    """mmcv's autograd Function for the compiled kernel; ``apply`` runs the PyTorch version
    (autograd provides the backward)."""

    @staticmethod
    def apply(value: Tensor, value_spatial_shapes: Tensor, value_level_start_index: Tensor,
              sampling_locations: Tensor, attention_weights: Tensor, im2col_step: int) -> Tensor:
        return multi_scale_deformable_attn_pytorch(value, value_spatial_shapes, sampling_locations,
                                                   attention_weights)


@ATTENTION.register_module()
class MultiScaleDeformableAttention(BaseModule):
    """Attention module of Deformable DETR.

    Args:
        embed_dims (int): embedding size.
        num_heads (int): attention heads.
        num_levels (int): feature levels.
        num_points (int): sampling points per head and level.
        im2col_step (int): kept for config compatibility (kernel batching).
        dropout (float): dropout on the output before the residual.
        batch_first (bool): ``(bs, n, embed_dims)`` instead of ``(n, bs, embed_dims)`` tensors.
        norm_cfg (dict): unused, kept for config compatibility.
        init_cfg (dict): BaseModule init config.
        value_proj_ratio (float): width of ``value_proj`` relative to ``embed_dims``.
    """

    def __init__(self, embed_dims: int = 256, num_heads: int = 8, num_levels: int = 4,
                 num_points: int = 4, im2col_step: int = 64, dropout: float = 0.1,
                 batch_first: bool = False, norm_cfg: Optional[dict] = None,
                 init_cfg: Optional[Any] = None, value_proj_ratio: float = 1.0) -> None:
        super().__init__(init_cfg)
        if embed_dims % num_heads != 0:
            raise ValueError(f'embed_dims must be divisible by num_heads, '
                             f'but got {embed_dims} and {num_heads}')
        dim_per_head = embed_dims // num_heads
        self.norm_cfg = norm_cfg
        self.dropout = nn.Dropout(dropout)
        self.batch_first = batch_first
        if not (isinstance(dim_per_head, int) and dim_per_head > 0
                and dim_per_head & (dim_per_head - 1) == 0):
            warnings.warn("You'd better set embed_dims in MultiScaleDeformAttention to make the "
                          'dimension of each attention head a power of 2 which is more efficient '
                          'in our CUDA implementation.')
        self.im2col_step = im2col_step
        self.embed_dims = embed_dims
        self.num_levels = num_levels
        self.num_heads = num_heads
        self.num_points = num_points
        self.sampling_offsets = nn.Linear(embed_dims, num_heads * num_levels * num_points * 2)
        self.attention_weights = nn.Linear(embed_dims, num_heads * num_levels * num_points)
        value_proj_size = int(embed_dims * value_proj_ratio)
        self.value_proj = nn.Linear(embed_dims, value_proj_size)
        self.output_proj = nn.Linear(value_proj_size, embed_dims)
        self.init_weights()

    def init_weights(self) -> None:
        """Offsets start on rays (one direction per head, distance = point index + 1)."""
        constant_init(self.sampling_offsets, 0.)
        device = next(self.parameters()).device
        thetas = torch.arange(self.num_heads, dtype=torch.float32,
                              device=device) * (2.0 * math.pi / self.num_heads)
        grid_init = torch.stack([thetas.cos(), thetas.sin()], -1)
        grid_init = (grid_init / grid_init.abs().max(-1, keepdim=True)[0]).view(
            self.num_heads, 1, 1, 2).repeat(1, self.num_levels, self.num_points, 1)
        for i in range(self.num_points):
            grid_init[:, :, i, :] *= i + 1
        self.sampling_offsets.bias.data = grid_init.view(-1)
        constant_init(self.attention_weights, val=0., bias=0.)
        xavier_init(self.value_proj, distribution='uniform', bias=0.)
        xavier_init(self.output_proj, distribution='uniform', bias=0.)
        self._is_init = True

    @no_type_check
    @deprecated_api_warning({'residual': 'identity'}, cls_name='MultiScaleDeformableAttention')
    def forward(self, query: Tensor, key: Optional[Tensor] = None, value: Optional[Tensor] = None,
                identity: Optional[Tensor] = None, query_pos: Optional[Tensor] = None,
                key_padding_mask: Optional[Tensor] = None, reference_points: Optional[Tensor] = None,
                spatial_shapes: Optional[Tensor] = None, level_start_index: Optional[Tensor] = None,
                **kwargs) -> Tensor:
        """``reference_points``: ``(bs, num_query, num_levels, 2)`` points in [0, 1] or ``(..., 4)``
        boxes (cx, cy, w, h); returns a tensor shaped like ``query``."""
        if value is None:
            value = query
        if identity is None:
            identity = query
        if query_pos is not None:
            query = query + query_pos
        if not self.batch_first:
            query = query.permute(1, 0, 2)
            value = value.permute(1, 0, 2)
        bs, num_query, _ = query.shape
        bs, num_value, _ = value.shape
        assert (spatial_shapes[:, 0] * spatial_shapes[:, 1]).sum() == num_value

        value = self.value_proj(value)
        if key_padding_mask is not None:
            value = value.masked_fill(key_padding_mask[..., None], 0.0)
        value = value.view(bs, num_value, self.num_heads, -1)
        sampling_offsets = self.sampling_offsets(query).view(
            bs, num_query, self.num_heads, self.num_levels, self.num_points, 2)
        attention_weights = self.attention_weights(query).view(
            bs, num_query, self.num_heads, self.num_levels * self.num_points)
        attention_weights = attention_weights.softmax(-1).view(
            bs, num_query, self.num_heads, self.num_levels, self.num_points)
        if reference_points.shape[-1] == 2:
            offset_normalizer = torch.stack([spatial_shapes[..., 1], spatial_shapes[..., 0]], -1)
            sampling_locations = reference_points[:, :, None, :, None, :] \
                + sampling_offsets / offset_normalizer[None, None, None, :, None, :]
        elif reference_points.shape[-1] == 4:
            sampling_locations = reference_points[:, :, None, :, None, :2] \
                + sampling_offsets / self.num_points * reference_points[:, :, None, :, None, 2:] * 0.5
        else:
            raise ValueError(f'Last dim of reference_points must be 2 or 4, but get '
                             f'{reference_points.shape[-1]} instead.')
        output = multi_scale_deformable_attn_pytorch(value, spatial_shapes, sampling_locations,
                                                     attention_weights)
        output = self.output_proj(output)
        if not self.batch_first:
            output = output.permute(1, 0, 2)
        return self.dropout(output) + identity


__all__ = ['MultiScaleDeformableAttention', 'MultiScaleDeformableAttnFunction',
           'multi_scale_deformable_attn_pytorch']
