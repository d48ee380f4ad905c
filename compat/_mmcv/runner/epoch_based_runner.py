"""``mmcv.runner.epoch_based_runner`` (shim)."""
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner, Runner

__all__ = ['EpochBasedRunner', 'Runner']
