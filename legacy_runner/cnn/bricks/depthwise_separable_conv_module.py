"""``DepthwiseSeparableConvModule``: a depthwise ConvModule followed by a 1x1 ConvModule."""
from typing import Any, Dict, Optional, Tuple, Union

import torch
from torch import nn

from .conv_module import ConvModule

_Cfg = Union[Dict, str, None]


class DepthwiseSeparableConvModule(nn.Module):
    """Depthwise (groups=in_channels) ConvModule then pointwise ConvModule (MobileNet).

    ``dw_*_cfg`` / ``pw_*_cfg`` equal to ``'default'`` take ``norm_cfg`` / ``act_cfg``; other
    ``kwargs`` (not ``groups``) go to both ConvModules.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Union[int, Tuple[int, int]],
                 stride: Union[int, Tuple[int, int]] = 1, padding: Union[int, Tuple[int, int]] = 0,
                 dilation: Union[int, Tuple[int, int]] = 1, norm_cfg: Optional[Dict] = None,
                 act_cfg: Dict = dict(type='ReLU'),  # noqa: B006
                 dw_norm_cfg: _Cfg = 'default', dw_act_cfg: _Cfg = 'default',
                 pw_norm_cfg: _Cfg = 'default', pw_act_cfg: _Cfg = 'default', **kwargs: Any) -> None:
        super().__init__()
        assert 'groups' not in kwargs, 'groups should not be specified'
        dw_norm_cfg = dw_norm_cfg if dw_norm_cfg != 'default' else norm_cfg
        dw_act_cfg = dw_act_cfg if dw_act_cfg != 'default' else act_cfg
        pw_norm_cfg = pw_norm_cfg if pw_norm_cfg != 'default' else norm_cfg
        pw_act_cfg = pw_act_cfg if pw_act_cfg != 'default' else act_cfg
        self.depthwise_conv = ConvModule(in_channels, in_channels, kernel_size, stride=stride,
                                         padding=padding, dilation=dilation, groups=in_channels,
                                         norm_cfg=dw_norm_cfg, act_cfg=dw_act_cfg,  # type: ignore[arg-type]
                                         **kwargs)
        self.pointwise_conv = ConvModule(in_channels, out_channels, 1, norm_cfg=pw_norm_cfg,  # type: ignore
                                         act_cfg=pw_act_cfg, **kwargs)  # type: ignore[arg-type]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pointwise_conv(self.depthwise_conv(x))

__all__ = ['DepthwiseSeparableConvModule']
