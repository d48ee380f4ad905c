"""Conv/ConvTranspose/MaxPool/Linear subclasses that accept empty (zero-element) batches.

mmcv added these for torch versions whose layers failed on empty input; every torch this
package supports handles empty input natively, so the empty path below only runs on a torch
that ``obsolete_torch_version`` flags. The classes still matter: they are what the 'Conv',
'Conv3d', 'deconv' and 'deconv3d' layer types build, as in mmcv.
"""
import math
from typing import Any, List, Tuple, Union

import torch
from torch import nn
from torch.nn.modules.utils import _pair, _triple

from .registry import CONV_LAYERS, UPSAMPLE_LAYERS

if torch.__version__ == 'parrots':
    TORCH_VERSION: Union[str, Tuple[int, ...]] = torch.__version__
else:
    # major.minor only ('1.3.1+cu92' -> (1, 3))
    TORCH_VERSION = tuple(int(x) for x in torch.__version__.split('.')[:2])


def obsolete_torch_version(torch_version: Any, version_threshold: Tuple[int, int]) -> bool:
    """Whether ``torch_version`` (a (major, minor) tuple, or 'parrots') is at most the threshold."""
    return torch_version == 'parrots' or torch_version <= version_threshold


class NewEmptyTensorOp(torch.autograd.Function):
    """An empty tensor of a new shape whose gradient is an empty tensor of the input's shape."""

    @staticmethod
    def forward(ctx: Any, x: torch.Tensor, new_shape: tuple) -> torch.Tensor:
        ctx.shape = x.shape
        return x.new_empty(new_shape)

    @staticmethod
    def backward(ctx: Any, grad: torch.Tensor) -> tuple:
        return NewEmptyTensorOp.apply(grad, ctx.shape), None


def _empty_output(layer: nn.Module, x: torch.Tensor, out_shape: List[int]) -> torch.Tensor:
    empty = NewEmptyTensorOp.apply(x, out_shape)
    if layer.training:
        # a zero that depends on every parameter, so DDP sees them all used
        dummy = sum(p.view(-1)[0] for p in layer.parameters()) * 0.0
        return empty + dummy
    return empty


def _conv_shape(x: torch.Tensor, layer: Any, ndim: int) -> List[int]:
    shape = [x.shape[0], layer.out_channels]
    for i, k, p, s, d in zip(x.shape[-ndim:], layer.kernel_size, layer.padding, layer.stride,
                             layer.dilation):
        shape.append((i + 2 * p - (d * (k - 1) + 1)) // s + 1)
    return shape


def _deconv_shape(x: torch.Tensor, layer: Any, ndim: int) -> List[int]:
    shape = [x.shape[0], layer.out_channels]
    for i, k, p, s, d, op in zip(x.shape[-ndim:], layer.kernel_size, layer.padding, layer.stride,
                                 layer.dilation, layer.output_padding):
        shape.append((i - 1) * s - 2 * p + (d * (k - 1) + 1) + op)
    return shape


def _pool_shape(x: torch.Tensor, layer: Any, to_tuple: Any, ndim: int) -> List[int]:
    shape = list(x.shape[:2])
    for i, k, p, s, d in zip(x.shape[-ndim:], to_tuple(layer.kernel_size), to_tuple(layer.padding),
                             to_tuple(layer.stride), to_tuple(layer.dilation)):
        o = (i + 2 * p - (d * (k - 1) + 1)) / s + 1
        shape.append(math.ceil(o) if layer.ceil_mode else math.floor(o))
    return shape


@CONV_LAYERS.register_module('Conv', force=True)
class Conv2d(nn.Conv2d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 4)):
            return _empty_output(self, x, _conv_shape(x, self, 2))
        return super().forward(x)


@CONV_LAYERS.register_module('Conv3d', force=True)
class Conv3d(nn.Conv3d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 4)):
            return _empty_output(self, x, _conv_shape(x, self, 3))
        return super().forward(x)


@CONV_LAYERS.register_module()
@CONV_LAYERS.register_module('deconv')
@UPSAMPLE_LAYERS.register_module('deconv', force=True)
class ConvTranspose2d(nn.ConvTranspose2d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 4)):
            return _empty_output(self, x, _deconv_shape(x, self, 2))
        return super().forward(x)


@CONV_LAYERS.register_module()
@CONV_LAYERS.register_module('deconv3d')
@UPSAMPLE_LAYERS.register_module('deconv3d', force=True)
class ConvTranspose3d(nn.ConvTranspose3d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 4)):
            return _empty_output(self, x, _deconv_shape(x, self, 3))
        return super().forward(x)


class MaxPool2d(nn.MaxPool2d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 9)):
            return NewEmptyTensorOp.apply(x, _pool_shape(x, self, _pair, 2))
        return super().forward(x)


class MaxPool3d(nn.MaxPool3d):

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 9)):
            return NewEmptyTensorOp.apply(x, _pool_shape(x, self, _triple, 3))
        return super().forward(x)


class Linear(torch.nn.Linear):

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.numel() == 0 and obsolete_torch_version(TORCH_VERSION, (1, 5)):
            return _empty_output(self, x, [x.shape[0], self.out_features])
        return super().forward(x)

__all__ = ['Conv2d', 'Conv3d', 'ConvTranspose2d', 'ConvTranspose3d', 'Linear', 'MaxPool2d',
           'MaxPool3d', 'NewEmptyTensorOp', 'obsolete_torch_version']
