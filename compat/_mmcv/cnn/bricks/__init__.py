"""``mmcv.cnn.bricks`` (shim)."""
from legacy_runner.cnn.bricks import *  # noqa: F401,F403
from legacy_runner.cnn.bricks import __all__ as _brick_names

from . import registry  # noqa: F401

__all__ = list(_brick_names)
