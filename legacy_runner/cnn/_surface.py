"""Every name of ``mmcv.cnn``, loaded together on the first one used (see ``__init__``)."""
from .alexnet import AlexNet
from .bricks import (
    ACTIVATION_LAYERS,
    CONV_LAYERS,
    NORM_LAYERS,
    PADDING_LAYERS,
    PLUGIN_LAYERS,
    UPSAMPLE_LAYERS,
    Clamp,  # noqa: F401  (importable here, not in mmcv's list)
    ContextBlock,
    Conv2d,
    Conv3d,
    ConvAWS2d,
    ConvModule,
    ConvTranspose2d,
    ConvTranspose3d,
    ConvWS2d,
    DepthwiseSeparableConvModule,
    GeneralizedAttention,
    HSigmoid,
    HSwish,
    Linear,
    MaxPool2d,
    MaxPool3d,
    NonLocal1d,
    NonLocal2d,
    NonLocal3d,
    PixelShufflePack,  # noqa: F401
    Scale,
    Swish,
    build_activation_layer,
    build_conv_layer,
    build_norm_layer,
    build_padding_layer,
    build_plugin_layer,
    build_upsample_layer,
    conv_ws_2d,
    infer_abbr,  # noqa: F401
    is_norm,
)
from .builder import MODELS, build_model_from_cfg
from .resnet import ResNet, make_res_layer
from .rfsearch import Conv2dRFSearchOp, RFSearchHook
from .utils import (
    INITIALIZERS,
    Caffe2XavierInit,
    ConstantInit,
    KaimingInit,
    NormalInit,
    PretrainedInit,
    TruncNormalInit,
    UniformInit,
    XavierInit,
    bias_init_with_prob,
    caffe2_xavier_init,
    constant_init,
    fuse_conv_bn,
    get_model_complexity_info,
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from .vgg import VGG, make_vgg_layer
from .weight_init import BaseInit, trunc_normal_, update_init_info  # noqa: F401

# Exactly mmcv 1.7.2's list (names imported above but not listed stay importable from here).
__all__ = [
    'AlexNet', 'VGG', 'make_vgg_layer', 'ResNet', 'make_res_layer', 'constant_init', 'xavier_init',
    'normal_init', 'trunc_normal_init', 'uniform_init', 'kaiming_init', 'caffe2_xavier_init',
    'bias_init_with_prob', 'ConvModule', 'build_activation_layer', 'build_conv_layer',
    'build_norm_layer', 'build_padding_layer', 'build_upsample_layer', 'build_plugin_layer',
    'is_norm', 'NonLocal1d', 'NonLocal2d', 'NonLocal3d', 'ContextBlock', 'HSigmoid', 'Swish',
    'HSwish', 'GeneralizedAttention', 'ACTIVATION_LAYERS', 'CONV_LAYERS', 'NORM_LAYERS',
    'PADDING_LAYERS', 'UPSAMPLE_LAYERS', 'PLUGIN_LAYERS', 'Scale', 'get_model_complexity_info',
    'conv_ws_2d', 'ConvAWS2d', 'ConvWS2d', 'fuse_conv_bn', 'DepthwiseSeparableConvModule',
    'Linear', 'Conv2d', 'ConvTranspose2d', 'MaxPool2d', 'ConvTranspose3d', 'MaxPool3d', 'Conv3d',
    'initialize', 'INITIALIZERS', 'ConstantInit', 'XavierInit', 'NormalInit', 'TruncNormalInit',
    'UniformInit', 'KaimingInit', 'PretrainedInit', 'Caffe2XavierInit', 'MODELS',
    'build_model_from_cfg', 'Conv2dRFSearchOp', 'RFSearchHook'
]
