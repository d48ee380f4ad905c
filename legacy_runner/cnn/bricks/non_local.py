"""Non-local blocks (arXiv:1711.07971) for 1d, 2d and 3d inputs."""
from abc import ABCMeta
from typing import Any, Dict, Optional

import torch
from torch import nn

from ..weight_init import constant_init, normal_init
from .conv_module import ConvModule
from .registry import PLUGIN_LAYERS

_MODES = ('gaussian', 'embedded_gaussian', 'dot_product', 'concatenation')


class _NonLocalNd(nn.Module, metaclass=ABCMeta):
    """Shared non-local block: ``x + conv_out(pairwise(theta(x), phi(x)) @ g(x))``.

    Args:
        in_channels: channels of the input.
        reduction: ``inter_channels = in_channels // reduction``.
        use_scale: divide the embedded-gaussian logits by ``sqrt(inter_channels)``.
        conv_cfg: conv config of g/theta/phi/conv_out.
        norm_cfg: norm config of conv_out only.
        mode: 'gaussian', 'embedded_gaussian', 'dot_product' or 'concatenation'.
        kwargs: ``std`` / ``zeros_init`` for :meth:`init_weights`.
    """

    def __init__(self, in_channels: int, reduction: int = 2, use_scale: bool = True,
                 conv_cfg: Optional[Dict] = None, norm_cfg: Optional[Dict] = None,
                 mode: str = 'embedded_gaussian', **kwargs: Any) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.reduction = reduction
        self.use_scale = use_scale
        self.inter_channels = in_channels // reduction
        self.mode = mode
        if mode not in _MODES:
            raise ValueError("Mode should be in 'gaussian', 'concatenation', "
                             f"'embedded_gaussian' or 'dot_product', but got {mode} instead.")
        # construction order (g, conv_out, theta, phi) fixes the parameter order and the RNG draws
        self.g = ConvModule(self.in_channels, self.inter_channels, kernel_size=1, conv_cfg=conv_cfg,
                            act_cfg=None)
        self.conv_out = ConvModule(self.inter_channels, self.in_channels, kernel_size=1,
                                   conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=None)
        if self.mode != 'gaussian':
            self.theta = ConvModule(self.in_channels, self.inter_channels, kernel_size=1,
                                    conv_cfg=conv_cfg, act_cfg=None)
            self.phi = ConvModule(self.in_channels, self.inter_channels, kernel_size=1,
                                  conv_cfg=conv_cfg, act_cfg=None)
        if self.mode == 'concatenation':
            self.concat_project = ConvModule(self.inter_channels * 2, 1, kernel_size=1, stride=1,
                                             padding=0, bias=False, act_cfg=dict(type='ReLU'))
        self.init_weights(**kwargs)

    def init_weights(self, std: float = 0.01, zeros_init: bool = True) -> None:
        """N(0, std) for g/theta/phi; conv_out (or its norm) zero (or N(0, std))."""
        if self.mode != 'gaussian':
            for m in [self.g, self.theta, self.phi]:
                normal_init(m.conv, std=std)
        else:
            normal_init(self.g.conv, std=std)
        target = self.conv_out.conv if self.conv_out.norm_cfg is None else self.conv_out.norm
        if zeros_init:
            constant_init(target, 0)
        else:
            normal_init(target, std=std)

    def gaussian(self, theta_x: torch.Tensor, phi_x: torch.Tensor) -> torch.Tensor:
        return torch.matmul(theta_x, phi_x).softmax(dim=-1)

    def embedded_gaussian(self, theta_x: torch.Tensor, phi_x: torch.Tensor) -> torch.Tensor:
        pairwise_weight = torch.matmul(theta_x, phi_x)
        if self.use_scale:
            pairwise_weight /= theta_x.shape[-1]**0.5
        return pairwise_weight.softmax(dim=-1)

    def dot_product(self, theta_x: torch.Tensor, phi_x: torch.Tensor) -> torch.Tensor:
        pairwise_weight = torch.matmul(theta_x, phi_x)
        pairwise_weight /= pairwise_weight.shape[-1]
        return pairwise_weight

    def concatenation(self, theta_x: torch.Tensor, phi_x: torch.Tensor) -> torch.Tensor:
        h, w = theta_x.size(2), phi_x.size(3)
        features = torch.cat([theta_x.repeat(1, 1, 1, w), phi_x.repeat(1, 1, h, 1)], dim=1)
        pairwise_weight = self.concat_project(features)
        n, _, h, w = pairwise_weight.size()
        pairwise_weight = pairwise_weight.view(n, h, w)
        pairwise_weight /= pairwise_weight.shape[-1]
        return pairwise_weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.size(0)
        g_x = self.g(x).view(n, self.inter_channels, -1).permute(0, 2, 1)          # N, P, C'
        if self.mode == 'gaussian':
            theta_x = x.view(n, self.in_channels, -1).permute(0, 2, 1)
            phi_x = (self.phi(x) if self.sub_sample else x).view(n, self.in_channels, -1)
        elif self.mode == 'concatenation':
            theta_x = self.theta(x).view(n, self.inter_channels, -1, 1)
            phi_x = self.phi(x).view(n, self.inter_channels, 1, -1)
        else:
            theta_x = self.theta(x).view(n, self.inter_channels, -1).permute(0, 2, 1)
            phi_x = self.phi(x).view(n, self.inter_channels, -1)
        pairwise_weight = getattr(self, self.mode)(theta_x, phi_x)
        y = torch.matmul(pairwise_weight, g_x)
        y = y.permute(0, 2, 1).contiguous().reshape(n, self.inter_channels, *x.size()[2:])
        return x + self.conv_out(y)

    def _add_sub_sample(self, pool: nn.Module) -> None:
        # max-pool the key/value branches after their convs (spatial dims only)
        self.g = nn.Sequential(self.g, pool)
        if self.mode != 'gaussian':
            self.phi = nn.Sequential(self.phi, pool)
        else:
            self.phi = pool


