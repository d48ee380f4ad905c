"""``mmcv.runner.base_module`` (shim)."""
from legacy_runner.base_module import BaseModule, ModuleDict, ModuleList, Sequential

__all__ = ['BaseModule', 'ModuleDict', 'ModuleList', 'Sequential']
