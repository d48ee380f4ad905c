"""``mmcv.device._functions``: move tensors to the current device (or keep them on the CPU)."""
from typing import List, Sequence, Union

import torch

from ..utils.helpers import deprecated_api_warning  # noqa: F401  (mmcv's module exposes it)
from .utils import get_device


def scatter(input: Union[List, torch.Tensor], devices: Sequence) -> Union[List, torch.Tensor]:
    """Copy a tensor (or each tensor of a list) to ``get_device()``; ``devices == [-1]`` keeps the CPU."""
    if isinstance(input, list):
        return [scatter(item, devices) for item in input]
    if isinstance(input, torch.Tensor):
        output = input.contiguous()
        return output if devices == [-1] else output.to(get_device())
    raise Exception(f'Unknown type {type(input)}.')


class Scatter:
    """``Scatter.forward(target_devices, input)`` -> a tuple with one entry per device."""

    @staticmethod
    def forward(target_devices: Sequence, input: Union[List, torch.Tensor]) -> tuple:
        outputs = scatter(input, target_devices)
        return tuple(outputs) if isinstance(outputs, list) else (outputs, )


__all__ = ['Scatter', 'scatter']
