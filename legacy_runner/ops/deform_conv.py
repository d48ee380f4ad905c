"""Deformable convolution v1 (mmcv.ops.deform_conv) in PyTorch.

Each output position samples the input at its kernel taps moved by the learned offsets (bilinear,
zero outside the image, the convention of mmcv's im2col kernel); the sampled columns are then
multiplied with the weight as a grouped matmul. Autograd gives the input, offset and weight
gradients of mmcv's backward kernels.
"""
from typing import Any, Optional, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.utils import _pair, _single

from ..cnn.bricks.registry import CONV_LAYERS
from ..utils.helpers import deprecated_api_warning
from ..utils.logging import print_log
from ._bilinear import sample


def _output_size(input: Tensor, weight: Tensor, stride: Tuple[int, int], padding: Tuple[int, int],
                 dilation: Tuple[int, int]) -> Tuple[int, int, int, int]:
    size = [input.size(0), weight.size(0)]
    for d in range(2):
        kernel = dilation[d] * (weight.size(d + 2) - 1) + 1
        size.append((input.size(d + 2) + 2 * padding[d] - kernel) // stride[d] + 1)
    if not all(s > 0 for s in size):
        raise ValueError('convolution input is too small (output would be '
                         + 'x'.join(map(str, size)) + ')')
    return tuple(size)  # type: ignore[return-value]


def deform_columns(input: Tensor, offset: Tensor, mask: Optional[Tensor], kernel: Tuple[int, int],
                   stride: Tuple[int, int], padding: Tuple[int, int], dilation: Tuple[int, int],
                   deform_groups: int, out_hw: Tuple[int, int]) -> Tensor:
    """Sampled columns ``(B, C, kh*kw, Ho*Wo)`` of a deformable convolution.

    ``offset`` is ``(B, dg*2*kh*kw, Ho, Wo)`` laid out as (y, x) pairs per tap per deform group;
    ``mask`` (modulated version) is ``(B, dg*kh*kw, Ho, Wo)``.
    """
    batch, channels, height, width = input.shape
    kh, kw = kernel
    ho, wo = out_hw
    taps = kh * kw
    dg = deform_groups
    cd = channels // dg
    dev, dt = input.device, offset.dtype
    ty = torch.arange(kh, device=dev, dtype=dt).repeat_interleave(kw) * dilation[0]
    tx = torch.arange(kw, device=dev, dtype=dt).repeat(kh) * dilation[1]
    oy = torch.arange(ho, device=dev, dtype=dt) * stride[0] - padding[0]
    ox = torch.arange(wo, device=dev, dtype=dt) * stride[1] - padding[1]
    off = offset.view(batch, dg, taps, 2, ho, wo)
    y = ty[:, None, None] + oy[None, :, None] + off[:, :, :, 0]  # (B, dg, K, Ho, Wo)
    x = tx[:, None, None] + ox[None, None, :] + off[:, :, :, 1]
    img = torch.arange(batch * dg, device=dev).view(batch, dg, 1, 1, 1).expand_as(y)
    rows = input.view(batch, dg, cd, height, width).permute(0, 1, 3, 4, 2).reshape(-1, cd)
    vals = sample(rows, img.reshape(-1), y.reshape(-1), x.reshape(-1), height, width, 'zeros')
    vals = vals.view(batch, dg, taps, ho * wo, cd)
    if mask is not None:
        vals = vals * mask.reshape(batch, dg, taps, ho * wo, 1).to(vals.dtype)
    return vals.permute(0, 1, 4, 2, 3).reshape(batch, channels, taps, ho * wo)


def deform_conv_forward(input: Tensor, offset: Tensor, mask: Optional[Tensor], weight: Tensor,
                        bias: Optional[Tensor], stride: Any, padding: Any, dilation: Any,
                        groups: int, deform_groups: int, im2col_step: int) -> Tensor:
    """Shared body of :func:`deform_conv2d` and ``modulated_deform_conv2d``."""
    if input is not None and input.dim() != 4:
        raise ValueError(f'Expected 4D tensor as input, got {input.dim()}D tensor instead.')
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    # amp: offset comes out of an autocast conv in half while input/weight stay float (mmcv casts
    # the same way, following the offset's dtype)
    input = input.type_as(offset)
    weight = weight.type_as(input)
    out_size = _output_size(input, weight, stride, padding, dilation)
    batch = input.size(0)
    step = min(im2col_step, batch)
    assert batch % step == 0, 'batch size must be divisible by im2col_step'
    out_ch, cin_g, kh, kw = weight.shape
    ho, wo = out_size[2], out_size[3]
    w = weight.reshape(groups, out_ch // groups, cin_g * kh * kw)
    outs = []
    # im2col_step images at a time bounds the memory of the sampled columns, as in mmcv
    for s in range(0, batch, step):
        cols = deform_columns(input[s:s + step], offset[s:s + step],
                              None if mask is None else mask[s:s + step], (kh, kw), stride, padding,
                              dilation, deform_groups, (ho, wo))
        cols = cols.reshape(cols.shape[0], groups, cin_g * kh * kw, ho * wo)
        outs.append(torch.einsum('gok,bgkl->bgol', w, cols).reshape(-1, out_ch, ho, wo))
    out = outs[0] if len(outs) == 1 else torch.cat(outs)
    if bias is not None:
        out = out + bias.to(out.dtype).view(1, -1, 1, 1)
    return out


def deform_conv2d(input: Tensor, offset: Tensor, weight: Tensor,
                  stride: Union[int, Tuple[int, ...]] = 1, padding: Union[int, Tuple[int, ...]] = 0,
                  dilation: Union[int, Tuple[int, ...]] = 1, groups: int = 1, deform_groups: int = 1,
                  bias: bool = False, im2col_step: int = 32) -> Tensor:
    """Deformable convolution (DCNv1). ``offset``: ``(B, deform_groups*2*kh*kw, Ho, Wo)`` as
    ``[y0, x0, y1, x1, ...]`` per tap; ``bias`` must be False (as in mmcv)."""
    assert bias is False, 'Only support bias is False.'
    return deform_conv_forward(input, offset, None, weight, None, stride, padding, dilation, groups,
                               deform_groups, im2col_step)


class DeformConvGeometry(nn.Module):
    """What DCN and DCNv2 layers share: mmcv's attribute names for their geometry, plus the ones
    nn.Conv2d has, for code that inspects conv layers."""

    kernel_size: Tuple[int, int]
    stride: Tuple[int, int]
    padding: Tuple[int, int]
    dilation: Tuple[int, int]

    def _set_geometry(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any,
                      padding: Any, dilation: Any, groups: int, deform_groups: int) -> None:
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.deform_groups = deform_groups
        self.transposed = False
        self.output_padding = _single(0)


class DeformConv2d(DeformConvGeometry):
    r"""Deformable 2D convolution (no bias); ``forward(x, offset)``.

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups: as nn.Conv2d.
        deform_groups (int): channel groups sharing one offset field.
        bias (bool): must be False.
        im2col_step (int): images sampled per step; the batch must be divisible by it (or smaller).
    """

    @deprecated_api_warning({'deformable_groups': 'deform_groups'}, cls_name='DeformConv2d')
    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, ...]],
                 stride: Union[int, Tuple[int, ...]] = 1, padding: Union[int, Tuple[int, ...]] = 0,
                 dilation: Union[int, Tuple[int, ...]] = 1, groups: int = 1, deform_groups: int = 1,
                 bias: bool = False, im2col_step: int = 32) -> None:
        super().__init__()
        assert not bias, f'bias={bias} is not supported in DeformConv2d.'
        assert in_channels % groups == 0, \
            f'in_channels {in_channels} cannot be divisible by groups {groups}'
        assert out_channels % groups == 0, \
            f'out_channels {out_channels} cannot be divisible by groups {groups}'
        self._set_geometry(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                           deform_groups)
        self.im2col_step = im2col_step
        self.weight = nn.Parameter(torch.Tensor(out_channels, in_channels // self.groups,
                                                *self.kernel_size))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, nonlinearity='relu')

    def forward(self, x: Tensor, offset: Tensor) -> Tensor:
        # inputs smaller than the kernel are zero padded on the bottom/right, then cropped back
        input_pad = (x.size(2) < self.kernel_size[0]) or (x.size(3) < self.kernel_size[1])
        if input_pad:
            pad_h = max(self.kernel_size[0] - x.size(2), 0)
            pad_w = max(self.kernel_size[1] - x.size(3), 0)
            x = F.pad(x, (0, pad_w, 0, pad_h), 'constant', 0).contiguous()
            offset = F.pad(offset, (0, pad_w, 0, pad_h), 'constant', 0).contiguous()
        out = deform_conv2d(x, offset, self.weight, self.stride, self.padding, self.dilation,
                            self.groups, self.deform_groups, False, self.im2col_step)
        if input_pad:
            out = out[:, :, :out.size(2) - pad_h, :out.size(3) - pad_w].contiguous()
        return out

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'(in_channels={self.in_channels},\n'
        s += f'out_channels={self.out_channels},\n'
        s += f'kernel_size={self.kernel_size},\n'
        s += f'stride={self.stride},\n'
        s += f'padding={self.padding},\n'
        s += f'dilation={self.dilation},\n'
        s += f'groups={self.groups},\n'
        s += f'deform_groups={self.deform_groups},\n'
        s += 'bias=False)'
        return s


