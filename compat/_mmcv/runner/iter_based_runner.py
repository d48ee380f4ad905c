"""``mmcv.runner.iter_based_runner`` (shim)."""
from legacy_runner.runner.iter_based_runner import IterBasedRunner
from legacy_runner.runner.iter_loader import IterLoader

__all__ = ['IterBasedRunner', 'IterLoader']
