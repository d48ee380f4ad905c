"""``mmcv.runner.base_runner`` (shim)."""
from legacy_runner.runner.base_runner import BaseRunner

__all__ = ['BaseRunner']
