"""EMAHook: keeps an averaged copy of the model, validates/tests with it, checkpoints both."""
import copy
import itertools
import logging
from typing import Any, Dict, Optional

from legacy_runner.checkpoint import load_state_dict

from ..logging import print_log
from ..registry import HOOKS, MODELS
from .hook import DATA_BATCH, Hook


def _unwrap(model: Any) -> Any:
    from ..model import is_model_wrapper
    return model.module if is_model_wrapper(model) else model


@HOOKS.register_module()
class EMAHook(Hook):
    """Args: ``ema_type`` (a MODELS name), ``strict_load``, ``begin_iter`` / ``begin_epoch`` (before
    that the EMA copy just follows the model), and the averaged model's kwargs."""

    priority = 'NORMAL'

    def __init__(self, ema_type: str = 'ExponentialMovingAverage', strict_load: bool = False,
                 begin_iter: int = 0, begin_epoch: int = 0, **kwargs: Any) -> None:
        self.strict_load = strict_load
        self.ema_cfg = dict(type=ema_type, **kwargs)
        assert not (begin_iter != 0 and begin_epoch != 0), \
            '`begin_iter` and `begin_epoch` should not be both set.'
        assert begin_iter >= 0, f'begin_iter must larger than 0, but got begin: {begin_iter}'
        assert begin_epoch >= 0, f'begin_epoch must larger than 0, but got begin: {begin_epoch}'
        self.begin_iter = begin_iter
        self.begin_epoch = begin_epoch
        self.enabled_by_epoch = self.begin_epoch > 0

    def before_run(self, runner: Any) -> None:
        # the copy is taken before init_weights/load_from, as in mmengine
        if getattr(self, '_built_at_load', False):  # FlexibleRunner loads before before_run
            self._built_at_load = False
            return
        self.src_model = _unwrap(runner.model)
        self.ema_model = MODELS.build(self.ema_cfg, default_args=dict(model=self.src_model))

    def before_train(self, runner: Any) -> None:
        if self.enabled_by_epoch:
            assert self.begin_epoch <= runner.max_epochs, (
                'self.begin_epoch should be smaller than or equal to runner.max_epochs: '
                f'{runner.max_epochs}, but got begin: {self.begin_epoch}')
        else:
            assert self.begin_iter <= runner.max_iters, (
                'self.begin_iter should be smaller than or equal to runner.max_iters: '
                f'{runner.max_iters}, but got begin: {self.begin_iter}')

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        if self._ema_started(runner):
            self.ema_model.update_parameters(self.src_model)
        else:
            src = self.src_model.state_dict()
            for name, tensor in self.ema_model.module.state_dict().items():
                tensor.data.copy_(src[name].data)

    def before_val_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._swap_ema_parameters()

    def before_test_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._swap_ema_parameters()

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        checkpoint['ema_state_dict'] = self.ema_model.state_dict()
        # state_dict then holds the EMA weights (deployable as is); ema_state_dict the raw ones
        self._swap_ema_state_dict(checkpoint)

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        if not hasattr(self, 'ema_model'):  # loaded before before_run (FlexibleRunner; mmengine crashes)
            self.before_run(runner)
            self._built_at_load = True
        if 'ema_state_dict' in checkpoint and runner._resume:
            self._swap_ema_state_dict(checkpoint)
            self.ema_model.load_state_dict(checkpoint['ema_state_dict'], strict=self.strict_load)
        else:
            if runner._resume:
                print_log('There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of '
                          '`state_dict` as the initial `ema_state_dict`', level=logging.WARNING)
            load_state_dict(self.ema_model.module, copy.deepcopy(checkpoint['state_dict']),
                            strict=self.strict_load)

    def _swap_ema_parameters(self) -> None:
        if self.ema_model.update_buffers:
            avg = itertools.chain(self.ema_model.module.parameters(), self.ema_model.module.buffers())
            src = itertools.chain(self.src_model.parameters(), self.src_model.buffers())
        else:
            avg, src = self.ema_model.module.parameters(), self.src_model.parameters()
        for p_avg, p_src in zip(avg, src):
            tmp = p_avg.data.clone()
            p_avg.data.copy_(p_src.data)
            p_src.data.copy_(tmp)

    @staticmethod
    def _swap_ema_state_dict(checkpoint: dict) -> None:
        model_state, ema_state = checkpoint['state_dict'], checkpoint['ema_state_dict']
        for key in ema_state:
            if key.startswith('module.'):
                name = key[len('module.'):]
                if name not in model_state and key in model_state:  # a DDP checkpoint keeps the prefix
                    name = key
                ema_state[key], model_state[name] = model_state[name], ema_state[key]

    def _ema_started(self, runner: Any) -> bool:
        if self.enabled_by_epoch:
            return runner.epoch + 1 >= self.begin_epoch
        return runner.iter + 1 >= self.begin_iter
