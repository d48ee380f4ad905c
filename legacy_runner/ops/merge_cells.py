"""Merge cells of NAS-FPN / NAS-FCOS (mmcv.ops.merge_cells): two inputs resized to one size,
merged by a binary op, optionally followed by a conv."""
import math
from abc import abstractmethod
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..cnn.bricks.conv_module import ConvModule


class BaseMergeCell(nn.Module):
    """Base of the merge cells.

    Args:
        fused_channels (int): input channels of ``out_conv``.
        out_channels (int): output channels of ``out_conv``.
        with_out_conv (bool): apply ``out_conv`` after merging.
        out_conv_cfg (dict): ``groups``, ``kernel_size``, ``padding``, ``bias`` of ``out_conv``.
        out_norm_cfg (dict): norm of ``out_conv``.
        out_conv_order (tuple): layer order of ``out_conv``.
        with_input1_conv / with_input2_conv (bool): 3x3 ConvModule on each input first.
        input_conv_cfg / input_norm_cfg (dict): conv and norm of those input convs.
        upsample_mode (str): 'nearest' or 'bilinear' when an input is enlarged.
    """

    def __init__(self, fused_channels: int = 256, out_channels: int = 256, with_out_conv: bool = True,
                 out_conv_cfg: dict = dict(groups=1, kernel_size=3, padding=1, bias=True),  # noqa: B006
                 out_norm_cfg: Optional[dict] = None, out_conv_order: tuple = ('act', 'conv', 'norm'),
                 with_input1_conv: bool = False, with_input2_conv: bool = False,
                 input_conv_cfg: Optional[dict] = None, input_norm_cfg: Optional[dict] = None,
                 upsample_mode: str = 'nearest') -> None:
        super().__init__()
        assert upsample_mode in ['nearest', 'bilinear']
        self.with_out_conv = with_out_conv
        self.with_input1_conv = with_input1_conv
        self.with_input2_conv = with_input2_conv
        self.upsample_mode = upsample_mode
        if self.with_out_conv:
            self.out_conv = ConvModule(fused_channels, out_channels, **out_conv_cfg,
                                       norm_cfg=out_norm_cfg, order=out_conv_order)
        self.input1_conv = self._build_input_conv(out_channels, input_conv_cfg, input_norm_cfg) \
            if with_input1_conv else nn.Sequential()
        self.input2_conv = self._build_input_conv(out_channels, input_conv_cfg, input_norm_cfg) \
            if with_input2_conv else nn.Sequential()

    def _build_input_conv(self, channel: int, conv_cfg: Optional[dict],
                          norm_cfg: Optional[dict]) -> nn.Module:
        return ConvModule(channel, channel, 3, padding=1, conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                          bias=True)

    @abstractmethod
    def _binary_op(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        pass

    def _resize(self, x: torch.Tensor, size: tuple) -> torch.Tensor:
        if x.shape[-2:] == size:
            return x
        if x.shape[-2:] < size:
            return F.interpolate(x, size=size, mode=self.upsample_mode)
        # shrink by max pooling; zero-pad first (centred) when the size does not divide
        if x.shape[-2] % size[-2] != 0 or x.shape[-1] % size[-1] != 0:
            h, w = x.shape[-2:]
            target_h, target_w = size
            pad_h = math.ceil(h / target_h) * target_h - h
            pad_w = math.ceil(w / target_w) * target_w - w
            pad_l, pad_t = pad_w // 2, pad_h // 2
            x = F.pad(x, (pad_l, pad_w - pad_l, pad_t, pad_h - pad_t), mode='constant', value=0.0)
        kernel_size = (x.shape[-2] // size[-2], x.shape[-1] // size[-1])
        return F.max_pool2d(x, kernel_size=kernel_size, stride=kernel_size)

    def forward(self, x1: torch.Tensor, x2: torch.Tensor, out_size: Optional[tuple] = None) -> torch.Tensor:
        assert x1.shape[:2] == x2.shape[:2]
        assert out_size is None or len(out_size) == 2
        if out_size is None:  # the larger of the two
            out_size = max(x1.size()[2:], x2.size()[2:])
        x1 = self.input1_conv(x1)
        x2 = self.input2_conv(x2)
        x1 = self._resize(x1, out_size)
        x2 = self._resize(x2, out_size)
        x = self._binary_op(x1, x2)
        if self.with_out_conv:
            x = self.out_conv(x)
        return x


class SumCell(BaseMergeCell):
    """``x1 + x2``."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__(in_channels, out_channels, **kwargs)

    def _binary_op(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return x1 + x2


class ConcatCell(BaseMergeCell):
    """Channel concatenation (``out_conv`` sees ``2 * in_channels``)."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__(in_channels * 2, out_channels, **kwargs)

    def _binary_op(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        return torch.cat([x1, x2], dim=1)


class GlobalPoolingCell(BaseMergeCell):
    """``x2 + sigmoid(global_avg_pool(x2)) * x1``."""

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        super().__init__(in_channels, out_channels, **kwargs)
        self.global_pool = nn.AdaptiveAvgPool2d((1, 1))

    def _binary_op(self, x1: torch.Tensor, x2: torch.Tensor) -> torch.Tensor:
        x2_att = self.global_pool(x2).sigmoid()
        return x2 + x2_att * x1


__all__ = ['BaseMergeCell', 'ConcatCell', 'GlobalPoolingCell', 'SumCell']
