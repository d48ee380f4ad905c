"""``mmcv.parallel.utils`` (shim)."""
from legacy_runner.parallel import is_module_wrapper

__all__ = ['is_module_wrapper']
