"""``mmcv.cnn.bricks.wrappers`` (shim)."""
from legacy_runner.cnn.bricks.wrappers import *  # noqa: F401,F403
