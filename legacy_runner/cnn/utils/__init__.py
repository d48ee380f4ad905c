"""``mmcv.cnn.utils``: weight initialisation, FLOPs counting, conv+BN fusion, SyncBN revert."""
from ..weight_init import (
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
    initialize,
    kaiming_init,
    normal_init,
    trunc_normal_init,
    uniform_init,
    xavier_init,
)
from .flops_counter import get_model_complexity_info
from .fuse_conv_bn import fuse_conv_bn
from .sync_bn import revert_sync_batchnorm

__all__ = [
    'get_model_complexity_info', 'bias_init_with_prob', 'caffe2_xavier_init', 'constant_init',
    'kaiming_init', 'normal_init', 'trunc_normal_init', 'uniform_init', 'xavier_init',
    'fuse_conv_bn', 'initialize', 'INITIALIZERS', 'ConstantInit', 'XavierInit', 'NormalInit',
    'TruncNormalInit', 'UniformInit', 'KaimingInit', 'PretrainedInit', 'Caffe2XavierInit',
    'revert_sync_batchnorm'
]
