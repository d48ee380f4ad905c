"""Which accelerators this process can use (``mmcv.utils.device_type``).

Importing this module imports torch (as mmcv's does), so ``mmcv.utils`` resolves these names only
when they are asked for. IPU and NPU need their vendor packages (poptorch, torch_npu), MLU a torch
build with ``torch.is_mlu_available``; without them the answer is False.
"""


def is_ipu_available() -> bool:
    try:
        import poptorch  # type: ignore[import-not-found]  # vendor package (Graphcore IPU)
    except ImportError:
        return False
    return bool(poptorch.ipuHardwareIsAvailable())


def is_mlu_available() -> bool:
    try:
        import torch
        return bool(hasattr(torch, 'is_mlu_available') and torch.is_mlu_available())
    except Exception:  # a broken vendor build must not break the import of mmcv.utils
        return False


def is_mps_available() -> bool:
    try:
        import torch
        return bool(torch.backends.mps.is_available())
    except Exception:
        return False


def is_npu_available() -> bool:
    try:
        import torch
        import torch_npu  # type: ignore[import-not-found]  # noqa: F401  (vendor package; registers torch.npu)
        return bool(hasattr(torch, 'npu') and torch.npu.is_available())
    except Exception:
        return False


IS_IPU_AVAILABLE = is_ipu_available()
IS_MLU_AVAILABLE = is_mlu_available()
IS_MPS_AVAILABLE = is_mps_available()
IS_NPU_AVAILABLE = is_npu_available()

__all__ = ['IS_IPU_AVAILABLE', 'IS_MLU_AVAILABLE', 'IS_MPS_AVAILABLE', 'IS_NPU_AVAILABLE', 'is_ipu_available',
           'is_mlu_available', 'is_mps_available', 'is_npu_available']
