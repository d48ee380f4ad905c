"""``mmcv.runner.log_buffer`` (shim)."""
from legacy_runner.runner.log_buffer import LogBuffer

__all__ = ['LogBuffer']
