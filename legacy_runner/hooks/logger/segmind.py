"""SegmindLoggerHook (optional: needs the ``segmind`` package, which is not a dependency)."""
from typing import Any

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


@HOOKS.register_module()
class SegmindLoggerHook(LoggerHook):
    """Logs the loggable tags through segmind's mlflow wrapper.

    The call is ``try_mlflow_log(log_metrics, tags, step=runner.epoch, epoch=runner.epoch)``:
    as in mmcv the step is the 0-based ``runner.epoch``, not the iteration. ``segmind`` is
    imported when the hook is built.
    """

    def __init__(self, interval: int = 10, ignore_last: bool = True, reset_flag: bool = False,
                 by_epoch: bool = True) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.import_segmind()

    def import_segmind(self) -> None:
        """Bind ``self.log_metrics`` and ``self.mlflow_log`` from the ``segmind`` package."""
        try:
            import segmind
        except ImportError as e:
            raise ImportError('SegmindLoggerHook needs segmind: pip install segmind') from e
        self.log_metrics: Any = segmind.tracking.fluent.log_metrics
        self.mlflow_log: Any = segmind.utils.logging_utils.try_mlflow_log

    @master_only
    def log(self, runner: Any) -> None:
        tags = self.get_loggable_tags(runner)
        if tags:
            self.mlflow_log(self.log_metrics, tags, step=runner.epoch, epoch=runner.epoch)