def rename_legacy_offset_keys(state_dict: dict, prefix: str, local_metadata: dict,
                              cls_name: str) -> None:
    """Checkpoints before version 2 stored the offset conv as ``<name>_offset``."""
    version = local_metadata.get('version', None)
    if version is None or version < 2:
        for kind in ('weight', 'bias'):
            new_key, old_key = prefix + 'conv_offset.' + kind, prefix[:-1] + '_offset.' + kind
            if new_key not in state_dict and old_key in state_dict:
                state_dict[new_key] = state_dict.pop(old_key)
    if version is not None and version > 1:
        print_log(f'{cls_name} {prefix.rstrip(".")} is upgraded to version 2.', logger='root')


@CONV_LAYERS.register_module('DCN')
class DeformConv2dPack(DeformConv2d):
    """DeformConv2d that predicts its own offsets with a zero-initialised ``conv_offset``
    (so it starts as a plain convolution); used like nn.Conv2d, registered as 'DCN'."""

    _version = 2

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conv_offset = nn.Conv2d(
            self.in_channels, self.deform_groups * 2 * self.kernel_size[0] * self.kernel_size[1],
            kernel_size=self.kernel_size, stride=_pair(self.stride), padding=_pair(self.padding),
            dilation=_pair(self.dilation), bias=True)
        self.init_offset()

    def init_offset(self) -> None:
        self.conv_offset.weight.data.zero_()
        self.conv_offset.bias.data.zero_()

    def forward(self, x: Tensor) -> Tensor:  # type: ignore[override]
        offset = self.conv_offset(x)
        return deform_conv2d(x, offset, self.weight, self.stride, self.padding, self.dilation,
                             self.groups, self.deform_groups, False, self.im2col_step)

    def _load_from_state_dict(self, state_dict: dict, prefix: str, local_metadata: dict, strict: bool,
                              missing_keys: list, unexpected_keys: list, error_msgs: list) -> None:
        rename_legacy_offset_keys(state_dict, prefix, local_metadata, 'DeformConv2dPack')
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


__all__ = ['DeformConv2d', 'DeformConv2dPack', 'deform_conv2d']
