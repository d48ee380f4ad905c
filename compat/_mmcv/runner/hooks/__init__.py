"""``mmcv.runner.hooks`` (shim): every mmcv 1.x hook, incl. EmptyCacheHook and ProfilerHook."""
from legacy_runner.hooks import *  # noqa: F401,F403
from legacy_runner.hooks import __all__ as _hook_names

from . import hook, lr_updater  # noqa: F401

__all__ = list(_hook_names)
