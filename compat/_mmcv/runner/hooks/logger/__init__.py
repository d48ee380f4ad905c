"""``mmcv.runner.hooks.logger`` (shim)."""
from legacy_runner.hooks.logger import *  # noqa: F401,F403
