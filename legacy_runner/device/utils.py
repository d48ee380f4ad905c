"""``mmcv.device.utils``: which device ``get_device()`` picks (npu, cuda, mlu, mps, else cpu)."""
from ..utils.device_type import IS_MLU_AVAILABLE, IS_MPS_AVAILABLE, IS_NPU_AVAILABLE
from ..utils.parrots_wrapper import IS_CUDA_AVAILABLE


def get_device() -> str:
    """The first available of 'npu', 'cuda', 'mlu', 'mps' (mmcv's order), else 'cpu'."""
    available = {'npu': IS_NPU_AVAILABLE, 'cuda': IS_CUDA_AVAILABLE, 'mlu': IS_MLU_AVAILABLE,
                 'mps': IS_MPS_AVAILABLE}
    found = [name for name, ok in available.items() if ok]
    return found[0] if found else 'cpu'


def require_device(kind: str, available: bool, what: str) -> None:
    """The one error a device-specific wrapper raises when its hardware is missing."""
    if not available:
        raise RuntimeError(f'{what} needs {kind.upper()} hardware, and none is available in this process '
                           f"(get_device() is {get_device()!r}): use MMDataParallel / "
                           'MMDistributedDataParallel instead')


__all__ = ['IS_CUDA_AVAILABLE', 'IS_MLU_AVAILABLE', 'IS_MPS_AVAILABLE', 'IS_NPU_AVAILABLE', 'get_device']
