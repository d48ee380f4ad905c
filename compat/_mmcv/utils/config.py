"""``mmcv.utils.config`` (shim)."""
from legacy_runner.config import Config, ConfigDict, DictAction

__all__ = ['Config', 'ConfigDict', 'DictAction']
