"""``fuse_conv_bn``: fold eval-mode BatchNorm layers into the convs before them."""
from typing import Any

import torch
from torch import nn


def _fuse_conv_bn(conv: Any, bn: Any) -> Any:
    """Return ``conv`` with ``bn`` (eval statistics) folded in: ``w * g / sqrt(var + eps)`` and
    ``(b - mean) * g / sqrt(var + eps) + beta``."""
    conv_w = conv.weight
    conv_b = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
    factor = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    conv.weight = nn.Parameter(conv_w * factor.reshape([conv.out_channels, 1, 1, 1]))
    conv.bias = nn.Parameter((conv_b - bn.running_mean) * factor + bn.bias)
    return conv


def fuse_conv_bn(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm2d/SyncBatchNorm that directly follows a Conv2d among a module's
    children into that conv, recursively; the norm is replaced by ``nn.Identity`` (so module
    names stay). Only valid for inference."""
    last_conv = None
    last_conv_name = None
    for name, child in module.named_children():
        if isinstance(child, (nn.modules.batchnorm._BatchNorm, nn.SyncBatchNorm)):
            if last_conv is None:  # a norm not after a conv stays
                continue
            module._modules[last_conv_name] = _fuse_conv_bn(last_conv, child)  # type: ignore[index]
            module._modules[name] = nn.Identity()
            last_conv = None
        elif isinstance(child, nn.Conv2d):
            last_conv = child
            last_conv_name = name
        else:
            fuse_conv_bn(child)
    return module
