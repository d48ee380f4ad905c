"""``mmcv.cnn.bricks.activation`` (shim)."""
from legacy_runner.cnn.bricks.activation import *  # noqa: F401,F403
