"""``mmcv.utils.timer`` (shim)."""
from legacy_runner.utils.timer import Timer, TimerError, check_time

__all__ = ['Timer', 'TimerError', 'check_time']