class NonLocal1d(_NonLocalNd):
    """1D non-local block; ``sub_sample`` max-pools g/phi by 2."""

    def __init__(self, in_channels: int, sub_sample: bool = False,
                 conv_cfg: Dict = dict(type='Conv1d'), **kwargs: Any) -> None:  # noqa: B006
        super().__init__(in_channels, conv_cfg=conv_cfg, **kwargs)
        self.sub_sample = sub_sample
        if sub_sample:
            self._add_sub_sample(nn.MaxPool1d(kernel_size=2))


@PLUGIN_LAYERS.register_module()
class NonLocal2d(_NonLocalNd):
    """2D non-local block; ``sub_sample`` max-pools g/phi by 2x2."""

    _abbr_ = 'nonlocal_block'

    def __init__(self, in_channels: int, sub_sample: bool = False,
                 conv_cfg: Dict = dict(type='Conv2d'), **kwargs: Any) -> None:  # noqa: B006
        super().__init__(in_channels, conv_cfg=conv_cfg, **kwargs)
        self.sub_sample = sub_sample
        if sub_sample:
            self._add_sub_sample(nn.MaxPool2d(kernel_size=(2, 2)))


class NonLocal3d(_NonLocalNd):
    """3D non-local block; ``sub_sample`` max-pools g/phi by (1, 2, 2)."""

    def __init__(self, in_channels: int, sub_sample: bool = False,
                 conv_cfg: Dict = dict(type='Conv3d'), **kwargs: Any) -> None:  # noqa: B006
        super().__init__(in_channels, conv_cfg=conv_cfg, **kwargs)
        self.sub_sample = sub_sample
        if sub_sample:
            self._add_sub_sample(nn.MaxPool3d(kernel_size=(1, 2, 2)))

__all__ = ['NonLocal1d', 'NonLocal2d', 'NonLocal3d']
