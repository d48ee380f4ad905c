"""The ``mmcv`` import shim: ``import compat.mmcv_shim`` and old mmcv 1.x code runs unchanged.

Importing this module activates it: ``mmcv`` and its submodules are then served from legacy_runner
through one table (``compat.mmcv_table``), lazily. A real installed mmcv is never
shadowed unless forced (``LEGACY_RUNNER_SHIM=force``, ``install(force=True)`` or
``python -m legacy_runner exec --force-shim``); a warning says so. Other activations:
``python -m legacy_runner exec SCRIPT`` and ``LEGACY_RUNNER_SHIM=1`` (via the installed ``.pth``).
"""
from ._shim_finder import (
    ENV_VAR,
    SHIM_ROOT,
    MmcvShimFinder,
    activate,
    env_mode,
    find_real_mmcv,
    install,
    is_active,
    is_shim_module,
    uninstall,
)

__all__ = ['ENV_VAR', 'SHIM_ROOT', 'MmcvShimFinder', 'activate', 'env_mode', 'find_real_mmcv', 'install',
           'is_active', 'is_shim_module', 'uninstall']

activate()
