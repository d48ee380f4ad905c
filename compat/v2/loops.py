"""Training control lives in loops (mmengine's idea): EpochBasedTrainLoop, IterBasedTrainLoop,
ValLoop, TestLoop. The runner only wires components; hooks are called through ``runner.call_hook``."""
import bisect
import contextlib
import logging
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch.utils.data import DataLoader

from legacy_runner.continuation import (
    EndlessLoader,
    ResumablePass,
    loader_generators,
    restore_grads,
    set_rng_state,
)
from legacy_runner.loss_checks import NonFiniteLoss
from legacy_runner.utils.progressbar import tty_progress

from .evaluator import Evaluator, build_evaluator
from .logging import print_log
from .registry import LOOPS

_NULL = contextlib.nullcontext()


class BaseLoop:
    """Holds the runner and a built dataloader (a dict is built with the runner's seed)."""

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict]) -> None:
        self._runner = runner
        if isinstance(dataloader, dict):
            diff_rank_seed = runner._randomness_cfg.get('diff_rank_seed', False)
            self.dataloader = runner.build_dataloader(dataloader,
                                                      seed=runner.seed,
                                                      diff_rank_seed=diff_rank_seed)
        else:
            self.dataloader = dataloader

    @property
    def runner(self) -> Any:
        return self._runner

    def run(self) -> Any:
        raise NotImplementedError


class _TrainLoop(BaseLoop):
    """Shared counters and validation scheduling (``val_begin``, ``val_interval``, ``dynamic_intervals``).

    Continuation (see :mod:`legacy_runner.continuation`): while the hooks of a boundary run,
    ``_phase`` names it: ``'iter'`` (after_train_iter), ``'epoch'`` (after_train_epoch) or
    ``'val'`` (the validation that follows them). A checkpoint saved then carries what
    :meth:`continuation_state` returns, and a run resumed from it continues with exactly what
    followed the save: the rest of the pass, the pending validation, or the next epoch.
    """

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict], val_begin: int, val_interval: int,
                 dynamic_intervals: Optional[List[Tuple[int, int]]]) -> None:
        super().__init__(runner, dataloader)
        self._epoch = 0
        self._iter = 0
        self._max_epochs: int  # set by the epoch/iteration loops
        self._max_iters: int
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
        self._phase: Optional[str] = None
        self._continuation: Optional[Dict[str, Any]] = None  # this process's part of a record
        self.dynamic_milestones, self.dynamic_intervals = [0], [val_interval]
        if dynamic_intervals:
            pairs = sorted(dynamic_intervals, key=lambda x: x[0])
            self.dynamic_milestones += [m for m, _ in pairs]
            self.dynamic_intervals += [i for _, i in pairs]
        meta = getattr(self.dataloader.dataset, 'metainfo', None)
        if meta is not None:
            runner.visualizer.dataset_meta = meta
        else:
            print_log(f'Dataset {type(self.dataloader.dataset).__name__} has no metainfo. '
                      '``dataset_meta`` in visualizer will be None.', level=logging.WARNING)

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def max_epochs(self) -> int:
        return self._max_epochs

    @property
    def max_iters(self) -> int:
        return self._max_iters

    def _decide_current_val_interval(self, progress: int) -> None:
        # the next interval applies one unit early (mmengine's bisect on progress + 1)
        step = bisect.bisect(self.dynamic_milestones, progress + 1)
        self.val_interval = self.dynamic_intervals[step - 1]

    def _train_step(self, data_batch: Any) -> Any:
        try:
            return self.runner.model.train_step(data_batch, optim_wrapper=self.runner.optim_wrapper)
        except NonFiniteLoss as e:  # raised where the value is known: add where training was
            raise e.at(self._iter + 1, self._pass_number()) from None

    def _pass_number(self) -> int:
        return self._epoch + 1

    def _maybe_validate(self, progress: int, last: int) -> None:
        self._decide_current_val_interval(progress)
        if (self.runner.val_loop is not None and progress >= self.val_begin
                and (progress % self.val_interval == 0 or progress == last)):
            with self._boundary('val'):
                self.runner.val_loop.run()

    # -- continuation ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _boundary(self, phase: str) -> Any:
        self._phase = phase
        try:
            yield
        finally:
            self._phase = None

    continuation_kind: Optional[str] = None  # 'epoch' | 'iter': what continuation_state records

    def rng_generators(self) -> List[torch.Generator]:
        """Explicit generators of the train dataloader (saved and restored with the global RNGs)."""
        return loader_generators(self.dataloader)

    def _boundary_counters(self) -> Optional[Tuple[str, int, int]]:
        """(phase, epoch, iter) a continuation from here starts with, or None outside a boundary."""
        phase = self._phase
        if phase is None:
            return None
        if phase == 'val' and not getattr(self.runner.val_loop, 'evaluated', False):
            return None  # a save in the middle of a validation pass
        if phase == 'iter':
            return phase, self._epoch, self._iter + 1
        if phase == 'epoch':
            return phase, self._epoch + 1, self._iter
        return phase, self._epoch, self._iter

    def continuation_state(self) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
        """``(loop part shared by all ranks, this process's part)`` of a continuation record, or
        None when no training boundary is under way (a save from user code gets no record)."""
        return None

    def continue_from(self, shared: Dict[str, Any], local: Dict[str, Any]) -> None:
        """Take the counters of a record now; the rest is applied when :meth:`run` gets there."""
        self._epoch, self._iter = int(shared['epoch']), int(shared['iter'])
        self.stop_training = bool(shared.get('stop_training', False))
        self._continuation = dict(local, phase=shared['phase'])
        if local.get('grads') is not None:  # now already, so the accumulation setup sees them
            restore_grads(list(self.runner._unwrapped().parameters()), local['grads'])
        if shared.get('pass_epoch') is not None:
            self._continuation['pass_epoch'] = int(shared['pass_epoch'])

    def _take_continuation(self) -> Optional[Dict[str, Any]]:
        record, self._continuation = self._continuation, None
        if record is not None:
            grads = ', with the gradients accumulated so far' if record.get('grads') is not None else ''
            print_log(f'Continuing exactly after iteration {self._iter} (epoch {self._epoch}, '
                      f'{record["phase"]} boundary{grads}): the next iteration is {self._iter + 1}',
                      logger='current', level=logging.INFO)
        return record

    def _restore(self, record: Dict[str, Any]) -> None:
        """Accumulated gradients, then the RNGs: the last step before the continuation computes."""
        if record.get('grads') is not None:
            restore_grads(list(self.runner._unwrapped().parameters()), record['grads'])
        set_rng_state(record['rng'], self.rng_generators())


