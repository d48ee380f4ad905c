"""``mmcv.utils.env`` (shim)."""
from legacy_runner.utils.env import collect_env

__all__ = ['collect_env']
