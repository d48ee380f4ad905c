"""``mmcv.cnn.utils.weight_init`` (shim)."""
from legacy_runner.cnn.weight_init import *  # noqa: F401,F403
