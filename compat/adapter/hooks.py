"""v1 custom hooks inside the v2 loops (conversion rules: v1 hooks on v2), and the dataset binder for
V1DatasetMetric.

:class:`V1HookAdapter` calls the v1 hook's methods at the v2 stages (``before_run`` at
``before_train``, the train epoch/iter stages 1:1, ``after_run`` 1:1; val stages only with
``forward_val=True``) and hands it a :class:`V1RunnerShim` exposing the v1 ``runner`` attributes.
Only the stages the v1 hook overrides are registered (the v2 dispatch is precomputed per stage).
"""
import weakref
from typing import Any, Dict, List, Optional, Sequence, Union

from compat.v2.hooks import Hook
from compat.v2.registry import HOOKS
from legacy_runner.hooks.hook import HOOKS as V1_HOOKS
from legacy_runner.hooks.hook import Hook as V1Hook
from legacy_runner.utils.misc import is_method_overridden

from .bridges import bind_v1_datasets

# v2 stage -> the v1 methods whose override means the stage must be forwarded
_TRAIN_STAGES = {
    'before_train': ('before_run', ),
    'after_run': ('after_run', ),
    'before_train_epoch': ('before_train_epoch', 'before_epoch'),
    'after_train_epoch': ('after_train_epoch', 'after_epoch'),
    'before_train_iter': ('before_train_iter', 'before_iter'),
    'after_train_iter': ('after_train_iter', 'after_iter'),
}
_VAL_STAGES = {
    'before_val_epoch': ('before_val_epoch', 'before_epoch'),
    'after_val_epoch': ('after_val_epoch', 'after_epoch'),
    'before_val_iter': ('before_val_iter', 'before_iter'),
    'after_val_iter': ('after_val_iter', 'after_iter'),
}


class _LogBufferShim:
    """``runner.log_buffer`` for v1 hooks: ``update`` goes to the v2 message hub."""

    def __init__(self, runner: Any) -> None:
        self._runner = runner
        self.output: Dict[str, Any] = {}
        self.ready = False

    def update(self, vars: Dict[str, Any], count: int = 1) -> None:
        for key, value in vars.items():
            self._runner.message_hub.update_scalar(f'train/{key}', value, count)

    def clear(self) -> None:
        self.output.clear()

    def clear_output(self) -> None:
        self.output.clear()
        self.ready = False

    def average(self, n: int = 0) -> None:
        self.ready = True


class V1RunnerShim:
    """The v1 ``runner`` surface over a v2 Runner (conversion rules: v1 hooks on v2); unknown attributes
    fall through to it."""

    def __init__(self, runner: Any) -> None:
        self._runner = runner
        # what the v1 train flow put in runner.meta (hooks read exp_name/seed); saved into checkpoints
        self.meta: Dict[str, Any] = dict(seed=getattr(runner, 'seed', None),
                                         exp_name=getattr(runner, 'experiment_name', None))
        self.mode = 'train'
        self.inner_iter = 0
        self.data_batch: Any = None
        self.outputs: Dict[str, Any] = {}
        self.log_buffer = _LogBufferShim(runner)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__['_runner'], name)

    epoch = property(lambda self: self._runner.epoch)
    iter = property(lambda self: self._runner.iter)
    max_epochs = property(lambda self: self._runner.max_epochs)
    max_iters = property(lambda self: self._runner.max_iters)
    _max_epochs = property(lambda self: self._runner.max_epochs)
    _max_iters = property(lambda self: self._runner.max_iters)
    _epoch = property(lambda self: self._runner.epoch)
    _iter = property(lambda self: self._runner.iter)
    model = property(lambda self: self._runner.model)
    work_dir = property(lambda self: self._runner.work_dir)
    logger = property(lambda self: self._runner.logger)
    rank = property(lambda self: self._runner.rank)
    world_size = property(lambda self: self._runner.world_size)
    timestamp = property(lambda self: self._runner.timestamp)

    @property
    def _inner_iter(self) -> int:
        return self.inner_iter

    @property
    def optimizer(self) -> Any:
        wrapper = self._runner.optim_wrapper
        if hasattr(wrapper, 'optimizer'):
            return wrapper.optimizer
        if hasattr(wrapper, 'items'):
            return {k: w.optimizer for k, w in wrapper.items()}
        return wrapper

    @property
    def data_loader(self) -> Any:
        return self._runner.train_dataloader if self.mode == 'train' else self._runner.val_dataloader

    @property
    def hooks(self) -> List[Any]:
        return self._runner.hooks

    _hooks = hooks

    def register_hook(self, hook: Any, priority: Any = None) -> None:
        self._runner.register_hook(hook, priority)

    def _groups(self) -> Union[List[Dict], Dict[str, List[Dict]]]:
        opt = self.optimizer
        if isinstance(opt, dict):
            return {k: o.param_groups for k, o in opt.items()}
        return opt.param_groups

    def current_lr(self) -> Union[List[float], Dict[str, List[float]]]:
        groups = self._groups()
        if isinstance(groups, dict):
            return {k: [g['lr'] for g in v] for k, v in groups.items()}
        return [g['lr'] for g in groups]

    def current_momentum(self) -> Union[List[float], Dict[str, List[float]]]:
        def one(gs: Sequence[Dict]) -> List[float]:
            return [g['momentum'] if 'momentum' in g else g.get('betas', (0.0, ))[0] for g in gs]
        groups = self._groups()
        return {k: one(v) for k, v in groups.items()} if isinstance(groups, dict) else one(groups)

    def save_checkpoint(self, out_dir: str, filename_tmpl: str = 'epoch_{}.pth', save_optimizer: bool = True,
                        meta: Optional[Dict] = None, create_symlink: bool = True) -> None:
        """v1 signature onto v2 ``save_checkpoint``; ``create_symlink`` is not supported (ignored)."""
        by_epoch = 'epoch' in filename_tmpl
        number = self.epoch + 1 if by_epoch else self.iter + 1
        self._runner.save_checkpoint(out_dir, filename_tmpl.format(number), save_optimizer=save_optimizer,
                                     meta=dict(meta or {}), by_epoch=by_epoch)


