"""``mmcv.cnn.bricks``: layer builders, registries and building blocks (pure PyTorch)."""
from .activation import Clamp, build_activation_layer  # noqa: F401  (Clamp: not in mmcv's list)
from .context_block import ContextBlock
from .conv import build_conv_layer
from .conv2d_adaptive_padding import Conv2dAdaptivePadding
from .conv_module import ConvModule
from .conv_ws import ConvAWS2d, ConvWS2d, conv_ws_2d
from .depthwise_separable_conv_module import DepthwiseSeparableConvModule
from .drop import Dropout, DropPath
from .generalized_attention import GeneralizedAttention
from .hsigmoid import HSigmoid
from .hswish import HSwish
from .non_local import NonLocal1d, NonLocal2d, NonLocal3d
from .norm import build_norm_layer, infer_abbr, is_norm  # noqa: F401
from .padding import build_padding_layer
from .plugin import build_plugin_layer
from .registry import (
    ACTIVATION_LAYERS,
    CONV_LAYERS,
    NORM_LAYERS,
    PADDING_LAYERS,
    PLUGIN_LAYERS,
    UPSAMPLE_LAYERS,
)
from .scale import Scale
from .swish import Swish
from .transformer import FFN  # noqa: F401  registers the transformer bricks
from .upsample import PixelShufflePack, build_upsample_layer  # noqa: F401
from .wrappers import (
    Conv2d,
    Conv3d,
    ConvTranspose2d,
    ConvTranspose3d,
    Linear,
    MaxPool2d,
    MaxPool3d,
)

# Exactly mmcv 1.7.2's list; Clamp, PixelShufflePack and infer_abbr stay importable from here.
__all__ = [
    'ConvModule', 'build_activation_layer', 'build_conv_layer', 'build_norm_layer',
    'build_padding_layer', 'build_upsample_layer', 'build_plugin_layer', 'is_norm', 'HSigmoid',
    'HSwish', 'NonLocal1d', 'NonLocal2d', 'NonLocal3d', 'ContextBlock', 'GeneralizedAttention',
    'ACTIVATION_LAYERS', 'CONV_LAYERS', 'NORM_LAYERS', 'PADDING_LAYERS', 'UPSAMPLE_LAYERS',
    'PLUGIN_LAYERS', 'Scale', 'ConvAWS2d', 'ConvWS2d', 'conv_ws_2d', 'DepthwiseSeparableConvModule',
    'Swish', 'Linear', 'Conv2dAdaptivePadding', 'Conv2d', 'ConvTranspose2d', 'MaxPool2d',
    'ConvTranspose3d', 'MaxPool3d', 'Conv3d', 'Dropout', 'DropPath'
]
