"""``mmcv.cnn.bricks.padding`` (shim)."""
from legacy_runner.cnn.bricks.padding import *  # noqa: F401,F403
