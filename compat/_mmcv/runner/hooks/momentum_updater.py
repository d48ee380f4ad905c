"""``mmcv.runner.hooks.momentum_updater`` (shim)."""
from legacy_runner.hooks.momentum_updater import *  # noqa: F401,F403
