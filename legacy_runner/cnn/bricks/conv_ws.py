"""Weight-standardised convolutions: ``ConvWS2d`` and the adaptive ``ConvAWS2d``."""
from typing import Dict, List, Optional, OrderedDict, Tuple, Union

import torch
from torch import nn
from torch.nn import functional as F

from .registry import CONV_LAYERS

IntOrPair = Union[int, Tuple[int, int]]


def conv_ws_2d(input: torch.Tensor, weight: torch.Tensor, bias: Optional[torch.Tensor] = None,
               stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
               groups: int = 1, eps: float = 1e-5) -> torch.Tensor:
    """``F.conv2d`` with each output filter standardised to zero mean and unit (unbiased) std
    (``(w - mean) / (std + eps)``)."""
    c_out = weight.size(0)
    flat = weight.view(c_out, -1)
    mean = flat.mean(dim=1, keepdim=True).view(c_out, 1, 1, 1)
    std = flat.std(dim=1, keepdim=True).view(c_out, 1, 1, 1)
    weight = (weight - mean) / (std + eps)
    return F.conv2d(input, weight, bias, stride, padding, dilation, groups)


@CONV_LAYERS.register_module('ConvWS')
class ConvWS2d(nn.Conv2d):
    """``nn.Conv2d`` whose weight is standardised per output channel at every forward."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 groups: int = 1, bias: bool = True, eps: float = 1e-5) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return conv_ws_2d(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                          self.groups, self.eps)


@CONV_LAYERS.register_module(name='ConvAWS')
class ConvAWS2d(nn.Conv2d):
    """Adaptive weight standardisation (DetectoRS): the standardised weight is mapped through the
    buffers ``weight_gamma * w + weight_beta``.

    Loading a checkpoint without ``weight_gamma``/``weight_beta`` (a plain conv's) sets them to
    the loaded weight's std/mean, so the layer starts out computing the plain conv.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 groups: int = 1, bias: bool = True) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, padding=padding,
                         dilation=dilation, groups=groups, bias=bias)
        self.register_buffer('weight_gamma', torch.ones(self.out_channels, 1, 1, 1))
        self.register_buffer('weight_beta', torch.zeros(self.out_channels, 1, 1, 1))

    @staticmethod
    def _mean_std(weight: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        flat = weight.view(weight.size(0), -1)
        mean = flat.mean(dim=1).view(-1, 1, 1, 1)
        std = torch.sqrt(flat.var(dim=1) + 1e-5).view(-1, 1, 1, 1)
        return mean, std

    def _get_weight(self, weight: torch.Tensor) -> torch.Tensor:
        mean, std = self._mean_std(weight)
        return self.weight_gamma * ((weight - mean) / std) + self.weight_beta

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, self._get_weight(self.weight), self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    def _load_from_state_dict(self, state_dict: OrderedDict, prefix: str, local_metadata: Dict,
                              strict: bool, missing_keys: List[str], unexpected_keys: List[str],
                              error_msgs: List[str]) -> None:
        # A negative gamma marks "not loaded": a checkpoint with gamma overwrites it (gamma > 0).
        self.weight_gamma.data.fill_(-1)
        local_missing: List[str] = []
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, local_missing,
                                      unexpected_keys, error_msgs)
        if self.weight_gamma.data.mean() > 0:
            missing_keys.extend(local_missing)
            return
        mean, std = self._mean_std(self.weight.data)
        self.weight_beta.data.copy_(mean)
        self.weight_gamma.data.copy_(std)
        missing_keys.extend(k for k in local_missing
                            if not (k.endswith('weight_gamma') or k.endswith('weight_beta')))

__all__ = ['ConvAWS2d', 'ConvWS2d', 'conv_ws_2d']
