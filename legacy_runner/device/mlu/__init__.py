"""``mmcv.device.mlu``: Cambricon MLU wrappers (need an MLU build of torch)."""
from typing import Any, Tuple

from ...parallel import Devices, MMDataParallel, MMDistributedDataParallel
from ...utils.device_type import IS_MLU_AVAILABLE
from ..scatter_gather import scatter_kwargs
from ..utils import require_device


class MLUDataParallel(MMDataParallel):
    """MMDataParallel on the first MLU card."""

    def __init__(self, *args: Any, dim: int = 0, **kwargs: Any) -> None:
        require_device('mlu', IS_MLU_AVAILABLE, 'MLUDataParallel')
        import torch
        super().__init__(*args, dim=dim, **kwargs)
        self.device_ids = [0]
        self.src_device_obj = torch.device('mlu:0')

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)


class MLUDistributedDataParallel(MMDistributedDataParallel):
    """MMDistributedDataParallel with MLU inputs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_device('mlu', IS_MLU_AVAILABLE, 'MLUDistributedDataParallel')
        super().__init__(*args, **kwargs)

    def to_kwargs(self, inputs: Any, kwargs: Any, device_id: int) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, [device_id], dim=self.dim)

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)


__all__ = ['MLUDataParallel', 'MLUDistributedDataParallel']
