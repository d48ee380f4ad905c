"""``VGG`` backbone of mmcv.cnn (all layers in one ``features`` Sequential)."""
import logging
from typing import List, Optional, Sequence, Tuple, Union

from torch import Tensor, nn

from .resnet import hold_batchnorm
from .weight_init import constant_init, kaiming_init, normal_init


def conv3x3(in_planes: int, out_planes: int, dilation: int = 1) -> nn.Module:
    """A 3x3 conv (with bias) whose padding equals its dilation."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, padding=dilation, dilation=dilation)


def make_vgg_layer(inplanes: int, planes: int, num_blocks: int, dilation: int = 1,
                   with_bn: bool = False, ceil_mode: bool = False) -> List[nn.Module]:
    """``num_blocks`` x (conv3x3, [BN], ReLU) then a 2x2 max pool, as a list of layers."""
    layers: List[nn.Module] = []
    for _ in range(num_blocks):
        layers.append(conv3x3(inplanes, planes, dilation))
        if with_bn:
            layers.append(nn.BatchNorm2d(planes))
        layers.append(nn.ReLU(inplace=True))
        inplanes = planes
    layers.append(nn.MaxPool2d(kernel_size=2, stride=2, ceil_mode=ceil_mode))
    return layers


class VGG(nn.Module):
    """VGG backbone.

    Args:
        depth: 11, 13, 16 or 19.
        with_bn: batch norm after every conv.
        num_classes: > 0 adds the 3-layer classifier (for 224x224 inputs).
        num_stages: 1..5. dilations: per stage. out_indices: stages to return.
        frozen_stages: stages frozen in train mode (-1: none).
        bn_eval, bn_frozen: keep BN in eval mode / without gradients.
        ceil_mode: of the max pools. with_last_pool: keep the last stage's pool.
    """

    arch_settings = {
        11: (1, 1, 2, 2, 2),
        13: (2, 2, 2, 2, 2),
        16: (2, 2, 3, 3, 3),
        19: (2, 2, 4, 4, 4)
    }

    def __init__(self, depth: int, with_bn: bool = False, num_classes: int = -1, num_stages: int = 5,
                 dilations: Sequence[int] = (1, 1, 1, 1, 1), out_indices: Sequence[int] = (0, 1, 2, 3, 4),
                 frozen_stages: int = -1, bn_eval: bool = True, bn_frozen: bool = False,
                 ceil_mode: bool = False, with_last_pool: bool = True) -> None:
        super().__init__()
        if depth not in self.arch_settings:
            raise KeyError(f'invalid depth {depth} for vgg')
        assert num_stages >= 1 and num_stages <= 5
        stage_blocks = self.arch_settings[depth]
        self.stage_blocks = stage_blocks[:num_stages]
        assert len(dilations) == num_stages
        assert max(out_indices) <= num_stages
        self.num_classes = num_classes
        self.out_indices = out_indices
        self.frozen_stages = frozen_stages
        self.bn_eval = bn_eval
        self.bn_frozen = bn_frozen

        self.inplanes = 3
        start_idx = 0
        vgg_layers: List[nn.Module] = []
        # [start, end) indices into ``features`` of each stage
        self.range_sub_modules: List[List[int]] = []
        for i, num_blocks in enumerate(self.stage_blocks):
            end_idx = start_idx + num_blocks * (2 + with_bn) + 1
            planes = 64 * 2**i if i < 4 else 512
            vgg_layers.extend(make_vgg_layer(self.inplanes, planes, num_blocks, dilation=dilations[i],
                                             with_bn=with_bn, ceil_mode=ceil_mode))
            self.inplanes = planes
            self.range_sub_modules.append([start_idx, end_idx])
            start_idx = end_idx
        if not with_last_pool:
            vgg_layers.pop(-1)
            self.range_sub_modules[-1][1] -= 1
        self.module_name = 'features'
        self.add_module(self.module_name, nn.Sequential(*vgg_layers))
        if self.num_classes > 0:
            self.classifier = nn.Sequential(
                nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(),
                nn.Linear(4096, num_classes),
            )

    def init_weights(self, pretrained: Optional[str] = None) -> None:
        """Load ``pretrained`` (non-strict), or Kaiming convs, BN 1/0 and N(0, 0.01) linears."""
        if isinstance(pretrained, str):
            from ..checkpoint import load_checkpoint
            load_checkpoint(self, pretrained, strict=False, logger=logging.getLogger())
        elif pretrained is None:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    kaiming_init(m)
                elif isinstance(m, nn.BatchNorm2d):
                    constant_init(m, 1)
                elif isinstance(m, nn.Linear):
                    normal_init(m, std=0.01)
        else:
            raise TypeError('pretrained must be a str or None')

    def forward(self, x: Tensor) -> Union[Tensor, Tuple[Tensor, ...]]:
        outs = []
        vgg_layers = getattr(self, self.module_name)
        for i in range(len(self.stage_blocks)):
            for j in range(*self.range_sub_modules[i]):
                x = vgg_layers[j](x)
            if i in self.out_indices:
                outs.append(x)
        if self.num_classes > 0:
            x = self.classifier(x.view(x.size(0), -1))
            outs.append(x)
        return outs[0] if len(outs) == 1 else tuple(outs)

    def train(self, mode: bool = True) -> None:  # type: ignore[override]
        """Train mode, keeping BN in eval (``bn_eval``) and the frozen stages frozen."""
        super().train(mode)
        if self.bn_eval:
            hold_batchnorm(self, self.bn_frozen)
        vgg_layers = getattr(self, self.module_name)
        if mode and self.frozen_stages >= 0:
            for i in range(self.frozen_stages):
                for j in range(*self.range_sub_modules[i]):
                    mod = vgg_layers[j]
                    mod.eval()
                    for param in mod.parameters():
                        param.requires_grad = False

__all__ = ['VGG', 'conv3x3', 'make_vgg_layer']
