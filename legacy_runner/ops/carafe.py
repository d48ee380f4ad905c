"""CARAFE content-aware upsampling (mmcv.ops.carafe) in PyTorch.

``out[n, c, H, W] = sum_k mask[n, g*k*k + k, H, W] * feat[n, c, H//s + dy_k, W//s + dx_k]`` with
``g`` the channel group of ``c`` and taps outside the feature map counting as zero. CARAFE and
CARAFENaive are two kernels for the same function, so both are this one implementation.
"""

import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from ..cnn.bricks.registry import UPSAMPLE_LAYERS
from ..cnn.weight_init import normal_init, xavier_init


def _check(features: Tensor, masks: Tensor, kernel_size: int, group_size: int, scale_factor: int) -> None:
    assert scale_factor >= 1
    assert masks.size(1) == kernel_size * kernel_size * group_size
    assert masks.size(-1) == features.size(-1) * scale_factor
    assert masks.size(-2) == features.size(-2) * scale_factor
    assert features.size(1) % group_size == 0
    assert (kernel_size - 1) % 2 == 0 and kernel_size >= 1


def carafe(features: Tensor, masks: Tensor, kernel_size: int, group_size: int,
           scale_factor: int) -> Tensor:
    """Reassemble ``features`` (N, C, h, w) into (N, C, h*s, w*s) with ``masks``
    (N, k*k*group_size, h*s, w*s)."""
    _check(features, masks, kernel_size, group_size, scale_factor)
    n, c, h, w = features.shape
    s, k, g = scale_factor, kernel_size, group_size
    r = (k - 1) // 2
    padded = F.pad(features, (r, r, r, r))
    m = masks.to(features.dtype).view(n, g, k * k, h, s, w, s)
    out = features.new_zeros(n, g, c // g, h, s, w, s)
    # one pass per kernel tap (k*k of them), each fully vectorised over the map
    for i in range(k):
        for j in range(k):
            tap = padded[:, :, i:i + h, j:j + w].reshape(n, g, c // g, h, 1, w, 1)
            out = out + tap * m[:, :, None, i * k + j]
    return out.view(n, c, h * s, w * s)


def carafe_naive(features: Tensor, masks: Tensor, kernel_size: int, group_size: int,
                 scale_factor: int) -> Tensor:
    """Same function as :func:`carafe` (mmcv's reference kernel)."""
    return carafe(features, masks, kernel_size, group_size, scale_factor)


class CARAFENaive(nn.Module):
    """Module form of :func:`carafe_naive`."""

    def __init__(self, kernel_size: int, group_size: int, scale_factor: int) -> None:
        super().__init__()
        assert isinstance(kernel_size, int) and isinstance(group_size, int) and \
            isinstance(scale_factor, int)
        self.kernel_size = kernel_size
        self.group_size = group_size
        self.scale_factor = scale_factor

    def forward(self, features: Tensor, masks: Tensor) -> Tensor:
        return carafe_naive(features, masks, self.kernel_size, self.group_size, self.scale_factor)


class CARAFE(CARAFENaive):
    """CARAFE: Content-Aware ReAssembly of FEatures (https://arxiv.org/abs/1905.02188)."""

    def forward(self, features: Tensor, masks: Tensor) -> Tensor:
        return carafe(features, masks, self.kernel_size, self.group_size, self.scale_factor)


@UPSAMPLE_LAYERS.register_module(name='carafe')
class CARAFEPack(nn.Module):
    """CARAFE upsampler with its channel compressor and content encoder.

    Args:
        channels (int): input channels.
        scale_factor (int): upsample ratio.
        up_kernel (int): reassembly kernel size.
        up_group (int): reassembly groups.
        encoder_kernel (int): content encoder kernel size.
        encoder_dilation (int): content encoder dilation.
        compressed_channels (int): channels after the compressor.
    """

    def __init__(self, channels: int, scale_factor: int, up_kernel: int = 5, up_group: int = 1,
                 encoder_kernel: int = 3, encoder_dilation: int = 1,
                 compressed_channels: int = 64) -> None:
        super().__init__()
        self.channels = channels
        self.scale_factor = scale_factor
        self.up_kernel = up_kernel
        self.up_group = up_group
        self.encoder_kernel = encoder_kernel
        self.encoder_dilation = encoder_dilation
        self.compressed_channels = compressed_channels
        self.channel_compressor = nn.Conv2d(channels, self.compressed_channels, 1)
        self.content_encoder = nn.Conv2d(
            self.compressed_channels,
            self.up_kernel * self.up_kernel * self.up_group * self.scale_factor * self.scale_factor,
            self.encoder_kernel, padding=int((self.encoder_kernel - 1) * self.encoder_dilation / 2),
            dilation=self.encoder_dilation, groups=1)
        self.init_weights()

    def init_weights(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                xavier_init(m, distribution='uniform')
        normal_init(self.content_encoder, std=0.001)

    def kernel_normalizer(self, mask: Tensor) -> Tensor:
        mask = F.pixel_shuffle(mask, self.scale_factor)
        n, mask_c, h, w = mask.size()
        mask_channel = int(mask_c / float(self.up_kernel**2))
        mask = mask.view(n, mask_channel, -1, h, w)
        mask = F.softmax(mask, dim=2, dtype=mask.dtype)
        return mask.view(n, mask_c, h, w).contiguous()

    def feature_reassemble(self, x: Tensor, mask: Tensor) -> Tensor:
        return carafe(x, mask, self.up_kernel, self.up_group, self.scale_factor)

    def forward(self, x: Tensor) -> Tensor:
        compressed_x = self.channel_compressor(x)
        mask = self.content_encoder(compressed_x)
        mask = self.kernel_normalizer(mask)
        return self.feature_reassemble(x, mask)


__all__ = ['CARAFE', 'CARAFENaive', 'CARAFEPack', 'carafe', 'carafe_naive']
