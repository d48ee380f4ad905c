"""``mmcv.runner.fp16_utils`` (shim)."""
from legacy_runner.fp16_utils import LossScaler, auto_fp16, cast_tensor_type, force_fp32, wrap_fp16_model

__all__ = ['LossScaler', 'auto_fp16', 'cast_tensor_type', 'force_fp32', 'wrap_fp16_model']
