"""The v1 (mmcv 1.x) lr/momentum policies as v2 parameter schedulers: ``V1PolicyLR`` and
``V1PolicyMomentum``.

``convert-config --exact`` uses them where no built-in v2 scheduler reproduces a v1 schedule
exactly (absolute floors with several param-group base values, warmup over an annealing with a
floor, the ``inv`` policy, momentum warmup, ...). A config lists this module in
``custom_imports``; importing it

* needs no torch: the values come from the shared pure functions of ``legacy_runner.schedules``
  (the v1 policies, warmup and updater rules), and the spec registers there as ``V1Policy`` so the
  converter's ``--verify`` and the plot tools can trace it;
* registers the scheduler classes in this project's v2 runtime (``compat.v2``) and in a real
  mmengine 0.10.x, whichever of them is already imported (their config loaders import
  ``custom_imports`` after loading themselves). ``register()`` does it explicitly.

The scheduler holds no state beyond mmengine's step counters: the value of every group at global
iteration ``t`` is what mmcv's updater hooks leave in that group before iteration ``t`` trains
(``v1_trace``), so resuming from ``state_dict`` continues exactly. Arguments::

    dict(type='V1PolicyLR', policy_cfg=<the v1 lr_config>,
         runner=dict(type='EpochBasedRunner', max_epochs=E),   # or IterBasedRunner + max_iters
         optimizer_type='SGD', by_epoch=True, convert_to_iter_based=True)   # epoch runs
    dict(type='V1PolicyLR', policy_cfg=..., runner=dict(type='IterBasedRunner', max_iters=I),
         optimizer_type='SGD', by_epoch=False)                             # iteration runs

An epoch run needs ``convert_to_iter_based=True``: the scheduler steps every iteration and learns
the epoch length from the Runner.
"""
import copy
import sys
from typing import Any, Dict, List, Optional

from legacy_runner.schedules import INF, V2Schedule, build_v1_schedule
from legacy_runner.schedules import v2 as _v2

MODULE = __name__
TYPES = ('V1PolicyLR', 'V1PolicyMomentum')
_EPOCH_RUNNERS = ('EpochBasedRunner', 'Runner')


class V1PolicySchedule(V2Schedule):
    """Pure spec: group ``group``'s value at relative step ``t`` (global iteration ``begin + t``).

    Not chainable: every step writes the absolute v1 value, whatever the group holds.
    """

    chainable = False

    def __init__(self, policy_cfg: Dict[str, Any], runner: Dict[str, Any], optimizer_type: str = 'SGD',
                 epoch_length: Optional[int] = None, n_groups: Optional[int] = None, **base: Any) -> None:
        super().__init__(**base)
        self.policy_cfg, self.runner = copy.deepcopy(dict(policy_cfg)), copy.deepcopy(dict(runner))
        self.optimizer_type, self.epoch_length, self.n_groups = optimizer_type, epoch_length, n_groups
        rtype = self.runner.get('type', 'EpochBasedRunner')
        self._iter_runner = rtype not in _EPOCH_RUNNERS
        cfg = dict(self.policy_cfg)
        if self._iter_runner and self.param == 'lr':
            cfg.setdefault('by_epoch', False)  # what IterBasedRunner.register_training_hooks does
        self._sched = build_v1_schedule(cfg, self.param)  # validates like mmcv (errors at build)
        if self._iter_runner:
            self._max_epochs, self._max_iters = None, int(self.runner['max_iters'])
        else:
            self._max_epochs = int(self.runner['max_epochs'])
            if epoch_length is None:
                raise ValueError('V1Policy schedulers of an epoch run need the epoch length: set '
                                 'by_epoch=True and convert_to_iter_based=True')
            self._max_iters = self._max_epochs * int(epoch_length)
        self._sched.policy.check_run(self._max_iters)

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        kwargs['epoch_length'] = epoch_length
        return kwargs

    def group_init(self, n_groups: int) -> None:
        self.n_groups = n_groups  # per-group policy arguments (OneCycle max_lr lists) need it
        return None

    def _base(self, b: float, group: int) -> Any:
        n = self.n_groups or group + 1
        try:
            return self._sched.policy.bases_from([b] * n, self.optimizer_type)[group]
        except ValueError:
            # Per-group v1 arguments (OneCycle's max_lr list) name the optimizer's groups; with
            # several groups the OptimWrapper adds a pseudo group of the optimizer defaults, last.
            bases = self._sched.policy.bases_from([b] * (n - 1), self.optimizer_type)
            return bases[min(group, n - 2)]

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        it = self.begin + t
        sched, base = self._sched, self._base(b, group)
        length = self.epoch_length or 1
        if self._iter_runner:
            if sched.by_epoch:  # IterBasedRunner never runs before_train_epoch: the start value stays
                start = sched.policy.run_start_values([base])
                return start[0] if start is not None else b
            regular = sched.policy.value(base, it, self._max_iters)
            warm = sched.warmup_iters_for(None)
        else:
            epoch = it // length
            if sched.by_epoch:
                regular = sched.policy.value(base, epoch, self._max_epochs)
            else:
                regular = sched.policy.value(base, it, self._max_iters)
            warm = sched.warmup_iters_for(length)
        if sched.warmup is None or it >= warm:
            return regular
        return sched.warmup_values(it, warm, [regular])[0]


_v2._SPECS['V1Policy'] = V1PolicySchedule  # the shared tracer knows the type (no torch needed)

_SPEC_KEYS = ('policy_cfg', 'runner', 'optimizer_type', 'epoch_length', 'n_groups')


