"""``mmcv.cnn`` subset used by training code: weight initialisation, ``initialize`` and the
ConvModule/build_*_layer bricks."""
from .bricks import *  # noqa: F401,F403
from .bricks import __all__ as _brick_names
from .weight_init import (
    INITIALIZERS,
    BaseInit,
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
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_,
    trunc_normal_init,
    uniform_init,
    update_init_info,
    xavier_init,
)

__all__ = [
    'INITIALIZERS', 'BaseInit', 'Caffe2XavierInit', 'ConstantInit', 'KaimingInit', 'NormalInit',
    'PretrainedInit', 'TruncNormalInit', 'UniformInit', 'XavierInit', 'bias_init_with_prob',
    'caffe2_xavier_init', 'constant_init', 'initialize', 'kaiming_init', 'normal_init', 'trunc_normal_',
    'trunc_normal_init', 'uniform_init', 'update_init_info', 'xavier_init', *_brick_names
]
