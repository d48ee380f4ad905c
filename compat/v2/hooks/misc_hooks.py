"""EmptyCacheHook, SyncBuffersHook, EarlyStoppingHook (mmengine's custom hooks)."""
import math
import warnings
from typing import Any, Dict, Optional

import torch

from legacy_runner.dist import allreduce_params, get_dist_info

from ..registry import HOOKS
from .checkpoint_hook import GREATER_KEYS, LESS_KEYS, infer_rule
from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """``torch.cuda.empty_cache()`` before/after epochs and/or after iterations (all modes)."""

    priority = 'NORMAL'

    def __init__(self,
                 before_epoch: bool = False,
                 after_epoch: bool = True,
                 after_iter: bool = False) -> None:
        self._do_before_epoch = before_epoch
        self._do_after_epoch = after_epoch
        self._do_after_iter = after_iter

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Any] = None, mode: str = 'train') -> None:
        if self._do_after_iter:
            torch.cuda.empty_cache()

    def _before_epoch(self, runner: Any, mode: str = 'train') -> None:
        if self._do_before_epoch:
            torch.cuda.empty_cache()

    def _after_epoch(self, runner: Any, mode: str = 'train') -> None:
        if self._do_after_epoch:
            torch.cuda.empty_cache()


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    """Average the model buffers (BN statistics) over ranks after each train epoch / before val."""

    priority = 'NORMAL'

    def __init__(self) -> None:
        self.distributed = get_dist_info()[1] > 1
        self.called_in_train = False

    def before_val_epoch(self, runner: Any) -> None:
        if self.distributed and not self.called_in_train:
            allreduce_params(runner.model.buffers())
        self.called_in_train = False

    def after_train_epoch(self, runner: Any) -> None:
        if self.distributed:
            allreduce_params(runner.model.buffers())
            self.called_in_train = True


@HOOKS.register_module()
class EarlyStoppingHook(Hook):
    """Stop training when ``monitor`` stops improving by ``min_delta`` for ``patience`` validations,
    is non-finite (``check_finite``), or reaches ``stopping_threshold``."""

    priority = 'LOWEST'

    def __init__(self,
                 monitor: str,
                 rule: Optional[str] = None,
                 min_delta: float = 0.1,
                 strict: bool = False,
                 check_finite: bool = True,
                 patience: int = 5,
                 stopping_threshold: Optional[float] = None) -> None:
        self.monitor = monitor
        if rule is not None:
            if rule not in ('greater', 'less'):
                raise ValueError(f'`rule` should be either "greater" or "less", but got {rule}')
        else:
            rule = infer_rule(monitor, GREATER_KEYS, LESS_KEYS)
        self.rule = rule
        self.min_delta = min_delta if rule == 'greater' else -1 * min_delta
        self.strict = strict
        self.check_finite = check_finite
        self.patience = patience
        self.stopping_threshold = stopping_threshold
        self.wait_count = 0
        self.best_score = -math.inf if rule == 'greater' else math.inf

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.rule == 'greater' else a < b

    def _check_stop_condition(self, score: float) -> tuple:
        if self.check_finite and not math.isfinite(score):
            return True, (f'Monitored metric {self.monitor} = {score} is infinite. '
                          f'Previous best value was {self.best_score:.3f}.')
        if self.stopping_threshold is not None and self._better(score, self.stopping_threshold):
            self.best_score = score
            return True, (f'Stopping threshold reached: `{self.monitor}` = {score} is {self.rule} than '
                          f'{self.stopping_threshold}.')
        if self._better(self.best_score + self.min_delta, score):
            self.wait_count += 1
            if self.wait_count >= self.patience:
                return True, (f'the monitored metric did not improve in the last {self.wait_count} '
                              f'records. best score: {self.best_score:.3f}. ')
            return False, ''
        self.best_score = score
        self.wait_count = 0
        return False, ''

    def before_run(self, runner: Any) -> None:
        assert hasattr(runner, 'train_loop'), '`train_loop` should be implemented'

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        metrics = metrics or {}
        if self.monitor not in metrics:
            if self.strict:
                raise RuntimeError(f'Early stopping conditioned on metric `{self.monitor} is not '
                                   f'available. Please check available metrics {metrics}, or set '
                                   '`strict=False` in `EarlyStoppingHook`.')
            warnings.warn('Skip early stopping process since the evaluation results '
                          f'({list(metrics.keys())}) do not include `monitor` ({self.monitor}).')
            return
        stop, message = self._check_stop_condition(metrics[self.monitor])
        if stop:
            runner.train_loop.stop_training = True
            runner.logger.info(message)
