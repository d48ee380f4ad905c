"""``mmcv.device``: ``get_device()`` and device-agnostic scatter; the MLU/NPU/MPS/IPU wrappers live
in the subpackages and raise one clear error when that hardware is missing."""
from . import ipu, mlu, mps, npu
from .scatter_gather import scatter, scatter_kwargs
from .utils import get_device

__all__ = ['get_device', 'ipu', 'mlu', 'mps', 'npu', 'scatter', 'scatter_kwargs']