@LOOPS.register_module()
class EpochBasedTrainLoop(_TrainLoop):
    """``max_epochs`` epochs over the dataloader; validation after epochs (see ``_maybe_validate``)."""

    continuation_kind = 'epoch'

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict], max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        assert int(
            max_epochs) == max_epochs, f'`max_epochs` should be a integer number, but get {max_epochs}.'
        self._max_epochs = int(max_epochs)
        self._max_iters = self._max_epochs * len(self.dataloader)
        self._pass: Optional[ResumablePass] = None
        self._resume_pass: Optional[Dict[str, Any]] = None

    def run(self) -> torch.nn.Module:
        self.runner.call_hook('before_train')
        record = self._take_continuation()
        if record is not None and record['phase'] == 'iter':
            self._resume_pass = record  # re-entered by run_epoch, after before_train_epoch
        elif record is not None:
            self._restore(record)
            if record['phase'] == 'epoch':  # saved before the validation of that epoch
                self._maybe_validate(self._epoch, self._max_epochs)
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._maybe_validate(self._epoch, self._max_epochs)
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_epoch(self) -> None:
        runner = self.runner
        runner.call_hook('before_train_epoch')
        runner.model.train()
        record, self._resume_pass = self._resume_pass, None
        if record is None:
            self._pass = ResumablePass(self.dataloader)
        else:
            self._pass = ResumablePass(self.dataloader, record['pass'])
            self._restore(record)
        for data_batch in self._pass:
            self.run_iter(self._pass.consumed - 1, data_batch)
        with self._boundary('epoch'):
            runner.call_hook('after_train_epoch')
        self._pass = None
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Any) -> None:
        runner = self.runner
        runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = self._train_step(data_batch)
        with self._boundary('iter'):
            runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        self._iter += 1

    def continuation_state(self) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
        counters = self._boundary_counters()
        if counters is None:
            return None
        phase, epoch, it = counters
        if phase == 'iter' and self._pass is None:
            return None  # a subclass iterating the dataloader itself: no position to record
        in_pass = phase == 'iter'
        shared = dict(kind=self.continuation_kind, phase=phase, epoch=epoch, iter=it,
                      stop_training=self.stop_training, in_epoch=self._pass.consumed if in_pass else 0)
        return shared, {'pass': self._pass.state_dict() if in_pass else None}


