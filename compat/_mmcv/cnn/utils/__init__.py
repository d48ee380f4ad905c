"""``mmcv.cnn.utils`` (shim): weight initialisation."""
from legacy_runner.cnn.weight_init import *  # noqa: F401,F403

from . import weight_init  # noqa: F401
