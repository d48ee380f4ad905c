"""``mmcv.runner.priority`` (shim)."""
from legacy_runner.runner.priority import Priority, get_priority

__all__ = ['Priority', 'get_priority']
