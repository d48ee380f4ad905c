"""``mmcv.parallel`` (shim): DataContainer, collate/scatter and the MM*DataParallel wrappers."""
from legacy_runner.parallel import (
    MODULE_WRAPPERS,
    DataContainer,
    MMDataParallel,
    MMDistributedDataParallel,
    collate,
    is_module_wrapper,
    scatter,
    scatter_kwargs,
)

__all__ = ['MODULE_WRAPPERS', 'DataContainer', 'MMDataParallel', 'MMDistributedDataParallel', 'collate',
           'is_module_wrapper', 'scatter', 'scatter_kwargs']
