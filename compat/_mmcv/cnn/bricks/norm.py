"""``mmcv.cnn.bricks.norm`` (shim)."""
from legacy_runner.cnn.bricks.norm import *  # noqa: F401,F403
