"""``mmcv.runner`` (shim): runners, hooks, checkpoints, optimizers, dist and fp16 helpers.

Not imported by ``import mmcv`` (as in mmcv 1.x).
"""
from legacy_runner.runner import *  # noqa: F401,F403
from legacy_runner.runner import __all__ as _runner_names
from legacy_runner.runner import _load_checkpoint, _load_checkpoint_with_prefix  # noqa: F401
from legacy_runner.utils.helpers import obj_from_dict

from . import checkpoint, dist_utils, fp16_utils, hooks, optimizer, utils  # noqa: F401
from .hooks import HOOKS  # noqa: F401

__all__ = [*_runner_names, 'HOOKS', 'obj_from_dict']
