"""``mmcv.cnn.bricks.registry`` (shim)."""
from legacy_runner.cnn.bricks.registry import *  # noqa: F401,F403
