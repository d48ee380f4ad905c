"""ClearMLLoggerHook (optional: needs the ``clearml`` package, which is not a dependency)."""
from typing import Any, Dict, Optional

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


@HOOKS.register_module()
class ClearMLLoggerHook(LoggerHook):
    """Reports every loggable tag as ``report_scalar(tag, tag, value, iter+1)`` on a ClearML task.

    ``clearml`` is imported when the hook is built; the task is created in ``before_run`` with
    ``clearml.Task.init(**init_kwargs)``. There is no end-of-run call (as in mmcv).
    """

    def __init__(self, init_kwargs: Optional[Dict] = None, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = False, by_epoch: bool = True) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.import_clearml()
        self.init_kwargs = init_kwargs

    def import_clearml(self) -> None:
        """Import ``clearml`` into ``self.clearml``."""
        try:
            import clearml
        except ImportError as e:
            raise ImportError('ClearMLLoggerHook needs clearml: pip install clearml') from e
        self.clearml: Any = clearml

    @master_only
    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        self.task = self.clearml.Task.init(**(self.init_kwargs or {}))
        self.task_logger = self.task.get_logger()

    @master_only
    def log(self, runner: Any) -> None:
        step = self.get_iter(runner)
        for tag, value in self.get_loggable_tags(runner).items():
            self.task_logger.report_scalar(tag, tag, value, step)
