"""BaseRunner: the state, hook machinery and checkpoint plumbing shared by the mmcv 1.x runners.

Deliberate differences from mmcv 1.7.2 (everything else is meant to match it):
- the ``register_*_hook`` methods work on deep copies, so the caller's config dicts are never
  modified (mmcv pops ``policy`` and sets ``type``/``by_epoch`` in place);
- ``resume(map_location='default')`` uses CUDA only when it is available;
- ``call_hook`` for the standard stages only calls the hooks that implement the stage (the result
  is identical: the skipped calls are the base class no-ops);
- ``save_checkpoint`` copies the ``meta`` argument instead of updating the caller's dict;
- nothing sleeps (mmcv sleeps 2s per epoch and 1s before after_run).
"""
import copy
import logging
import os.path as osp
import warnings
from abc import ABCMeta, abstractmethod
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
from torch.optim import Optimizer

from .. import continuation
from ..checkpoint import link_latest, load_checkpoint, save_checkpoint
from ..dist import get_dist_info, get_host_info, get_time_str
from ..hook_base import GENERIC_STAGES
from ..hooks import HOOKS, Hook
from ..hooks.optimizer import OptimizerHook
from ..loss_checks import check_losses, check_train_outputs
from ..parallel import is_module_wrapper
from ..registry import build_from_cfg
from ..utils.misc import is_list_of, is_str, mkdir_or_exist
from ..utils.priority import Priority, get_priority, hook_table, insert_hook
from .log_buffer import LogBuffer

# The mode-specific stages that the Hook base forwards to a generic method.
_GENERIC_STAGE = {stage: method for method, stages in GENERIC_STAGES.items() for stage in stages}
_STAGES = frozenset(Hook.stages)

HookCfg = Union[None, Dict, Hook]


def _implements(hook: Any, stage: str) -> bool:
    """False only when calling ``stage`` on ``hook`` is certainly the Hook base no-op.

    Checks the class (for the stage and the generic method it forwards to) and the instance
    ``__dict__`` (ClosureHook and mocks set methods on the instance).
    """
    names = (stage, _GENERIC_STAGE[stage]) if stage in _GENERIC_STAGE else (stage,)
    inst = getattr(hook, '__dict__', {})
    cls = type(hook)
    return any(n in inst or getattr(cls, n, None) is not getattr(Hook, n) for n in names)