_SHIMS: 'weakref.WeakKeyDictionary[Any, V1RunnerShim]' = weakref.WeakKeyDictionary()


def runner_shim(runner: Any) -> V1RunnerShim:
    """The one shim per v2 runner (so every adapted hook shares ``meta``, ``outputs``...)."""
    shim = _SHIMS.get(runner)
    if shim is None:
        shim = _SHIMS[runner] = V1RunnerShim(runner)
    return shim


@HOOKS.register_module()
class V1HookAdapter(Hook):
    """Run a v1 hook (an instance or a config for the v1 HOOKS registry) in the v2 loops.

    Args:
        hook: the v1 hook or its config.
        priority: v2 priority (default: the v1 hook's own priority).
        forward_val: also forward the val epoch/iter stages (v1 only called them in a
            ``('val', k)`` workflow, so the default is False).
    """

    def __init__(self, hook: Union[V1Hook, Dict], priority: Any = None, forward_val: bool = False) -> None:
        self.hook = V1_HOOKS.build(dict(hook)) if isinstance(hook, dict) else hook
        self.priority = priority if priority is not None else getattr(self.hook, 'priority', 'NORMAL')
        self.forward_val = forward_val
        self._shim: Optional[V1RunnerShim] = None

    def __repr__(self) -> str:
        return f'V1HookAdapter({type(self.hook).__name__})'

    def get_triggered_stages(self) -> list:
        table = dict(_TRAIN_STAGES, **(_VAL_STAGES if self.forward_val else {}))
        wanted = {stage for stage, methods in table.items()
                  if any(is_method_overridden(m, V1Hook, self.hook) for m in methods)}
        wanted.update(('before_save_checkpoint', 'after_load_checkpoint'))
        return [s for s in Hook.stages if s in wanted]

    def _get(self, runner: Any, mode: str = 'train') -> V1RunnerShim:
        shim = self._shim if self._shim is not None and self._shim._runner is runner else runner_shim(runner)
        self._shim = shim
        shim.mode = mode
        return shim

    def before_train(self, runner: Any) -> None:
        self.hook.before_run(self._get(runner))

    def after_run(self, runner: Any) -> None:
        self.hook.after_run(self._get(runner))

    def before_train_epoch(self, runner: Any) -> None:
        self.hook.before_train_epoch(self._get(runner))  # inner_iter keeps its last value, as in v1

    def after_train_epoch(self, runner: Any) -> None:
        self.hook.after_train_epoch(self._get(runner))

    def _set_iter(self, shim: V1RunnerShim, runner: Any, batch_idx: int) -> None:
        from compat.v2.loops import IterBasedTrainLoop
        if isinstance(runner.train_loop, IterBasedTrainLoop):
            shim.inner_iter = runner.iter % max(len(runner.train_dataloader), 1)
        else:
            shim.inner_iter = batch_idx

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        shim = self._get(runner)
        self._set_iter(shim, runner, batch_idx)
        shim.data_batch = data_batch
        self.hook.before_train_iter(shim)

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                         outputs: Any = None) -> None:
        shim = self._get(runner)
        self._set_iter(shim, runner, batch_idx)
        log_vars = dict(outputs or {})
        shim.outputs = dict(log_vars=log_vars, loss=log_vars.get('loss'),
                            num_samples=_num_samples(data_batch))
        self.hook.after_train_iter(shim)

    def before_val_epoch(self, runner: Any) -> None:
        self.hook.before_val_epoch(self._get(runner, 'val'))

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict] = None) -> None:
        self.hook.after_val_epoch(self._get(runner, 'val'))

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        shim = self._get(runner, 'val')
        shim.inner_iter, shim.data_batch = batch_idx, data_batch
        self.hook.before_val_iter(shim)

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                       outputs: Any = None) -> None:
        shim = self._get(runner, 'val')
        shim.inner_iter, shim.outputs = batch_idx, outputs
        self.hook.after_val_iter(shim)

    def before_save_checkpoint(self, runner: Any, checkpoint: Dict) -> None:
        meta = self._get(runner).meta
        if meta:
            checkpoint.setdefault('meta', {}).update(meta)

    def after_load_checkpoint(self, runner: Any, checkpoint: Dict) -> None:
        self._get(runner).meta.update(checkpoint.get('meta') or {})


def _num_samples(data_batch: Any) -> int:
    if isinstance(data_batch, dict):
        for value in data_batch.values():
            if hasattr(value, '__len__'):
                return len(value)
    return len(data_batch) if hasattr(data_batch, '__len__') else 0


@HOOKS.register_module()
class V1DatasetBinderHook(Hook):
    """Before each validation/test, give V1DatasetMetric the loop's dataset object."""

    priority = 'VERY_HIGH'

    def before_val(self, runner: Any) -> None:
        bind_v1_datasets(runner.val_evaluator, runner.val_dataloader.dataset)

    def before_test(self, runner: Any) -> None:
        bind_v1_datasets(runner.test_evaluator, runner.test_dataloader.dataset)
