"""``mmcv.utils`` (shim): config, registry, logging, path/type helpers, progress, timer.

Torch-dependent names (``_BatchNorm``, ``SyncBatchNorm``, ``TORCH_VERSION``, ``worker_init_fn``
...) are resolved on first use, so ``import mmcv`` stays torch-free.
"""
import importlib
from typing import Any

from legacy_runner.config import Config, ConfigDict, DictAction  # noqa: F401
from legacy_runner.utils import *  # noqa: F401,F403
from legacy_runner.utils import __all__ as _utils_names
from legacy_runner.utils.misc import get_git_hash  # noqa: F401

from .registry import Registry, build_from_cfg  # noqa: F401

_LAZY = {
    '_BatchNorm': ('torch.nn.modules.batchnorm', '_BatchNorm'),
    '_InstanceNorm': ('torch.nn.modules.instancenorm', '_InstanceNorm'),
    'SyncBatchNorm': ('torch.nn', 'SyncBatchNorm'),
    '_ConvNd': ('torch.nn.modules.conv', '_ConvNd'),
    '_ConvTransposeMixin': ('torch.nn.modules.conv', '_ConvTransposeMixin'),
    '_AvgPoolNd': ('torch.nn.modules.pooling', '_AvgPoolNd'),
    '_MaxPoolNd': ('torch.nn.modules.pooling', '_MaxPoolNd'),
    '_AdaptiveAvgPoolNd': ('torch.nn.modules.pooling', '_AdaptiveAvgPoolNd'),
    '_AdaptiveMaxPoolNd': ('torch.nn.modules.pooling', '_AdaptiveMaxPoolNd'),
    'TORCH_VERSION': ('torch', '__version__'),
    'worker_init_fn': ('legacy_runner.seed', 'worker_init_fn'),
    'set_random_seed': ('legacy_runner.seed', 'set_random_seed'),
    'get_dist_info': ('legacy_runner.dist', 'get_dist_info'),
    'is_module_wrapper': ('legacy_runner.parallel', 'is_module_wrapper'),
}


def is_jit_tracing() -> bool:
    import torch
    return bool(torch.jit.is_tracing())


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mmcv.utils' has no attribute {name!r} (not provided by the "
                         'legacy_runner mmcv shim)')


__all__ = ['Config', 'ConfigDict', 'DictAction', 'Registry', 'build_from_cfg', 'get_git_hash',
           'is_jit_tracing', *_utils_names]  # not the lazy names: `import *` would import torch
