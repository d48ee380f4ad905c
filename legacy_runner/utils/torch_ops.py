"""``mmcv.utils.torch_ops``: ``torch.meshgrid`` with mmcv's ('ij') indexing on every torch."""
from typing import Any, Tuple


def torch_meshgrid(*tensors: Any) -> Tuple[Any, ...]:
    import torch
    return torch.meshgrid(*tensors, indexing='ij')


__all__ = ['torch_meshgrid']
