"""``mmcv.device.mps``: Apple MPS wrapper (needs a Mac with MPS)."""
from typing import Any, Tuple

from ...parallel import Devices, MMDataParallel
from ...utils.device_type import IS_MPS_AVAILABLE
from ..scatter_gather import scatter_kwargs
from ..utils import require_device


class MPSDataParallel(MMDataParallel):
    """MMDataParallel on the MPS device."""

    def __init__(self, *args: Any, dim: int = 0, **kwargs: Any) -> None:
        require_device('mps', IS_MPS_AVAILABLE, 'MPSDataParallel')
        import torch
        super().__init__(*args, dim=dim, **kwargs)
        self.device_ids = [0]
        self.src_device_obj = torch.device('mps:0')

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)


__all__ = ['MPSDataParallel']
