"""The ``mmcv.cnn`` bricks old model code imports most (pure PyTorch)."""
from .activation import Clamp, HSigmoid, HSwish, Swish, build_activation_layer
from .conv import build_conv_layer
from .conv_module import ConvModule
from .norm import build_norm_layer, infer_abbr
from .padding import build_padding_layer
from .registry import (
                       ACTIVATION_LAYERS,
                       CONV_LAYERS,
                       NORM_LAYERS,
                       PADDING_LAYERS,
                       PLUGIN_LAYERS,
                       UPSAMPLE_LAYERS,
)
from .upsample import PixelShufflePack, build_upsample_layer
from .wrappers import (
                       Conv2d,
                       Conv3d,
                       ConvTranspose2d,
                       ConvTranspose3d,
                       Linear,
                       MaxPool2d,
                       MaxPool3d,
                       Scale,
)

__all__ = [
    'ACTIVATION_LAYERS', 'CONV_LAYERS', 'NORM_LAYERS', 'PADDING_LAYERS', 'PLUGIN_LAYERS',
    'UPSAMPLE_LAYERS', 'Clamp', 'Conv2d', 'Conv3d', 'ConvModule', 'ConvTranspose2d', 'ConvTranspose3d',
    'HSigmoid', 'HSwish', 'Linear', 'MaxPool2d', 'MaxPool3d', 'PixelShufflePack', 'Scale', 'Swish',
    'build_activation_layer', 'build_conv_layer', 'build_norm_layer', 'build_padding_layer',
    'build_upsample_layer', 'infer_abbr'
]