def _register_ours() -> None:
    from compat.v2 import scheduler as ours
    from compat.v2.registry import PARAM_SCHEDULERS

    if PARAM_SCHEDULERS.get('V1PolicyLR') is not None:
        return
    param_cls = type('V1PolicyParamScheduler', (ours._ParamScheduler, ),
                     dict(spec_cls=V1PolicySchedule, _spec_keys=_SPEC_KEYS, __module__=MODULE))
    lr_cls = type('V1PolicyLR', (ours._LRMixin, param_cls), {'__module__': MODULE})
    mom_cls = type('V1PolicyMomentum', (ours._MomentumMixin, param_cls), {'__module__': MODULE})
    for cls in (lr_cls, mom_cls):
        PARAM_SCHEDULERS.register_module(module=cls)


def _register_mmengine() -> None:
    from mmengine.optim.scheduler import param_scheduler as mm
    from mmengine.optim.scheduler.lr_scheduler import LRSchedulerMixin
    from mmengine.optim.scheduler.momentum_scheduler import MomentumSchedulerMixin
    from mmengine.registry import PARAM_SCHEDULERS

    if 'V1PolicyLR' in PARAM_SCHEDULERS.module_dict:
        return

    class MMEngineV1PolicyParamScheduler(mm._ParamScheduler):
        """mmengine ``_ParamScheduler`` whose values come from :class:`V1PolicySchedule`."""

        def __init__(self, optimizer: Any, param_name: str, policy_cfg: Dict[str, Any],
                     runner: Dict[str, Any], optimizer_type: str = 'SGD', epoch_length: Optional[int] = None,
                     begin: int = 0, end: int = INF, last_step: int = -1, by_epoch: bool = True,
                     verbose: bool = False) -> None:
            self._spec_args = dict(policy_cfg=policy_cfg, runner=runner, optimizer_type=optimizer_type,
                                   epoch_length=epoch_length)
            self.spec = V1PolicySchedule(param=param_name, begin=begin, end=end, by_epoch=by_epoch,
                                         **self._spec_args)
            self.spec.group_init(len(optimizer.param_groups))
            super().__init__(optimizer, param_name, begin=begin, end=end, last_step=last_step,
                             by_epoch=by_epoch, verbose=verbose)

        @classmethod
        def build_iter_from_epoch(cls, *args: Any, begin: int = 0, end: int = INF, by_epoch: bool = True,
                                  epoch_length: Optional[int] = None, **kwargs: Any) -> Any:
            assert by_epoch, 'Only epoch-based kwargs whose `by_epoch=True` can be converted to iter-based.'
            assert epoch_length is not None and epoch_length > 0, \
                f'`epoch_length` must be a positive integer, but got {epoch_length}.'
            end = end if end == INF else int(end * epoch_length)
            return cls(*args, begin=int(begin * epoch_length), end=end, by_epoch=False,
                       epoch_length=epoch_length, **kwargs)

        def _get_value(self) -> List[float]:
            return [self.spec.value(self.last_step, g[self.param_name], b, i)
                    for i, (g, b) in enumerate(zip(self.optimizer.param_groups, self.base_values))]

        def state_dict(self) -> Dict[str, Any]:
            # plain values only (no spec object), so a weights-only checkpoint load works
            return {k: copy.deepcopy(v) for k, v in self.__dict__.items() if k not in ('optimizer', 'spec')}

        def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
            self.__dict__.update(copy.deepcopy(state_dict))
            n = len(self.optimizer.param_groups)
            self.spec = V1PolicySchedule(param=self.param_name, begin=self.begin, end=self.end,
                                         by_epoch=self.by_epoch, **self._spec_args)
            self.spec.group_init(n)

    MMEngineV1PolicyParamScheduler.__module__ = MODULE
    lr_cls = type('V1PolicyLR', (LRSchedulerMixin, MMEngineV1PolicyParamScheduler), {'__module__': MODULE})
    mom_cls = type('V1PolicyMomentum', (MomentumSchedulerMixin, MMEngineV1PolicyParamScheduler),
                   {'__module__': MODULE})
    for cls in (lr_cls, mom_cls):
        PARAM_SCHEDULERS.register_module(module=cls)


def register(ours: Optional[bool] = None, mmengine: Optional[bool] = None) -> None:
    """Register the scheduler classes; by default in every runtime that is already imported."""
    if ours or (ours is None and 'compat.v2.scheduler' in sys.modules):
        _register_ours()
    if mmengine or (mmengine is None and 'mmengine.optim.scheduler' in sys.modules):
        _register_mmengine()


# module whose import completes a runtime's scheduler registry -> what registers into it
_LATER = {'compat.v2.scheduler': _register_ours, 'mmengine.optim.scheduler': _register_mmengine}


class _RegisterWhenLoaded:
    """A meta-path finder that registers the classes once a runtime's scheduler module finishes
    importing, for a plug-in imported before the runtime (e.g. by a config loaded first)."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname not in _LATER:
            return None
        import importlib.util

        sys.meta_path.remove(self)  # find the real spec without coming back here
        try:
            spec = importlib.util.find_spec(fullname)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module, then = spec.loader.exec_module, _LATER[fullname]

        def exec_and_register(module: Any) -> None:
            exec_module(module)
            then()

        spec.loader.exec_module = exec_and_register  # type: ignore[method-assign]
        return spec


def _install() -> None:
    register()
    pending = [name for name in _LATER if name not in sys.modules]
    if pending and not any(isinstance(f, _RegisterWhenLoaded) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterWhenLoaded())


_install()
