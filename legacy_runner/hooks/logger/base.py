"""LoggerHook: the averaging/flush schedule shared by every v1 logger hook (mmcv 1.7.2)."""
import numbers
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, Tuple

import numpy as np
import torch

from ..hook import Hook


class LoggerHook(Hook, metaclass=ABCMeta):
    """Averages the log buffer every ``interval`` train iterations and calls ``log``.

    Args:
        interval: logging period in (inner) iterations.
        ignore_last: skip the last, shorter window of an epoch.
        reset_flag: clear the buffer output after logging (forced on for the last LoggerHook).
        by_epoch: count ``inner_iter`` within the epoch (True) or the global ``iter``.
    """

    def __init__(self, interval: int = 10, ignore_last: bool = True, reset_flag: bool = False,
                 by_epoch: bool = True) -> None:
        self.interval = interval
        self.ignore_last = ignore_last
        self.reset_flag = reset_flag
        self.by_epoch = by_epoch

    @abstractmethod
    def log(self, runner: Any) -> Any:
        pass

    @staticmethod
    def is_scalar(val: Any, include_np: bool = True, include_torch: bool = True) -> bool:
        """Number, 0-d ndarray or 1-element tensor (a 0-d tensor raises TypeError, as mmcv)."""
        if isinstance(val, numbers.Number):
            return True
        if include_np and isinstance(val, np.ndarray) and val.ndim == 0:
            return True
        if include_torch and isinstance(val, torch.Tensor) and len(val) == 1:
            return True
        return False

    def get_mode(self, runner: Any) -> str:
        if runner.mode == 'train':
            # EvalHook results arrive in train mode without timing: they are 'val' records.
            return 'train' if 'time' in runner.log_buffer.output else 'val'
        if runner.mode == 'val':
            return 'val'
        raise ValueError(f"runner mode should be 'train' or 'val', but got {runner.mode}")

    def get_epoch(self, runner: Any) -> int:
        if runner.mode == 'train':
            return runner.epoch + 1
        if runner.mode == 'val':
            # the epoch counter was already incremented by the train epoch just finished
            return runner.epoch
        raise ValueError(f"runner mode should be 'train' or 'val', but got {runner.mode}")

    def get_iter(self, runner: Any, inner_iter: bool = False) -> int:
        if self.by_epoch and inner_iter:
            return runner.inner_iter + 1
        return runner.iter + 1

    def get_lr_tags(self, runner: Any) -> Dict[str, float]:
        lrs = runner.current_lr()
        if isinstance(lrs, dict):
            return {f'learning_rate/{name}': value[0] for name, value in lrs.items()}
        return {'learning_rate': lrs[0]}

    def get_momentum_tags(self, runner: Any) -> Dict[str, float]:
        momentums = runner.current_momentum()
        if isinstance(momentums, dict):
            return {f'momentum/{name}': value[0] for name, value in momentums.items()}
        return {'momentum': momentums[0]}

    def get_loggable_tags(self, runner: Any, allow_scalar: bool = True, allow_text: bool = False,
                          add_mode: bool = True,
                          tags_to_skip: Tuple[str, ...] = ('time', 'data_time')) -> Dict[str, Any]:
        """The buffer output as ``{'{mode}/{key}': value}`` plus the lr and momentum tags."""
        tags = {}
        for var, val in runner.log_buffer.output.items():
            if var in tags_to_skip:
                continue
            if self.is_scalar(val) and not allow_scalar:
                continue
            if isinstance(val, str) and not allow_text:
                continue
            if add_mode:
                var = f'{self.get_mode(runner)}/{var}'
            tags[var] = val
        tags.update(self.get_lr_tags(runner))
        tags.update(self.get_momentum_tags(runner))
        return tags

    def before_run(self, runner: Any) -> None:
        # Only the last logger may clear the shared output, or later loggers would see nothing.
        for hook in runner.hooks[::-1]:
            if isinstance(hook, LoggerHook):
                hook.reset_flag = True
                break

    def before_epoch(self, runner: Any) -> None:
        runner.log_buffer.clear()

    def after_train_iter(self, runner: Any) -> None:
        if self.by_epoch and self.every_n_inner_iters(runner, self.interval):
            runner.log_buffer.average(self.interval)
        elif not self.by_epoch and self.every_n_iters(runner, self.interval):
            runner.log_buffer.average(self.interval)
        elif not self.ignore_last and self.end_of_epoch(runner):
            # the last window of the epoch, averaged over `interval` entries regardless;
            # ignore_last is tested first so the common case skips len(data_loader)
            runner.log_buffer.average(self.interval)
        self._flush(runner)

    def after_train_epoch(self, runner: Any) -> None:
        self._flush(runner)

    def after_val_epoch(self, runner: Any) -> None:
        runner.log_buffer.average()
        self.log(runner)
        if self.reset_flag:
            runner.log_buffer.clear_output()

    def _flush(self, runner: Any) -> None:
        if runner.log_buffer.ready:
            self.log(runner)
            if self.reset_flag:
                runner.log_buffer.clear_output()
