"""ProfilerHook: profile the first ``profile_iters`` epochs or iterations with ``torch.profiler``."""
import warnings
from typing import Any, Callable, Dict, List, Optional, Union

import torch

from ..dist import master_only
from .hook import HOOKS, Hook


@HOOKS.register_module()
class ProfilerHook(Hook):
    """Run ``torch.profiler.profile`` from ``before_run`` until ``profile_iters`` epochs/iters are done.

    Args:
        by_epoch: count ``profile_iters`` in epochs (True) or iterations.
        profile_iters: how many epochs/iterations to profile (>= 1).
        activities: 'cpu' and/or 'cuda'. 'cuda' is dropped with a warning when CUDA is absent.
        schedule: kwargs of ``torch.profiler.schedule``.
        on_trace_ready: a callable, ``dict(type='log_trace', **table_kwargs)`` (print the
            key-averages table) or ``dict(type='tb_trace', **kwargs)`` (tensorboard handler).
        record_shapes, profile_memory, with_stack, with_flops: passed to the profiler.
        json_trace_path: export a chrome trace there when profiling stops.
    """

    def __init__(self, by_epoch: bool = True, profile_iters: int = 1,
                 activities: List[str] = ['cpu', 'cuda'],  # noqa: B006 (mmcv's signature)
                 schedule: Optional[Dict] = None, on_trace_ready: Union[None, Callable, Dict] = None,
                 record_shapes: bool = False, profile_memory: bool = False, with_stack: bool = False,
                 with_flops: bool = False, json_trace_path: Optional[str] = None) -> None:
        from torch import profiler

        assert isinstance(by_epoch, bool), '``by_epoch`` should be a boolean.'
        self.by_epoch = by_epoch
        if profile_iters < 1:
            raise ValueError(f'profile_iters should be greater than 0, but got {profile_iters}')
        self.profile_iters = profile_iters
        if not isinstance(activities, list):
            raise ValueError(f'activities should be list, but got {type(activities)}')
        self.activities = []
        for activity in activities:
            activity = activity.lower()
            if activity == 'cpu':
                self.activities.append(profiler.ProfilerActivity.CPU)
            elif activity == 'cuda':
                if torch.cuda.is_available():
                    self.activities.append(profiler.ProfilerActivity.CUDA)
                else:
                    warnings.warn('CUDA is not available: ProfilerHook profiles CPU activities only.')
            else:
                raise ValueError(f'activity should be "cpu" or "cuda", but got {activity}')
        self.schedule = profiler.schedule(**schedule) if schedule is not None else None
        self.on_trace_ready = on_trace_ready
        self.record_shapes = record_shapes
        self.profile_memory = profile_memory
        self.with_stack = with_stack
        self.with_flops = with_flops
        self.json_trace_path = json_trace_path
        self.profiler: Any = None

    def _trace_handler(self) -> Optional[Callable]:
        if callable(self.on_trace_ready):
            return self.on_trace_ready
        if self.on_trace_ready is None:
            return None
        if not isinstance(self.on_trace_ready, dict):
            raise ValueError('on_trace_ready should be handler, dict or None, '
                             f'but got {type(self.on_trace_ready)}')
        trace_cfg = self.on_trace_ready.copy()
        trace_type = trace_cfg.pop('type')
        if trace_type == 'log_trace':
            def log_handler(prof: Any) -> None:
                print(prof.key_averages().table(**trace_cfg))

            return log_handler
        if trace_type == 'tb_trace':
            try:
                import torch_tb_profiler  # noqa: F401
            except ImportError as e:
                raise ImportError('please run "pip install torch-tb-profiler" to enable "tb_trace"') from e
            return torch.profiler.tensorboard_trace_handler(**trace_cfg)
        raise ValueError(f'trace_type should be "log_trace" or "tb_trace", but got {trace_type}')

    @master_only
    def before_run(self, runner: Any) -> None:
        if self.by_epoch and runner.max_epochs < self.profile_iters:
            raise ValueError(f'self.profile_iters should not be greater than {runner.max_epochs}')
        if not self.by_epoch and runner.max_iters < self.profile_iters:
            raise ValueError(f'self.profile_iters should not be greater than {runner.max_iters}')
        handler = self._trace_handler()
        # mmcv compares max_epochs > 1 unguarded, which fails for IterBasedRunner (max_epochs None).
        if runner.max_epochs is not None and runner.max_epochs > 1:
            warnings.warn(f'profiler will profile {runner.max_epochs} epochs instead of 1 epoch. Since '
                          'profiler will slow down the training, it is recommended to train 1 epoch '
                          'with ProfilerHook and adjust your setting according to the profiler summary. '
                          'During normal training (epoch > 1), you may disable the ProfilerHook.')
        self.profiler = torch.profiler.profile(
            activities=self.activities, schedule=self.schedule, on_trace_ready=handler,
            record_shapes=self.record_shapes, profile_memory=self.profile_memory,
            with_stack=self.with_stack, with_flops=self.with_flops)
        self.profiler.__enter__()
        runner.logger.info('profiler is profiling...')

    def _stop(self, runner: Any) -> None:
        runner.logger.info('profiler may take a few minutes...')
        self.profiler.__exit__(None, None, None)
        if self.json_trace_path is not None:
            self.profiler.export_chrome_trace(self.json_trace_path)
        # stop stepping a finished profiler (a schedule could otherwise restart tracing)
        self.profiler = None

    @master_only
    def after_train_epoch(self, runner: Any) -> None:
        if self.profiler is not None and self.by_epoch and runner.epoch == self.profile_iters - 1:
            self._stop(runner)

    @master_only
    def after_train_iter(self, runner: Any) -> None:
        if self.profiler is None:
            return
        self.profiler.step()
        if not self.by_epoch and runner.iter == self.profile_iters - 1:
            self._stop(runner)
