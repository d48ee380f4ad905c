"""RuntimeInfoHook, IterTimerHook, DistSamplerSeedHook, ParamSchedulerHook (mmengine defaults)."""
import time
from typing import Any, Dict, Optional, Sequence

import numpy as np

from ..registry import HOOKS
from ..version import mmengine_version
from .hook import DATA_BATCH, Hook


def _is_scalar(value: Any) -> bool:
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return True
    if isinstance(value, np.ndarray):
        return value.size == 1
    return hasattr(value, 'numel') and hasattr(value, 'item') and value.numel() == 1


@HOOKS.register_module()
class RuntimeInfoHook(Hook):
    """Publishes loop state, learning rates, train outputs and metrics to the message hub."""

    priority = 'VERY_HIGH'

    def before_run(self, runner: Any) -> None:
        runner.message_hub.update_info_dict(dict(
            cfg=runner.cfg_text, seed=runner.seed,
            experiment_name=runner.experiment_name, mmengine_version=mmengine_version))

    def before_train(self, runner: Any) -> None:
        hub = runner.message_hub
        hub.update_info('loop_stage', 'train')
        hub.update_info('epoch', runner.epoch)
        hub.update_info('iter', runner.iter)
        hub.update_info('max_epochs', runner.max_epochs)
        hub.update_info('max_iters', runner.max_iters)
        meta = getattr(runner.train_dataloader.dataset, 'metainfo', None)
        if meta is not None:
            hub.update_info('dataset_meta', meta)

    def after_train(self, runner: Any) -> None:
        runner.message_hub.pop_info('loop_stage')

    def before_train_epoch(self, runner: Any) -> None:
        runner.message_hub.update_info('epoch', runner.epoch)

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        hub = runner.message_hub
        hub.update_info('iter', runner.iter)
        lr_dict = runner.optim_wrapper.get_lr()
        assert isinstance(lr_dict, dict), ('`runner.optim_wrapper.get_lr()` should return a dict of '
                                           f'learning rate when training, but got {type(lr_dict)}')
        for name, lr in lr_dict.items():
            hub.update_scalar(f'train/{name}', lr[0])

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if outputs is not None:
            hub = runner.message_hub
            for key, value in outputs.items():
                hub.update_scalar(f'train/{key}', value)

    def before_val(self, runner: Any) -> None:
        self._stage_before_val = runner.message_hub.get_info('loop_stage')
        runner.message_hub.update_info('loop_stage', 'val')

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._publish(runner, 'val', metrics)

    def after_val(self, runner: Any) -> None:
        previous = getattr(self, '_stage_before_val', None)
        if previous == 'train':
            runner.message_hub.update_info('loop_stage', 'train')
        else:
            runner.message_hub.pop_info('loop_stage')

    def before_test(self, runner: Any) -> None:
        runner.message_hub.update_info('loop_stage', 'test')

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._publish(runner, 'test', metrics)

    def after_test(self, runner: Any) -> None:
        runner.message_hub.pop_info('loop_stage')

    @staticmethod
    def _publish(runner: Any, mode: str, metrics: Optional[Dict[str, Any]]) -> None:
        if metrics:
            for key, value in metrics.items():
                if _is_scalar(value):
                    runner.message_hub.update_scalar(f'{mode}/{key}', value)
                else:
                    runner.message_hub.update_info(f'{mode}/{key}', value)


@HOOKS.register_module()
class IterTimerHook(Hook):
    """``{mode}/data_time`` and ``{mode}/time`` scalars and the ``eta`` info."""

    priority = 'NORMAL'

    def before_train(self, runner: Any) -> None:
        self.time_sec_tot = 0.0
        self.time_sec_test_val = 0.0
        self.start_iter = runner.iter

    def _before_epoch(self, runner: Any, mode: str = 'train') -> None:
        self.t = time.time()

    def _after_epoch(self, runner: Any, mode: str = 'train') -> None:
        self.time_sec_test_val = 0.0

    def _before_iter(self,
                     runner: Any,
                     batch_idx: int,
                     data_batch: DATA_BATCH = None,
                     mode: str = 'train') -> None:
        runner.message_hub.update_scalar(f'{mode}/data_time', time.time() - self.t)

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Any] = None, mode: str = 'train') -> None:
        now = time.time()
        elapsed = now - self.t
        self.t = now
        hub = runner.message_hub
        hub.update_scalar(f'{mode}/time', elapsed)
        if mode == 'train':
            self.time_sec_tot = getattr(self, 'time_sec_tot', 0.0) + elapsed
            avg = self.time_sec_tot / (runner.iter - getattr(self, 'start_iter', 0) + 1)
            hub.update_info('eta', avg * (runner.max_iters - runner.iter - 1))
        else:
            loader = runner.val_dataloader if mode == 'val' else runner.test_dataloader
            self.time_sec_test_val = getattr(self, 'time_sec_test_val', 0.0) + elapsed
            avg = self.time_sec_test_val / (batch_idx + 1)
            hub.update_info('eta', avg * (len(loader) - batch_idx - 1))


@HOOKS.register_module()
class DistSamplerSeedHook(Hook):
    """``sampler.set_epoch(runner.epoch)`` before every train epoch (a new shuffle per epoch)."""

    priority = 'NORMAL'

    def before_train_epoch(self, runner: Any) -> None:
        loader = runner.train_loop.dataloader
        sampler = getattr(loader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(runner.epoch)
            return
        batch_sampler = getattr(loader, 'batch_sampler', None)
        if hasattr(getattr(batch_sampler, 'sampler', None), 'set_epoch'):
            batch_sampler.sampler.set_epoch(runner.epoch)


@HOOKS.register_module()
class ParamSchedulerHook(Hook):
    """Steps by-iteration schedulers after each train iter and by-epoch ones after each epoch."""

    priority = 'LOW'

    def __init__(self) -> None:
        self._source: Any = None
        self._by_iter: Sequence = ()
        self._by_epoch: Sequence = ()
        self._val: Sequence = ()

    def _split(self, runner: Any) -> None:
        # Cached per scheduler container: the hot path only walks a prebuilt list.
        schedulers = runner.param_schedulers
        if schedulers is self._source:
            return
        if isinstance(schedulers, dict):
            flat = [s for group in schedulers.values() for s in group]
        elif isinstance(schedulers, list):
            flat = list(schedulers)
        else:
            raise TypeError('runner.param_schedulers should be list of ParamScheduler or a dict '
                            f'containing list of ParamScheduler, but got {schedulers}')
        self._by_iter = [s for s in flat if not s.by_epoch]
        self._by_epoch = [s for s in flat if s.by_epoch]
        self._val = [s for s in self._by_epoch if getattr(s, 'need_val_args', False)]
        self._source = schedulers

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if runner.param_schedulers is None:
            return
        if runner.param_schedulers is not self._source:
            self._split(runner)
        for scheduler in self._by_iter:
            scheduler.step()

    def after_train_epoch(self, runner: Any) -> None:
        if runner.param_schedulers is None:
            return
        self._split(runner)
        for scheduler in self._by_epoch:
            scheduler.step()

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        if runner.param_schedulers is None or metrics is None:
            return
        self._split(runner)
        for scheduler in self._val:
            scheduler.step(metrics)
