"""legacy_runner: the mmcv 1.x training stack on modern PyTorch.

Importing the package is cheap: names are resolved lazily, so ``import legacy_runner`` pulls in
neither torch nor any optional extra until a runner-side name is used.
"""
import importlib
from typing import Any, Dict, List

from .version import __version__

# public name -> submodule that defines it
_LAZY: Dict[str, str] = {
    'Config': 'legacy_runner.config',
    'ConfigDict': 'legacy_runner.config',
    'DictAction': 'legacy_runner.config',
    'Registry': 'legacy_runner.registry',
    'build_from_cfg': 'legacy_runner.registry',
    'load': 'legacy_runner.utils.fileio',
    'dump': 'legacy_runner.utils.fileio',
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'legacy_runner' has no attribute '{name}'")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(list(globals()) + list(_LAZY))


__all__ = ['__version__', *_LAZY]
