"""IterTimerHook: records ``data_time`` and ``time`` per iteration into the log buffer."""
import time
from typing import Any

from .hook import HOOKS, Hook


@HOOKS.register_module()
class IterTimerHook(Hook):
    """``data_time`` = wait for the batch; ``time`` = the whole iteration (train and val)."""

    def before_epoch(self, runner: Any) -> None:
        self.t = time.time()

    def before_iter(self, runner: Any) -> None:
        runner.log_buffer.update({'data_time': time.time() - self.t})

    def after_iter(self, runner: Any) -> None:
        runner.log_buffer.update({'time': time.time() - self.t})
        self.t = time.time()