class _InfiniteDataloaderIterator(EndlessLoader):
    """Restarts the dataloader (with ``set_epoch``) when it is exhausted. No sleep, unlike mmengine.

    Each pass is a :class:`ResumablePass`; ``epoch`` counts the restarts, so that
    :meth:`restore` can re-enter the pass a checkpoint was saved in."""

    batch_sampler_epoch = True

    def __iter__(self) -> '_InfiniteDataloaderIterator':
        return self

    def _on_restart(self) -> None:
        print_log('Reach the end of the dataloader, it will be restarted and continue to iterate. It is '
                  'recommended to use `mmengine.dataset.InfiniteSampler` to enable the dataloader to '
                  'iterate infinitely.', level=logging.WARNING)


@LOOPS.register_module()
class IterBasedTrainLoop(_TrainLoop):
    """``max_iters`` iterations over an endlessly restarted dataloader; the epoch counter stays 0."""

    continuation_kind = 'iter'

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict], max_iters: int, val_begin: int = 1,
                 val_interval: int = 1000, dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        self._max_epochs = 1
        assert int(max_iters) == max_iters, f'`max_iters` should be a integer number, but get {max_iters}'
        self._max_iters = int(max_iters)
        self.dataloader_iterator = _InfiniteDataloaderIterator(self.dataloader)

    def run(self) -> torch.nn.Module:
        runner = self.runner
        runner.call_hook('before_train')
        runner.call_hook('before_train_epoch')
        record = self._take_continuation()
        if record is not None:
            # after before_train_epoch: a sampler-seed hook sets epoch 0, the pass may be a later one
            self.dataloader_iterator.restore(record['pass_epoch'], record['pass'])
            self._restore(record)
            if record['phase'] == 'iter':  # saved before the validation of that iteration
                self._maybe_validate(self._iter, self._max_iters)
        elif self._iter > 0:  # a file without a record: mmengine's replay from the start
            print_log(f'Advance dataloader {self._iter} steps to skip data that has already been trained',
                      level=logging.WARNING)
            for _ in range(self._iter):
                next(self.dataloader_iterator)
        while self._iter < self._max_iters and not self.stop_training:
            runner.model.train()
            self.run_iter(next(self.dataloader_iterator))
            self._maybe_validate(self._iter, self._max_iters)
        runner.call_hook('after_train_epoch')
        runner.call_hook('after_train')
        return runner.model

    def _pass_number(self) -> int:
        return self.dataloader_iterator.epoch + 1  # the epoch counter stays 0 here

    def run_iter(self, data_batch: Any) -> None:
        runner = self.runner
        runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = self._train_step(data_batch)
        with self._boundary('iter'):
            runner.call_hook('after_train_iter', batch_idx=self._iter, data_batch=data_batch,
                             outputs=outputs)
        self._iter += 1

    def continuation_state(self) -> Optional[Tuple[Dict[str, Any], Dict[str, Any]]]:
        counters = self._boundary_counters()
        if counters is None or counters[0] == 'epoch':  # after_train_epoch only ends the run here
            return None
        phase, epoch, it = counters
        it_ = self.dataloader_iterator
        shared = dict(kind=self.continuation_kind, phase=phase, epoch=epoch, iter=it,
                      stop_training=self.stop_training, pass_epoch=it_.epoch)
        return shared, {'pass': it_.pass_state()}


def _is_loss_element(item: Any) -> bool:
    # mmengine: a trailing BaseDataElement whose only key is 'loss' carries the val/test loss
    keys = getattr(item, 'keys', None)
    return not isinstance(item, dict) and callable(keys) and list(keys()) == ['loss']


def _collect_loss(outputs: Any, losses: Dict[str, list]) -> Any:
    if isinstance(outputs, list) and outputs and _is_loss_element(outputs[-1]):
        for name, value in outputs.pop(-1).loss.items():
            values = value if isinstance(value, list) else [value]
            losses.setdefault(name, []).extend(float(v.item() if hasattr(v, 'item') else v) for v in values)
    return outputs


def _loss_metrics(losses: Dict[str, list], prefix: str) -> Dict[str, float]:
    out = {name: sum(v) / len(v) for name, v in losses.items()}
    out[f'{prefix}_loss'] = sum(v for k, v in out.items() if 'loss' in k)
    return out