class BaseRunner(metaclass=ABCMeta):
    """Holds model, optimizer, hooks and counters; subclasses implement the loops.

    ``epoch``, ``iter`` and ``inner_iter`` are 0-based counts of completed units.
    """

    def __init__(self, model: torch.nn.Module, batch_processor: Optional[Callable] = None,
                 optimizer: Union[None, Optimizer, Dict[str, Optimizer]] = None,
                 work_dir: Optional[str] = None, logger: Optional[logging.Logger] = None,
                 meta: Optional[Dict] = None, max_iters: Optional[int] = None,
                 max_epochs: Optional[int] = None) -> None:
        if batch_processor is not None:
            if not callable(batch_processor):
                raise TypeError(f'batch_processor must be callable, but got {type(batch_processor)}')
            warnings.warn('batch_processor is deprecated, please implement train_step() and '
                          'val_step() in the model instead.', DeprecationWarning)
            _model = model.module if is_module_wrapper(model) else model
            if hasattr(_model, 'train_step') or hasattr(_model, 'val_step'):
                raise RuntimeError('batch_processor and model.train_step()/model.val_step() '
                                   'cannot be both available.')
        else:
            assert hasattr(model, 'train_step')

        if isinstance(optimizer, dict):
            for name, optim in optimizer.items():
                if not isinstance(optim, Optimizer):
                    raise TypeError('optimizer must be a dict of torch.optim.Optimizers, '
                                    f'but optimizer["{name}"] is a {type(optim)}')
        elif not isinstance(optimizer, Optimizer) and optimizer is not None:
            raise TypeError('optimizer must be a torch.optim.Optimizer object or dict or None, '
                            f'but got {type(optimizer)}')
        if not isinstance(logger, logging.Logger):
            raise TypeError(f'logger must be a logging.Logger object, but got {type(logger)}')
        if meta is not None and not isinstance(meta, dict):
            raise TypeError(f'meta must be a dict or None, but got {type(meta)}')

        self.model = model
        self.batch_processor = batch_processor
        self.optimizer = optimizer
        self.logger = logger
        self.meta = meta
        if is_str(work_dir):
            self.work_dir: Optional[str] = osp.abspath(work_dir)
            mkdir_or_exist(self.work_dir)
        elif work_dir is None:
            self.work_dir = None
        else:
            raise TypeError('"work_dir" must be a str or None')

        if hasattr(self.model, 'module'):
            self._model_name = self.model.module.__class__.__name__
        else:
            self._model_name = self.model.__class__.__name__

        self._rank, self._world_size = get_dist_info()
        self.timestamp = get_time_str()
        self.mode: Optional[str] = None
        self._hooks: List[Hook] = []
        self._epoch = 0
        self._iter = 0
        self._inner_iter = 0
        if max_epochs is not None and max_iters is not None:
            raise ValueError('Only one of `max_epochs` or `max_iters` can be set.')
        self._max_epochs = max_epochs
        self._max_iters = max_iters
        self.log_buffer = LogBuffer()
        self._stage_hooks: Dict[str, List[Hook]] = {}
        self._stage_hooks_key: Tuple[int, int] = (0, -1)
        # Exact continuation (legacy_runner.continuation): where the loops are, so that a
        # checkpoint saved at a train iteration/epoch boundary can record how to continue.
        self._save_point: Optional[str] = None  # 'iter' / 'epoch' while those hooks run
        self._running_hook: Optional[Hook] = None  # the hook call_hook is in
        self._workflow_pos: Tuple[int, int] = (0, 0)  # (workflow entry, units done before)
        self._train_pass: Any = None  # the ResumablePass of the running train epoch
        self._continuation: Optional[Dict] = None  # a loaded record, consumed by run()
        self._rank_parts: Optional[List[Any]] = None  # every rank's part, for the next save
        self._grads_restored = False  # an open accumulation window came back with a resume
        self._train_data: Any = None  # the train phase's data loader, described in each record

    # ------------------------------------------------------------------------------ properties
    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def rank(self) -> int:
        return self._rank

    @property
    def world_size(self) -> int:
        return self._world_size

    @property
    def hooks(self) -> List[Hook]:
        return self._hooks

    @property
    def epoch(self) -> int:
        return self._epoch

    @property
    def iter(self) -> int:
        return self._iter

    @property
    def inner_iter(self) -> int:
        return self._inner_iter

    @property
    def max_epochs(self) -> Optional[int]:
        return self._max_epochs

    @property
    def max_iters(self) -> Optional[int]:
        return self._max_iters

    # ---------------------------------------------------------------------------- abstract API
    @abstractmethod
    def train(self, data_loader: Any, **kwargs: Any) -> None:
        pass

    @abstractmethod
    def val(self, data_loader: Any, **kwargs: Any) -> None:
        pass

    @abstractmethod
    def run(self, data_loaders: List[Any], workflow: List[Tuple[str, int]], **kwargs: Any) -> Any:
        pass

    @abstractmethod
    def save_checkpoint(self, out_dir: str, filename_tmpl: str, save_optimizer: bool = True,
                        meta: Optional[Dict] = None, create_symlink: bool = True) -> None:
        pass

    # ------------------------------------------------------------------------ optimizer state
    def current_lr(self) -> Union[List[float], Dict[str, List[float]]]:
        """Learning rate of every param group (a dict of lists for a dict of optimizers)."""
        if isinstance(self.optimizer, Optimizer):
            return [group['lr'] for group in self.optimizer.param_groups]
        if isinstance(self.optimizer, dict):
            return {name: [g['lr'] for g in optim.param_groups] for name, optim in self.optimizer.items()}
        raise RuntimeError('lr is not applicable because optimizer does not exist.')

    def current_momentum(self) -> Union[List[float], Dict[str, List[float]]]:
        """``momentum``, else ``betas[0]``, else 0 per param group."""

        def momentums(optimizer: Optimizer) -> List[float]:
            values = []
            for group in optimizer.param_groups:
                if 'momentum' in group:
                    values.append(group['momentum'])
                elif 'betas' in group:
                    values.append(group['betas'][0])
                else:
                    values.append(0)
            return values

        if self.optimizer is None:
            raise RuntimeError('momentum is not applicable because optimizer does not exist.')
        if isinstance(self.optimizer, Optimizer):
            return momentums(self.optimizer)
        return {name: momentums(optim) for name, optim in self.optimizer.items()}

    # ----------------------------------------------------------------------------------- hooks
    def register_hook(self, hook: Hook, priority: Union[int, str, Priority] = 'NORMAL') -> None:
        """Insert ``hook`` after every hook whose priority is <= its own (ties stay FIFO)."""
        assert isinstance(hook, Hook)
        if hasattr(hook, 'priority'):
            raise ValueError('"priority" is a reserved attribute for hooks')
        hook.priority = get_priority(priority)  # type: ignore[attr-defined]
        insert_hook(self._hooks, hook)
        self._stage_hooks.clear()

    def register_hook_from_cfg(self, hook_cfg: Dict) -> None:
        """Build a hook from ``hook_cfg`` (its ``priority`` key, default 'NORMAL') and register it."""
        hook_cfg = hook_cfg.copy()
        priority = hook_cfg.pop('priority', 'NORMAL')
        self.register_hook(build_from_cfg(hook_cfg, HOOKS), priority=priority)

    def _hooks_for(self, stage: str) -> List[Hook]:
        # The cache is also dropped when _hooks is replaced or changes length behind our back.
        key = (id(self._hooks), len(self._hooks))
        if key != self._stage_hooks_key:
            self._stage_hooks.clear()
            self._stage_hooks_key = key
        hooks = self._stage_hooks.get(stage)
        if hooks is None:
            hooks = [h for h in self._hooks if _implements(h, stage)]
            self._stage_hooks[stage] = hooks
        return hooks

    def call_hook(self, fn_name: str) -> None:
        """Call ``fn_name(self)`` on the hooks in priority order.

        For the standard stages only the hooks that implement the stage are called; any other
        name is called on every hook, as in mmcv.
        """
        hooks = self._hooks_for(fn_name) if fn_name in _STAGES else self._hooks
        outer = self._running_hook  # a hook may call call_hook itself: its caller is still running
        for hook in hooks:
            self._running_hook = hook
            getattr(hook, fn_name)(self)
        self._running_hook = outer

    def get_hook_info(self) -> str:
        """The per-stage hook table that ``run()`` logs (mmcv's exact text)."""
        return hook_table(self.hooks, Hook.stages)

    # The register_* methods change the caller's config dicts as mmcv does ('policy' becomes 'type',
    # 'type' and IterBasedRunner's by_epoch=False are filled in): old code may read them back.
    def _register_policy_hook(self, cfg: HookCfg, suffix: str, priority: str) -> None:
        if cfg is None:
            return
        if isinstance(cfg, dict):
            assert 'policy' in cfg
            policy = cfg.pop('policy')
            # Only all-lowercase names are title-cased ('step' -> 'Step'; 'onecycle' -> 'Onecycle').
            if policy == policy.lower():
                policy = policy.title()
            cfg['type'] = policy + suffix
            hook = build_from_cfg(cfg, HOOKS)
        else:
            hook = cfg
        self.register_hook(hook, priority=priority)

    def _register_typed_hook(self, cfg: HookCfg, default_type: str, priority: str) -> None:
        if cfg is None:
            return
        if isinstance(cfg, dict):
            cfg.setdefault('type', default_type)
            hook = build_from_cfg(cfg, HOOKS)
        else:
            hook = cfg
        self.register_hook(hook, priority=priority)

    def register_lr_hook(self, lr_config: HookCfg) -> None:
        self._register_policy_hook(lr_config, 'LrUpdaterHook', 'VERY_HIGH')

    def register_momentum_hook(self, momentum_config: HookCfg) -> None:
        self._register_policy_hook(momentum_config, 'MomentumUpdaterHook', 'HIGH')

    def register_optimizer_hook(self, optimizer_config: HookCfg) -> None:
        self._register_typed_hook(optimizer_config, 'OptimizerHook', 'ABOVE_NORMAL')

    def register_checkpoint_hook(self, checkpoint_config: HookCfg) -> None:
        self._register_typed_hook(checkpoint_config, 'CheckpointHook', 'NORMAL')

    def register_timer_hook(self, timer_config: HookCfg) -> None:
        if timer_config is None:
            return
        hook = build_from_cfg(copy.deepcopy(timer_config), HOOKS) if isinstance(timer_config, dict) \
            else timer_config
        self.register_hook(hook, priority='LOW')

    def register_logger_hooks(self, log_config: Optional[Dict]) -> None:
        """One hook per ``log_config['hooks']`` entry; the entry's own ``interval`` wins."""
        if log_config is None:
            return
        interval = log_config['interval']
        for info in log_config['hooks']:
            hook = build_from_cfg(info, HOOKS, default_args=dict(interval=interval))
            self.register_hook(hook, priority='VERY_LOW')

    def register_custom_hooks(self, custom_config: Union[None, Dict, Hook, List]) -> None:
        if custom_config is None:
            return
        if not isinstance(custom_config, list):
            custom_config = [custom_config]
        for item in custom_config:
            if isinstance(item, dict):
                self.register_hook_from_cfg(item)
            else:
                self.register_hook(item, priority='NORMAL')

    def register_profiler_hook(self, profiler_config: HookCfg) -> None:
        self._register_typed_hook(profiler_config, 'ProfilerHook', 'NORMAL')

    def register_training_hooks(self, lr_config: HookCfg, optimizer_config: HookCfg = None,
                                checkpoint_config: HookCfg = None, log_config: Optional[Dict] = None,
                                momentum_config: HookCfg = None,
                                timer_config: HookCfg = dict(type='IterTimerHook'),  # noqa: B006 (mmcv default; never mutated)
                                custom_hooks_config: Union[None, Dict, Hook, List] = None) -> None:
        """Register the default hooks: lr, momentum, optimizer, checkpoint, timer, loggers, custom.

        Keep the positional order: mmdet passes (lr, optimizer, checkpoint, log, momentum).
        """
        self.register_lr_hook(lr_config)
        self.register_momentum_hook(momentum_config)
        self.register_optimizer_hook(optimizer_config)
        self.register_checkpoint_hook(checkpoint_config)
        self.register_timer_hook(timer_config)
        self.register_logger_hooks(log_config)
        self.register_custom_hooks(custom_hooks_config)

    # ------------------------------------------------------------------------------ checkpoints
    def load_checkpoint(self, filename: str, map_location: Any = 'cpu', strict: bool = False,
                        revise_keys: List[Tuple[str, str]] = [(r'^module.', '')]) -> Dict:  # noqa: B006 (mmcv default; never mutated)
        return load_checkpoint(self.model, filename, map_location, strict, self.logger,
                               revise_keys=revise_keys)

    def _load_for_resume(self, checkpoint: str, map_location: Any) -> Dict:
        if map_location == 'default':
            if torch.cuda.is_available():
                device_id = torch.cuda.current_device()
                return self.load_checkpoint(
                    checkpoint, map_location=lambda storage, loc: storage.cuda(device_id))
            return self.load_checkpoint(checkpoint)
        return self.load_checkpoint(checkpoint, map_location=map_location)

    def _resume_optimizer(self, checkpoint: Dict, resume_optimizer: bool) -> None:
        if 'optimizer' not in checkpoint or not resume_optimizer:
            return
        if isinstance(self.optimizer, Optimizer):
            self.optimizer.load_state_dict(checkpoint['optimizer'])
        elif isinstance(self.optimizer, dict):
            for name in self.optimizer:
                self.optimizer[name].load_state_dict(checkpoint['optimizer'][name])
        else:
            raise TypeError('Optimizer should be dict or torch.optim.Optimizer '
                            f'but got {type(self.optimizer)}')

    def resume(self, checkpoint: str, resume_optimizer: bool = True,
               map_location: Any = 'default') -> None:
        """Restore epoch, iter, the whole meta and the optimizer state from ``checkpoint``.

        When the saved config lists ``gpu_ids`` of a different length than the current world
        size, ``iter`` is rescaled so iteration-based schedules continue at the same sample count.
        A checkpoint saved by these runners at a train iteration or epoch boundary also carries
        a continuation record: the run then continues exactly where it stopped (see
        ``legacy_runner.continuation``) instead of mmcv's approximate restart.
        """
        checkpoint_path = checkpoint
        checkpoint = self._load_for_resume(checkpoint, map_location)
        ckpt_meta = checkpoint['meta']
        self._epoch = ckpt_meta['epoch']
        self._iter = ckpt_meta['iter']
        if 'config' in ckpt_meta and continuation.KEY not in ckpt_meta:
            from ..config import Config  # imported late: only resume needs the config parser
            config = Config.fromstring(ckpt_meta['config'], file_format='.py')
            previous_gpu_ids = config.get('gpu_ids', None)
            if previous_gpu_ids and len(previous_gpu_ids) != self.world_size:
                self._iter = int(self._iter * len(previous_gpu_ids) / self.world_size)
                self.logger.info('the iteration number is changed due to change of GPU number')
        # mmcv merges hook_msgs into the old meta and then replaces meta wholesale anyway.
        self.meta = ckpt_meta
        self._resume_optimizer(checkpoint, resume_optimizer)
        self._load_continuation(ckpt_meta, str(checkpoint_path))
        self.logger.info('resumed epoch %d, iter %d', self.epoch, self.iter)

    def _save_checkpoint(self, out_dir: str, filename: str, save_optimizer: bool,
                         meta: Optional[Dict], create_symlink: bool) -> None:
        # Shared by both runners; they differ only in the file name and argument order.
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise TypeError(f'meta should be a dict or None, but got {type(meta)}')
        if self.meta is not None:  # the caller's dict is updated, as mmcv does
            meta.update(self.meta)
        meta.update(epoch=self.epoch + 1, iter=self.iter)
        saved = dict(meta)
        saved.pop(continuation.KEY, None)  # a record only describes the moment it was taken
        if self._save_point is not None:
            saved[continuation.KEY] = self._continuation_record()
        filepath = osp.join(out_dir, filename)
        optimizer = self.optimizer if save_optimizer else None
        save_checkpoint(self.model, filepath, optimizer=optimizer, meta=saved)
        if create_symlink:
            # Only after the file is complete; relative target, as mmcv.
            link_latest(filename, osp.join(out_dir, 'latest.pth'))

    # ------------------------------------------------------------------------ exact continuation
    def _record_position(self) -> Dict[str, Any]:
        """Counters and workflow position to continue from; runner-specific."""
        raise NotImplementedError

    def _params(self) -> List[torch.nn.Parameter]:
        return list(self.model.parameters())

    def _accumulating(self) -> bool:
        # gradients outlive an iteration only inside an accumulation window; where a window has
        # just closed, zero_grad() left them None and storing them costs nothing
        return any(getattr(h, 'cumulative_iters', 1) > 1 for h in self._hooks)

    def _rank_part(self) -> Dict[str, Any]:
        # what differs between ranks: the RNG streams, including those a pass order came from
        pending = self._pending_evaluations()
        if not pending:
            return continuation.rank_part(self._record_position())
        with continuation.rng_preserved():
            for hook in pending:
                continuation.draw_as_a_pass(hook.dataloader)
            return continuation.rank_part(self._record_position())

    def _pending_evaluations(self) -> List[Any]:
        """The evaluation hooks that run after the saving hook at this boundary. Their passes draw
        from the global RNGs (as in mmcv); a resume does not repeat them, so the record holds the
        RNG state after those draws (exact unless the model itself draws while evaluating)."""
        from ..hooks.evaluation import EvalHook
        stage = {'iter': 'after_train_iter', 'epoch': 'after_train_epoch'}.get(self._save_point or '')
        if stage is None or self._running_hook is None:
            return []
        hooks = self._hooks_for(stage)
        if self._running_hook not in hooks:
            return []
        later = hooks[hooks.index(self._running_hook) + 1:]
        return [h for h in later if isinstance(h, EvalHook) and h.by_epoch == (stage == 'after_train_epoch')
                and h._should_evaluate(self)]

    def gather_continuation(self) -> None:
        """Collect every rank's part of the continuation record for the save that follows.

        A collective: the hooks that save at a training boundary call it on every rank before
        the rank-0-only write. Without it the record holds rank 0's RNG streams for all ranks,
        exact only when the ranks draw alike (the same seed, no ``--diff-seed``).
        """
        self._rank_parts = None
        if self._save_point is not None:
            self._rank_parts = continuation.gather_rank_parts(self._rank_part())

    def _continuation_record(self) -> Dict[str, Any]:
        parts, self._rank_parts = self._rank_parts, None
        record = continuation.new_record('v1', self.world_size, self._rank_part(), parts,
                                         loop_kind=self.loop_kind)
        if self._train_data is not None:  # what the pass position means (checked on resume)
            record['data'] = continuation.loader_shape(self._train_data)
        record['log_buffer'] = dict(val={k: list(v) for k, v in self.log_buffer.val_history.items()},
                                    n={k: list(v) for k, v in self.log_buffer.n_history.items()})
        if self._accumulating():
            record['grads'] = continuation.pending_grads(self._params())
        return record

    def _load_continuation(self, meta: Dict, filename: str) -> None:
        def refuse(record: Dict[str, Any]) -> None:
            self.logger.warning('%s was written by the %s runtime: its position cannot be '
                                'continued exactly here; resuming with mmcv semantics',
                                filename, record.get('runtime'))

        # popped: not part of the run's meta (logged as JSON); none in files written by real mmcv
        # (or outside a loop): mmcv's resume semantics
        record = continuation.accept_record(meta.pop(continuation.KEY, None), 'v1', self.world_size,
                                            self.rank, filename, refuse)
        if record is None:
            return
        # mmcv's counters (from meta), for a fallback when the run turns out to differ (run())
        record['mmcv_counters'] = (self._epoch, self._iter)
        record['filename'] = filename
        self._epoch, self._iter = record['epoch'], record['iter']
        self._inner_iter = record['inner_iter']
        self._continuation = record

    def _continue(self, record: Dict[str, Any]) -> None:
        """Put back what the loop setup cannot rebuild, last, just before the next iteration."""
        buffer = self.log_buffer
        buffer.clear()
        for key, values in record['log_buffer']['val'].items():
            buffer.val_history[key] = list(values)
            buffer.n_history[key] = list(record['log_buffer']['n'][key])
        if 'grads' in record:
            continuation.restore_grads(self._params(), record['grads'])
            self._grads_restored = any(g is not None for g in record['grads'])
        continuation.set_rng_state(record['rng'])

    loop_kind: Optional[str] = None  # 'epoch' | 'iter': how the subclass records a position

    def _check_continuation(self, data_loaders: List[Any], workflow: List[Tuple[str, int]]) -> None:
        """At the start of run(), before a loaded record is used: the train loader (batch size,
        dataset length) and the runner kind it was written with still hold. Where they do not, the
        run goes on the closest sensible way, with a warning that says what is no longer exact."""
        self._train_data = next((loader for loader, (mode, _) in zip(data_loaders, workflow)
                                 if mode == 'train'), None)
        record = self._continuation
        if record is None:
            return
        name = record.get('filename', 'the checkpoint')
        saved_kind = record.get('loop_kind') or ('iter' if 'loaders' in record else 'epoch')
        if saved_kind != self.loop_kind:
            self._continuation_fallback(
                record, f'{name} was saved by an {saved_kind}-based runner, this run is '
                        f'{self.loop_kind}-based')
            return
        now = continuation.loader_shape(self._train_data)
        changes = continuation.shape_changes(record.get('data'), now)
        if not changes:
            return
        changed = ', '.join(changes)
        if self.loop_kind == 'iter':
            # the position inside a pass over the old data means nothing in the new one
            record['loaders'] = [None] * len(record.get('loaders') or data_loaders)
            msg = (f'{name}: the train data changed since it was saved ({changed}): continuing at '
                   f'iteration {self.iter} with a fresh pass over the data; not an exact continuation')
        elif record.get('in_epoch'):
            self._continuation_fallback(record, f'{name}: the train data changed since it was saved '
                                                f'({changed}), the position inside epoch '
                                                f'{record["epoch"] + 1} cannot be kept')
            return
        else:
            msg = (f'{name}: the train data changed since it was saved ({changed}): continuing at '
                   f'the epoch boundary (epoch {self.epoch + 1}); from there on the run differs from '
                   'an uninterrupted one')
        self.logger.warning(msg)
        warnings.warn(msg)

    def _continuation_fallback(self, record: Dict[str, Any], why: str) -> None:
        """Drop ``record`` and resume as mmcv does from the checkpoint's meta counters."""
        self._continuation = None
        self._epoch, self._iter = record.get('mmcv_counters', (self._epoch, self._iter))
        self._inner_iter = 0
        msg = (f'{why}: resuming with mmcv semantics instead (epoch {self._epoch}, iteration '
               f'{self._iter}; not an exact continuation)')
        self.logger.warning(msg)
        warnings.warn(msg)

    def _take_continuation(self) -> Optional[Dict[str, Any]]:
        record, self._continuation = self._continuation, None
        return record

    # ------------------------------------------------------------------------------- run loop
    def _store_outputs(self, outputs: Any, error: str) -> None:
        if not isinstance(outputs, dict):
            raise TypeError(error)
        if self.mode == 'train':  # before any hook steps the optimizer or saves a checkpoint
            if 'loss' in outputs or any(isinstance(h, OptimizerHook) for h in self._hooks):
                check_train_outputs(outputs)
            check_losses(outputs.get('log_vars'), self.iter + 1, self.epoch + 1)
        if 'log_vars' in outputs:
            self.log_buffer.update(outputs['log_vars'], outputs['num_samples'])
        self.outputs = outputs

    @staticmethod
    def _check_run_args(data_loaders: Any, workflow: Any) -> None:
        assert isinstance(data_loaders, list)
        assert is_list_of(workflow, tuple)
        assert len(data_loaders) == len(workflow)

    def _start_run(self, workflow: List[Tuple[str, int]], max_fmt: str, max_value: int) -> None:
        # Rebuild the dispatch tables once per run: hooks may have been patched since registration.
        self._stage_hooks.clear()
        work_dir = self.work_dir if self.work_dir is not None else 'NONE'
        self.logger.info('Start running, host: %s, work_dir: %s', get_host_info(), work_dir)
        if self.logger.isEnabledFor(logging.INFO):  # the table is only built when it is written
            self.logger.info('Hooks will be executed in the following order:\n%s', self.get_hook_info())
        self.logger.info(max_fmt, workflow, max_value)
