"""``mmcv.device.scatter_gather``: scatter for one accelerator of any kind (not only CUDA)."""
from typing import Any, Tuple

import torch

from ..parallel import DataContainer, Devices
from ..utils.helpers import deprecated_api_warning  # noqa: F401  (mmcv's module exposes it)
from ._functions import Scatter
from .utils import get_device


def scatter(inputs: Any, target_devices: Devices, dim: int = 0) -> Any:
    """Like ``mmcv.parallel.scatter``, but tensors go to ``get_device()`` ([-1] = stay on CPU)."""
    current_device = get_device()

    def scatter_map(obj: Any) -> Any:
        if isinstance(obj, torch.Tensor):
            if target_devices != [-1]:
                return [obj.to(current_device)]
            return Scatter.forward(target_devices, obj)
        if isinstance(obj, DataContainer):
            return obj.data if obj.cpu_only else Scatter.forward(target_devices, obj.data)
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(x) for x in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(x) for x in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in target_devices]

    return scatter_map(inputs)


def scatter_kwargs(inputs: Any, kwargs: Any, target_devices: Devices, dim: int = 0) -> Tuple[tuple, tuple]:
    """Scatter positional and keyword inputs; pad the shorter list so they pair up per device."""
    inputs = scatter(inputs, target_devices, dim) if inputs else []
    kwargs = scatter(kwargs, target_devices, dim) if kwargs else []
    if len(inputs) < len(kwargs):
        inputs.extend([() for _ in range(len(kwargs) - len(inputs))])
    elif len(kwargs) < len(inputs):
        kwargs.extend([{} for _ in range(len(inputs) - len(kwargs))])
    return tuple(inputs), tuple(kwargs)


__all__ = ['DataContainer', 'Scatter', 'get_device', 'scatter', 'scatter_kwargs']