class _EvalLoop(BaseLoop):
    mode = 'val'

    def __init__(self,
                 runner: Any,
                 dataloader: Union[DataLoader, Dict],
                 evaluator: Union[Dict, List, Evaluator],
                 fp16: bool = False) -> None:
        super().__init__(runner, dataloader)
        self.evaluator = build_evaluator(evaluator)
        meta = getattr(self.dataloader.dataset, 'metainfo', None)
        if meta is not None:
            self.evaluator.dataset_meta = meta
            runner.visualizer.dataset_meta = meta
        else:
            print_log(
                f'Dataset {type(self.dataloader.dataset).__name__} has no metainfo. ``dataset_meta`` in '
                'evaluator, metric and visualizer will be None.',
                level=logging.WARNING)
        self.fp16 = fp16
        self.losses: Dict[str, list] = {}
        self.evaluated = False  # set when the pass is complete, before after_{mode}_epoch

    def _autocast(self) -> Any:
        if not self.fp16:
            return _NULL
        if torch.cuda.is_available():
            return torch.autocast('cuda', dtype=torch.float16)
        return torch.autocast('cpu', dtype=torch.bfloat16)

    def run(self) -> Dict[str, Any]:
        runner, mode = self.runner, self.mode
        runner.call_hook(f'before_{mode}')
        runner.call_hook(f'before_{mode}_epoch')
        runner.model.eval()
        self.losses = {}
        self.evaluated = False
        bar = tty_progress(len(self.dataloader))
        # draws from the global RNGs as mmengine's does (a resume saved before it repeats it)
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.finish()
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if self.losses:
            metrics.update(_loss_metrics(self.losses, mode))
        self.evaluated = True
        runner.call_hook(f'after_{mode}_epoch', metrics=metrics)
        runner.call_hook(f'after_{mode}')
        return metrics

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: Any) -> None:
        runner, mode = self.runner, self.mode
        runner.call_hook(f'before_{mode}_iter', batch_idx=idx, data_batch=data_batch)
        with self._autocast():
            outputs = getattr(runner.model, f'{mode}_step')(data_batch)
        outputs = _collect_loss(outputs, self.losses)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        runner.call_hook(f'after_{mode}_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)


@LOOPS.register_module()
class ValLoop(_EvalLoop):
    """One pass over the val dataloader; returns (and passes to ``after_val_epoch``) the metrics."""

    mode = 'val'


@LOOPS.register_module()
class TestLoop(_EvalLoop):
    """One pass over the test dataloader."""

    mode = 'test'


def build_train_loop(runner: Any, loop: Union[BaseLoop, Dict]) -> BaseLoop:
    """``train_cfg`` → a loop: ``type`` → LOOPS, else ``by_epoch`` picks Epoch/Iter (not both)."""
    if isinstance(loop, BaseLoop):
        return loop
    if not isinstance(loop, dict):
        raise TypeError(f'train_loop should be a Loop object or dict, but got {loop}')
    cfg = dict(loop)
    if 'type' in cfg and 'by_epoch' in cfg:
        raise RuntimeError('Only one of `type` or `by_epoch` can exist in `loop_cfg`.')
    if 'type' in cfg:
        return LOOPS.build(cfg, default_args=dict(runner=runner, dataloader=runner._train_dataloader))
    by_epoch = cfg.pop('by_epoch', None)
    cls = EpochBasedTrainLoop if by_epoch else IterBasedTrainLoop
    return cls(**cfg, runner=runner, dataloader=runner._train_dataloader)


def build_eval_loop(runner: Any, loop: Union[BaseLoop, Dict], mode: str) -> BaseLoop:
    """``val_cfg``/``test_cfg`` → ValLoop/TestLoop (or ``type`` from LOOPS)."""
    if isinstance(loop, BaseLoop):
        return loop
    if not isinstance(loop, dict):
        raise TypeError(f'{mode}_loop should be a Loop object or dict, but got {loop}')
    cfg = dict(loop)
    default_args = dict(runner=runner, dataloader=getattr(runner, f'_{mode}_dataloader'),
                        evaluator=getattr(runner, f'_{mode}_evaluator'))
    if 'type' in cfg:
        return LOOPS.build(cfg, default_args=default_args)
    return (ValLoop if mode == 'val' else TestLoop)(**cfg, **default_args)
