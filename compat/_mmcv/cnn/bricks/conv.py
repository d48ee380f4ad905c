"""``mmcv.cnn.bricks.conv`` (shim)."""
from legacy_runner.cnn.bricks.conv import *  # noqa: F401,F403
