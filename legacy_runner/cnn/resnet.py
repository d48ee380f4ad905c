"""``ResNet`` backbone of mmcv.cnn with its blocks (``BasicBlock``, ``Bottleneck``)."""
import logging
from typing import Optional, Sequence, Tuple, Union

import torch.utils.checkpoint as cp
from torch import Tensor, nn

from .weight_init import constant_init, kaiming_init


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, dilation: int = 1) -> nn.Module:
    """A bias-free 3x3 conv whose padding equals its dilation (size kept at stride 1)."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     dilation=dilation, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convs with batch norm and a residual connection (ResNet-18/34)."""

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False) -> None:
        super().__init__()
        assert style in ['pytorch', 'caffe']
        self.conv1 = conv3x3(inplanes, planes, stride, dilation)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride
        self.dilation = dilation
        assert not with_cp

    def forward(self, x: Tensor) -> Tensor:
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return self.relu(out)


class Bottleneck(nn.Module):
    """1x1 -> 3x3 -> 1x1 (x4 channels) bottleneck. ``style='pytorch'`` strides in the 3x3
    conv, 'caffe' in the first 1x1 conv."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1, dilation: int = 1,
                 downsample: Optional[nn.Module] = None, style: str = 'pytorch',
                 with_cp: bool = False) -> None:
        super().__init__()
        assert style in ['pytorch', 'caffe']
        conv1_stride, conv2_stride = (1, stride) if style == 'pytorch' else (stride, 1)
        # creation order (conv1, conv2, bn1, bn2, conv3, bn3) is mmcv's: it fixes the state order
        self.conv1 = nn.Conv2d(inplanes, planes, kernel_size=1, stride=conv1_stride, bias=False)
        self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=conv2_stride, padding=dilation,
                               dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, kernel_size=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride
        self.dilation = dilation
        self.with_cp = with_cp

    def forward(self, x: Tensor) -> Tensor:

        def _inner_forward(x: Tensor) -> Tensor:
            residual = x
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.relu(self.bn2(self.conv2(out)))
            out = self.bn3(self.conv3(out))
            if self.downsample is not None:
                residual = self.downsample(x)
            out += residual
            return out

        if self.with_cp and x.requires_grad:
            out = cp.checkpoint(_inner_forward, x, use_reentrant=True)
        else:
            out = _inner_forward(x)
        return self.relu(out)


def make_res_layer(block: nn.Module, inplanes: int, planes: int, blocks: int, stride: int = 1,
                   dilation: int = 1, style: str = 'pytorch', with_cp: bool = False) -> nn.Module:
    """``blocks`` blocks in an ``nn.Sequential``; the first gets a conv+BN downsample when the
    stride or the channel count changes."""
    downsample = None
    if stride != 1 or inplanes != planes * block.expansion:
        downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * block.expansion, kernel_size=1, stride=stride, bias=False),
            nn.BatchNorm2d(planes * block.expansion),
        )
    layers = [block(inplanes, planes, stride, dilation, downsample, style=style, with_cp=with_cp)]
    inplanes = planes * block.expansion
    for _ in range(1, blocks):
        layers.append(block(inplanes, planes, 1, dilation, style=style, with_cp=with_cp))
    return nn.Sequential(*layers)


def hold_batchnorm(module: nn.Module, frozen: bool) -> None:
    """Put every BatchNorm2d of ``module`` in eval mode (``bn_eval`` of the mmcv backbones), and
    stop the gradients of its parameters too when ``frozen`` (``bn_frozen``)."""
    for m in module.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.eval()
            if frozen:
                for param in m.parameters():
                    param.requires_grad = False


class ResNet(nn.Module):
    """ResNet backbone (mmcv.cnn's, not mmdet's).

    Args:
        depth: 18, 34, 50, 101 or 152.
        num_stages: 1..4. strides / dilations: per stage. out_indices: stages to return.
        style: 'pytorch' or 'caffe' (where Bottleneck strides).
        frozen_stages: stages (and the stem) frozen in train mode; -1 freezes nothing.
        bn_eval: keep BN layers in eval mode. bn_frozen: also stop their gradients.
        with_cp: gradient checkpointing in Bottleneck blocks.
    """

    arch_settings = {
        18: (BasicBlock, (2, 2, 2, 2)),
        34: (BasicBlock, (3, 4, 6, 3)),
        50: (Bottleneck, (3, 4, 6, 3)),
        101: (Bottleneck, (3, 4, 23, 3)),
        152: (Bottleneck, (3, 8, 36, 3))
    }

    def __init__(self, depth: int, num_stages: int = 4, strides: Sequence[int] = (1, 2, 2, 2),
                 dilations: Sequence[int] = (1, 1, 1, 1), out_indices: Sequence[int] = (0, 1, 2, 3),
                 style: str = 'pytorch', frozen_stages: int = -1, bn_eval: bool = True,
                 bn_frozen: bool = False, with_cp: bool = False) -> None:
        super().__init__()
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for resnet')
        assert num_stages >= 1 and num_stages <= 4
        block, stage_blocks = self.arch_settings[depth]
        stage_blocks = stage_blocks[:num_stages]  # type: ignore[assignment]
        assert len(strides) == len(dilations) == num_stages
        assert max(out_indices) < num_stages
        self.out_indices = out_indices
        self.style = style
        self.frozen_stages = frozen_stages
        self.bn_eval = bn_eval
        self.bn_frozen = bn_frozen
        self.with_cp = with_cp

        self.inplanes: int = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.res_layers = []
        for i, num_blocks in enumerate(stage_blocks):
            planes = 64 * 2**i
            res_layer = make_res_layer(block, self.inplanes, planes, num_blocks, stride=strides[i],
                                       dilation=dilations[i], style=self.style, with_cp=with_cp)
            self.inplanes = planes * block.expansion  # type: ignore[attr-defined]
            layer_name = f'layer{i + 1}'
            self.add_module(layer_name, res_layer)
            self.res_layers.append(layer_name)
        self.feat_dim = block.expansion * 64 * 2**(len(stage_blocks) - 1)  # type: ignore[attr-defined]

    def init_weights(self, pretrained: Optional[str] = None) -> None:
        """Load ``pretrained`` (non-strict), or Kaiming convs and BN weight 1 / bias 0."""
        if isinstance(pretrained, str):
            from ..checkpoint import load_checkpoint
            load_checkpoint(self, pretrained, strict=False, logger=logging.getLogger())
        elif pretrained is None:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    kaiming_init(m)
                elif isinstance(m, nn.BatchNorm2d):
                    constant_init(m, 1)
        else:
            raise TypeError('pretrained must be a str or None')

    def forward(self, x: Tensor) -> Union[Tensor, Tuple[Tensor]]:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        outs = []
        for i, layer_name in enumerate(self.res_layers):
            x = getattr(self, layer_name)(x)
            if i in self.out_indices:
                outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> None:  # type: ignore[override]
        """Train mode, keeping BN in eval (``bn_eval``) and the frozen stages frozen."""
        super().train(mode)
        if self.bn_eval:
            hold_batchnorm(self, self.bn_frozen)
        if mode and self.frozen_stages >= 0:
            for param in self.conv1.parameters():
                param.requires_grad = False
            for param in self.bn1.parameters():
                param.requires_grad = False
            self.bn1.eval()
            self.bn1.weight.requires_grad = False
            self.bn1.bias.requires_grad = False
            for i in range(1, self.frozen_stages + 1):
                mod = getattr(self, f'layer{i}')
                mod.eval()
                for param in mod.parameters():
                    param.requires_grad = False

__all__ = ['BasicBlock', 'Bottleneck', 'ResNet', 'conv3x3', 'make_res_layer']
