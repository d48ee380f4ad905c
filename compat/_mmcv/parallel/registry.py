"""``mmcv.parallel.registry`` (shim)."""
from legacy_runner.parallel import MODULE_WRAPPERS

__all__ = ['MODULE_WRAPPERS']
