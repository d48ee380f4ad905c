"""``mmcv.cnn.bricks.upsample`` (shim)."""
from legacy_runner.cnn.bricks.upsample import *  # noqa: F401,F403
