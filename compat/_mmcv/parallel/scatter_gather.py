"""``mmcv.parallel.scatter_gather`` (shim)."""
from legacy_runner.parallel import scatter, scatter_kwargs

__all__ = ['scatter', 'scatter_kwargs']
