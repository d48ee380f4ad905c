"""TensorboardLoggerHook (optional extra: needs the ``tensorboard`` package)."""
import os.path as osp
from typing import Any, Optional

from ...dist import master_only
from ..hook import HOOKS
from .base import LoggerHook


def _summary_writer_cls() -> Any:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError as e:
        raise ImportError('TensorboardLoggerHook needs tensorboard: '
                          'pip install legacy-runner[tensorboard]') from e
    return SummaryWriter


@HOOKS.register_module()
class TensorboardLoggerHook(LoggerHook):
    """Writes scalars (and text) to ``log_dir`` (default ``work_dir/tf_logs``) at step iter+1."""

    def __init__(self, log_dir: Optional[str] = None, interval: int = 10, ignore_last: bool = True,
                 reset_flag: bool = False, by_epoch: bool = True) -> None:
        super().__init__(interval, ignore_last, reset_flag, by_epoch)
        self.log_dir = log_dir

    @master_only
    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        writer_cls = _summary_writer_cls()
        if self.log_dir is None:
            self.log_dir = osp.join(runner.work_dir, 'tf_logs')
        self.writer = writer_cls(self.log_dir)

    @master_only
    def log(self, runner: Any) -> None:
        step = self.get_iter(runner)
        for tag, val in self.get_loggable_tags(runner, allow_text=True).items():
            if isinstance(val, str):
                self.writer.add_text(tag, val, step)
            else:
                self.writer.add_scalar(tag, val, step)

    @master_only
    def after_run(self, runner: Any) -> None:
        self.writer.close()
