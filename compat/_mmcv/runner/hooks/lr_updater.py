"""``mmcv.runner.hooks.lr_updater`` (shim): LR updater hooks and their schedule helpers."""
from legacy_runner.hooks.lr_updater import *  # noqa: F401,F403
from legacy_runner.hooks.lr_updater import __all__ as _lr_names
from legacy_runner.schedules.common import (
    annealing_cos,
    annealing_linear,
    format_param,
    get_position_from_periods,
)

__all__ = [*_lr_names, 'annealing_cos', 'annealing_linear', 'format_param', 'get_position_from_periods']
