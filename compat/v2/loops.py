"""Training control lives in loops (mmengine's idea): EpochBasedTrainLoop, IterBasedTrainLoop,
ValLoop, TestLoop. The runner only wires components; hooks are called through ``runner.call_hook``."""
import bisect
import contextlib
import logging
from typing import Any, Dict, List, Optional, Tuple, Union

import torch
from torch.utils.data import DataLoader

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
    """Shared counters and validation scheduling (``val_begin``, ``val_interval``, ``dynamic_intervals``)."""

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict], val_begin: int, val_interval: int,
                 dynamic_intervals: Optional[List[Tuple[int, int]]]) -> None:
        super().__init__(runner, dataloader)
        self._epoch = 0
        self._iter = 0
        self.val_begin = val_begin
        self.val_interval = val_interval
        self.stop_training = False
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

    def _maybe_validate(self, progress: int, last: int) -> None:
        self._decide_current_val_interval(progress)
        if (self.runner.val_loop is not None and progress >= self.val_begin
                and (progress % self.val_interval == 0 or progress == last)):
            self.runner.val_loop.run()


@LOOPS.register_module()
class EpochBasedTrainLoop(_TrainLoop):
    """``max_epochs`` epochs over the dataloader; validation after epochs (see ``_maybe_validate``)."""

    def __init__(self, runner: Any, dataloader: Union[DataLoader, Dict], max_epochs: int, val_begin: int = 1,
                 val_interval: int = 1, dynamic_intervals: Optional[List[Tuple[int, int]]] = None) -> None:
        super().__init__(runner, dataloader, val_begin, val_interval, dynamic_intervals)
        assert int(
            max_epochs) == max_epochs, f'`max_epochs` should be a integer number, but get {max_epochs}.'
        self._max_epochs = int(max_epochs)
        self._max_iters = self._max_epochs * len(self.dataloader)

    def run(self) -> torch.nn.Module:
        self.runner.call_hook('before_train')
        while self._epoch < self._max_epochs and not self.stop_training:
            self.run_epoch()
            self._maybe_validate(self._epoch, self._max_epochs)
        self.runner.call_hook('after_train')
        return self.runner.model

    def run_epoch(self) -> None:
        runner = self.runner
        runner.call_hook('before_train_epoch')
        runner.model.train()
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
        runner.call_hook('after_train_epoch')
        self._epoch += 1

    def run_iter(self, idx: int, data_batch: Any) -> None:
        runner = self.runner
        runner.call_hook('before_train_iter', batch_idx=idx, data_batch=data_batch)
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        runner.call_hook('after_train_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs)
        self._iter += 1


class _InfiniteDataloaderIterator:
    """Restarts the dataloader (with ``set_epoch``) when it is exhausted. No sleep, unlike mmengine."""

    def __init__(self, dataloader: DataLoader) -> None:
        self._dataloader = dataloader
        self._iterator = iter(dataloader)
        self._epoch = 0

    def __iter__(self) -> '_InfiniteDataloaderIterator':
        return self

    def __next__(self) -> Any:
        try:
            return next(self._iterator)
        except StopIteration:
            print_log('Reach the end of the dataloader, it will be restarted and continue to iterate. It is '
                      'recommended to use `mmengine.dataset.InfiniteSampler` to enable the dataloader to '
                      'iterate infinitely.', level=logging.WARNING)
            self._epoch += 1
            sampler = getattr(self._dataloader, 'sampler', None)
            if not hasattr(sampler, 'set_epoch'):
                sampler = getattr(getattr(self._dataloader, 'batch_sampler', None), 'sampler', None)
            if hasattr(sampler, 'set_epoch'):
                sampler.set_epoch(self._epoch)
            self._iterator = iter(self._dataloader)
            return next(self._iterator)


@LOOPS.register_module()
class IterBasedTrainLoop(_TrainLoop):
    """``max_iters`` iterations over an endlessly restarted dataloader; the epoch counter stays 0."""

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
        if self._iter > 0:
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

    def run_iter(self, data_batch: Any) -> None:
        runner = self.runner
        runner.call_hook('before_train_iter', batch_idx=self._iter, data_batch=data_batch)
        outputs = runner.model.train_step(data_batch, optim_wrapper=runner.optim_wrapper)
        runner.call_hook('after_train_iter', batch_idx=self._iter, data_batch=data_batch, outputs=outputs)
        self._iter += 1


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
        bar = tty_progress(len(self.dataloader))
        for idx, data_batch in enumerate(self.dataloader):
            self.run_iter(idx, data_batch)
            if bar is not None:
                bar.update()
        if bar is not None:
            bar.finish()
        metrics = self.evaluator.evaluate(len(self.dataloader.dataset))
        if self.losses:
            metrics.update(_loss_metrics(self.losses, mode))
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
