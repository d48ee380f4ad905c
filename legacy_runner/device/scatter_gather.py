"""``mmcv.device.scatter_gather``: scatter for one accelerator of any kind (not only CUDA)."""
from typing import Any, Tuple

import torch

from ..parallel import DataContainer, Devices, pair_scattered, scatter_nested
from ..utils.helpers import deprecated_api_warning  # noqa: F401  (mmcv's module exposes it)
from ._functions import Scatter
from .utils import get_device


def scatter(inputs: Any, target_devices: Devices, dim: int = 0) -> Any:
    """Like ``mmcv.parallel.scatter``, but tensors go to ``get_device()`` ([-1] = stay on CPU)."""
    current_device = get_device()

    def tensor_fn(obj: torch.Tensor) -> Any:
        if target_devices != [-1]:
            return [obj.to(current_device)]
        return Scatter.forward(target_devices, obj)

    return scatter_nested(inputs, target_devices, tensor_fn,
                          lambda data: Scatter.forward(target_devices, data))


def scatter_kwargs(inputs: Any, kwargs: Any, target_devices: Devices, dim: int = 0) -> Tuple[tuple, tuple]:
    """Scatter positional and keyword inputs; pad the shorter list so they pair up per device."""
    return pair_scattered(scatter(inputs, target_devices, dim) if inputs else [],
                          scatter(kwargs, target_devices, dim) if kwargs else [])


__all__ = ['DataContainer', 'Scatter', 'get_device', 'scatter', 'scatter_kwargs']
