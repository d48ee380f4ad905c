"""``mmcv.utils.parrots_wrapper``: the torch classes and build helpers mmcv picked per backend.

mmcv chose between PyTorch and parrots here; legacy_runner runs on PyTorch only, so these are the
PyTorch objects (``SyncBatchNorm`` is mmcv's thin subclass, so isinstance checks written against
mmcv's class keep working).
"""
from functools import partial
from typing import Any, Optional, Tuple

import torch
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.conv import _ConvNd, _ConvTransposeMixin
from torch.nn.modules.instancenorm import _InstanceNorm
from torch.nn.modules.pooling import _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd
from torch.utils.data import DataLoader

TORCH_VERSION = torch.__version__
PoolDataLoader = DataLoader
SyncBatchNorm_ = torch.nn.SyncBatchNorm


def is_cuda_available() -> bool:
    return torch.cuda.is_available()


IS_CUDA_AVAILABLE = is_cuda_available()


def is_rocm_pytorch() -> bool:
    """True on a ROCm (HIP) build of PyTorch."""
    from torch.utils.cpp_extension import ROCM_HOME
    return bool(torch.version.hip is not None and ROCM_HOME is not None)


def _get_cuda_home() -> Optional[str]:
    """ROCM_HOME on ROCm builds, CUDA_HOME otherwise (None when not found)."""
    from torch.utils import cpp_extension
    return cpp_extension.ROCM_HOME if is_rocm_pytorch() else cpp_extension.CUDA_HOME


def get_build_config() -> str:
    """PyTorch's build configuration text."""
    return torch.__config__.show()


def _get_extension() -> Tuple[Any, Any, Any]:
    from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension
    return BuildExtension, CppExtension, CUDAExtension


def _get_conv() -> Tuple[Any, Any]:
    return _ConvNd, _ConvTransposeMixin


def _get_dataloader() -> Tuple[Any, Any]:
    return DataLoader, PoolDataLoader


def _get_norm() -> Tuple[Any, Any, Any]:
    return _BatchNorm, _InstanceNorm, SyncBatchNorm_


def _get_pool() -> Tuple[Any, Any, Any, Any]:
    return _AdaptiveAvgPoolNd, _AdaptiveMaxPoolNd, _AvgPoolNd, _MaxPoolNd


class SyncBatchNorm(SyncBatchNorm_):
    """``torch.nn.SyncBatchNorm`` under mmcv's name (mmcv only changed it for parrots)."""

    def _check_input_dim(self, input: torch.Tensor) -> None:
        super()._check_input_dim(input)


def __getattr__(name: str) -> Any:
    # the cpp_extension import is slow and needs a compiler setup only to build extensions
    if name in ('BuildExtension', 'CppExtension', 'CUDAExtension'):
        value = dict(zip(('BuildExtension', 'CppExtension', 'CUDAExtension'), _get_extension()))[name]
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ['BuildExtension', 'CUDAExtension', 'CppExtension',  # noqa: F822  (resolved on first use)
           'DataLoader', 'IS_CUDA_AVAILABLE',
           'PoolDataLoader', 'SyncBatchNorm', 'SyncBatchNorm_', 'TORCH_VERSION', '_AdaptiveAvgPoolNd',
           '_AdaptiveMaxPoolNd', '_AvgPoolNd', '_BatchNorm', '_ConvNd', '_ConvTransposeMixin',
           '_InstanceNorm', '_MaxPoolNd', '_get_cuda_home', 'get_build_config', 'is_cuda_available',
           'is_rocm_pytorch', 'partial']
