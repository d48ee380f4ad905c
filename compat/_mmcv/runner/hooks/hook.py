"""``mmcv.runner.hooks.hook`` (shim)."""
from legacy_runner.hooks.hook import HOOKS, Hook

__all__ = ['HOOKS', 'Hook']
