"""``mmcv.parallel.collate`` (shim)."""
from legacy_runner.parallel import collate

__all__ = ['collate']
