"""``mmcv.device.npu``: Huawei Ascend NPU wrappers (need torch_npu)."""
import sys
from typing import Any, Tuple

from ...parallel import Devices, MMDataParallel, MMDistributedDataParallel
from ...utils.device_type import IS_NPU_AVAILABLE
from ..scatter_gather import scatter_kwargs
from ..utils import require_device


def _check_balance(*args: Any, **kwargs: Any) -> None:
    return None


# As mmcv does on import: NPUs have no multi_processor_count, so DataParallel's GPU balance check
# (a warning only) is switched off in the loaded torch modules (mmcv's own modules define none).
# `m` stays, as in mmcv.
for m in list(sys.modules):
    if m.startswith('torch') and getattr(sys.modules[m], '_check_balance', None) is not None:
        sys.modules[m]._check_balance = _check_balance  # type: ignore[attr-defined]


class NPUDataParallel(MMDataParallel):
    """MMDataParallel on one NPU card (``device_ids[0]``, default 0)."""

    def __init__(self, *args: Any, dim: int = 0, **kwargs: Any) -> None:
        require_device('npu', IS_NPU_AVAILABLE, 'NPUDataParallel')
        import torch
        super().__init__(*args, dim=dim, **kwargs)
        device_id = kwargs.get('device_ids', [0])[0]
        self.device_ids = [device_id]
        self.src_device_obj = torch.device(f'npu:{device_id}')
        torch.npu.set_device(self.src_device_obj)

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)


class NPUDistributedDataParallel(MMDistributedDataParallel):
    """MMDistributedDataParallel with NPU inputs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        require_device('npu', IS_NPU_AVAILABLE, 'NPUDistributedDataParallel')
        super().__init__(*args, **kwargs)

    def to_kwargs(self, inputs: Any, kwargs: Any, device_id: int) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, [device_id], dim=self.dim)

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)


__all__ = ['NPUDataParallel', 'NPUDistributedDataParallel']
