"""``mmcv.parallel.data_container`` (shim)."""
from legacy_runner.parallel import DataContainer

__all__ = ['DataContainer']
