"""``GeneralizedAttention`` (arXiv:1904.05873): attention over content and relative position."""
import math
from typing import Tuple

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..weight_init import kaiming_init
from .registry import PLUGIN_LAYERS


@PLUGIN_LAYERS.register_module()
class GeneralizedAttention(nn.Module):
    """Spatial attention whose energy sums up to four terms, picked by ``attention_type``
    (a 4-character '0'/'1' string): [0] query-key content, [1] query content vs relative
    position, [2] key content only (a learnt bias ``appr_bias``), [3] relative position only
    (``geom_bias``).

    Args:
        in_channels: channels of the input.
        spatial_range: -1 for no constraint; else keys farther than this are masked out (only
            for in_channels 256 or 512, as in the original).
        num_heads: attention heads.
        position_embedding_dim: sinusoidal embedding size (-1: in_channels).
        position_magnitude: multiplier on coordinate differences.
        kv_stride, q_stride: average-pool strides of key/value and query maps.
        attention_type: which of the four terms to use.
    """

    _abbr_ = 'gen_attention_block'

    def __init__(self, in_channels: int, spatial_range: int = -1, num_heads: int = 9,
                 position_embedding_dim: int = -1, position_magnitude: int = 1, kv_stride: int = 2,
                 q_stride: int = 1, attention_type: str = '1111') -> None:
        super().__init__()
        self.position_embedding_dim = (position_embedding_dim if position_embedding_dim > 0
                                       else in_channels)
        self.position_magnitude = position_magnitude
        self.num_heads = num_heads
        self.in_channels = in_channels
        self.spatial_range = spatial_range
        self.kv_stride = kv_stride
        self.q_stride = q_stride
        self.attention_type = [bool(int(_)) for _ in attention_type]
        self.qk_embed_dim = in_channels // num_heads
        out_c = self.qk_embed_dim * num_heads
        # creation order below is mmcv's: it fixes parameter order and the random draws
        if self.attention_type[0] or self.attention_type[1]:
            self.query_conv = nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False)
            self.query_conv.kaiming_init = True
        if self.attention_type[0] or self.attention_type[2]:
            self.key_conv = nn.Conv2d(in_channels, out_c, kernel_size=1, bias=False)
            self.key_conv.kaiming_init = True
        self.v_dim = in_channels // num_heads
        self.value_conv = nn.Conv2d(in_channels, self.v_dim * num_heads, kernel_size=1, bias=False)
        self.value_conv.kaiming_init = True
        if self.attention_type[1] or self.attention_type[3]:
            self.appr_geom_fc_x = nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
            self.appr_geom_fc_x.kaiming_init = True
            self.appr_geom_fc_y = nn.Linear(self.position_embedding_dim // 2, out_c, bias=False)
            self.appr_geom_fc_y.kaiming_init = True
        if self.attention_type[2]:
            stdv = 1.0 / math.sqrt(self.qk_embed_dim * 2)
            self.appr_bias = nn.Parameter(-2 * stdv * torch.rand(out_c) + stdv)
        if self.attention_type[3]:
            stdv = 1.0 / math.sqrt(self.qk_embed_dim * 2)
            self.geom_bias = nn.Parameter(-2 * stdv * torch.rand(out_c) + stdv)
        self.proj_conv = nn.Conv2d(self.v_dim * num_heads, in_channels, kernel_size=1, bias=True)
        self.proj_conv.kaiming_init = True
        self.gamma = nn.Parameter(torch.zeros(1))

        if self.spatial_range >= 0:
            # the mask size is tied to the feature sizes the original was designed for
            if in_channels == 256:
                max_len = 84
            elif in_channels == 512:
                max_len = 42
            else:
                raise ValueError(f'GeneralizedAttention: spatial_range >= 0 needs in_channels 256 or '
                                 f'512, got in_channels={in_channels}')
            max_len_kv = int((max_len - 1.0) / self.kv_stride + 1)
            constraint = np.ones((max_len, max_len, max_len_kv, max_len_kv), dtype=int)
            for iy in range(max_len):
                for ix in range(max_len):
                    y0 = max((iy - self.spatial_range) // self.kv_stride, 0)
                    y1 = min((iy + self.spatial_range + 1) // self.kv_stride + 1, max_len)
                    x0 = max((ix - self.spatial_range) // self.kv_stride, 0)
                    x1 = min((ix + self.spatial_range + 1) // self.kv_stride + 1, max_len)
                    constraint[iy, ix, y0:y1, x0:x1] = 0
            self.local_constraint_map = nn.Parameter(torch.from_numpy(constraint).byte(),
                                                     requires_grad=False)
        self.q_downsample = nn.AvgPool2d(kernel_size=1, stride=self.q_stride) if self.q_stride > 1 else None
        self.kv_downsample = (nn.AvgPool2d(kernel_size=1, stride=self.kv_stride)
                              if self.kv_stride > 1 else None)
        self.init_weights()

    def get_position_embedding(self, h: int, w: int, h_kv: int, w_kv: int, q_stride: int,
                               kv_stride: int, device: torch.device, dtype: torch.dtype,
                               feat_dim: int, wave_length: int = 1000
                               ) -> Tuple[torch.Tensor, torch.Tensor]:
        """Sin/cos embeddings of the query-key coordinate differences along x and y."""
        def coords(n: int, stride: int) -> torch.Tensor:
            # built in float32 then cast, so fp16 inputs get the same values as mmcv
            return torch.linspace(0, n - 1, n).to(device=device, dtype=dtype).view((n, 1)) * stride

        h_diff = (coords(h, q_stride).unsqueeze(1) - coords(h_kv, kv_stride).unsqueeze(0))
        h_diff *= self.position_magnitude
        w_diff = (coords(w, q_stride).unsqueeze(1) - coords(w_kv, kv_stride).unsqueeze(0))
        w_diff *= self.position_magnitude
        feat_range = torch.arange(0, feat_dim / 4).to(device=device, dtype=dtype)
        dim_mat = torch.Tensor([wave_length]).to(device=device, dtype=dtype)
        dim_mat = (dim_mat**((4. / feat_dim) * feat_range)).view((1, 1, -1))
        embedding_x = torch.cat(((w_diff / dim_mat).sin(), (w_diff / dim_mat).cos()), dim=2)
        embedding_y = torch.cat(((h_diff / dim_mat).sin(), (h_diff / dim_mat).cos()), dim=2)
        return embedding_x, embedding_y

    def forward(self, x_input: torch.Tensor) -> torch.Tensor:
        num_heads = self.num_heads
        at = self.attention_type
        x_q = self.q_downsample(x_input) if self.q_downsample is not None else x_input
        n, _, h, w = x_q.shape
        x_kv = self.kv_downsample(x_input) if self.kv_downsample is not None else x_input
        _, _, h_kv, w_kv = x_kv.shape
        d = self.qk_embed_dim

        if at[0] or at[1]:
            proj_query = self.query_conv(x_q).view((n, num_heads, d, h * w)).permute(0, 1, 3, 2)
        if at[0] or at[2]:
            proj_key = self.key_conv(x_kv).view((n, num_heads, d, h_kv * w_kv))
        if at[1] or at[3]:
            pos_x, pos_y = self.get_position_embedding(h, w, h_kv, w_kv, self.q_stride, self.kv_stride,
                                                       x_input.device, x_input.dtype,
                                                       self.position_embedding_dim)
            # (n, heads, w, w_kv, d) and (n, heads, h, h_kv, d)
            position_feat_x = self.appr_geom_fc_x(pos_x).view(1, w, w_kv, num_heads, d).permute(
                0, 3, 1, 2, 4).repeat(n, 1, 1, 1, 1)
            position_feat_y = self.appr_geom_fc_y(pos_y).view(1, h, h_kv, num_heads, d).permute(
                0, 3, 1, 2, 4).repeat(n, 1, 1, 1, 1)
            position_feat_x /= math.sqrt(2)
            position_feat_y /= math.sqrt(2)

        if np.sum(at) == 1 and at[2]:
            # key-content only: one energy row shared by every query position
            appr_bias = self.appr_bias.view(1, num_heads, 1, d).repeat(n, 1, 1, 1)
            energy = torch.matmul(appr_bias, proj_key).view(n, num_heads, 1, h_kv * w_kv)
            h = w = 1
        else:
            if not at[0]:
                energy = torch.zeros(n, num_heads, h, w, h_kv, w_kv, dtype=x_input.dtype,
                                     device=x_input.device)
            if at[0] or at[2]:
                if at[0] and at[2]:
                    appr_bias = self.appr_bias.view(1, num_heads, 1, d)
                    energy = torch.matmul(proj_query + appr_bias, proj_key).view(
                        n, num_heads, h, w, h_kv, w_kv)
                elif at[0]:
                    energy = torch.matmul(proj_query, proj_key).view(n, num_heads, h, w, h_kv, w_kv)
                else:
                    appr_bias = self.appr_bias.view(1, num_heads, 1, d).repeat(n, 1, 1, 1)
                    energy += torch.matmul(appr_bias, proj_key).view(n, num_heads, 1, 1, h_kv, w_kv)
            if at[1] or at[3]:
                if at[1]:
                    query = proj_query
                    if at[3]:
                        query = proj_query + self.geom_bias.view(1, num_heads, 1, d)
                    query = query.view(n, num_heads, h, w, d)
                    energy_x = torch.matmul(query.permute(0, 1, 3, 2, 4),
                                            position_feat_x.permute(0, 1, 2, 4, 3))
                    energy_x = energy_x.permute(0, 1, 3, 2, 4).unsqueeze(4)
                    if at[3]:
                        energy_y = torch.matmul(query, position_feat_y.permute(0, 1, 2, 4, 3))
                    else:
                        # as mmcv: the (w, h)-permuted query (square maps only), so outputs match
                        energy_y = torch.matmul(query.permute(0, 1, 3, 2, 4),
                                                position_feat_y.permute(0, 1, 2, 4, 3))
                    energy += energy_x + energy_y.unsqueeze(5)
                else:
                    geom_bias = self.geom_bias.view(1, num_heads, d, 1).repeat(n, 1, 1, 1)
                    feat_x = position_feat_x.view(n, num_heads, w * w_kv, d)
                    feat_y = position_feat_y.view(n, num_heads, h * h_kv, d)
                    energy_x = torch.matmul(feat_x, geom_bias).view(n, num_heads, 1, w, 1, w_kv)
                    energy_y = torch.matmul(feat_y, geom_bias).view(n, num_heads, h, 1, h_kv, 1)
                    energy += energy_x + energy_y
            energy = energy.view(n, num_heads, h * w, h_kv * w_kv)

        if self.spatial_range >= 0:
            local_map = self.local_constraint_map[:h, :w, :h_kv, :w_kv].contiguous().view(
                1, 1, h * w, h_kv * w_kv)
            energy = energy.masked_fill_(local_map, float('-inf'))

        attention = F.softmax(energy, 3)
        proj_value = self.value_conv(x_kv).view((n, num_heads, self.v_dim, h_kv * w_kv)).permute(
            0, 1, 3, 2)
        out = torch.matmul(attention, proj_value).permute(0, 1, 3, 2).contiguous().view(
            n, self.v_dim * self.num_heads, h, w)
        out = self.proj_conv(out)
        if self.q_downsample is not None:
            # the output was computed on the downsampled query grid: back to the input size
            out = F.interpolate(out, size=x_input.shape[2:], mode='bilinear', align_corners=False)
        return self.gamma * out + x_input

    def init_weights(self) -> None:
        """Kaiming-uniform (fan_in, leaky_relu a=1) for every layer flagged ``kaiming_init``."""
        for m in self.modules():
            if hasattr(m, 'kaiming_init') and m.kaiming_init:
                kaiming_init(m, mode='fan_in', nonlinearity='leaky_relu', bias=0,
                             distribution='uniform', a=1)

__all__ = ['GeneralizedAttention']
