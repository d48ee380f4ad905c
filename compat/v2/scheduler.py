"""mmengine's parameter schedulers as thin stateful wrappers over the shared pure specs.

Every formula lives in :mod:`legacy_runner.schedules` (``V2Schedule`` specs and
``scheduler_step``); a scheduler object here only holds mmengine's state (``_global_step``,
``last_step``, ``base_values``, ``_last_value`` and its arguments) and writes the values into
``optimizer.param_groups`` (an OptimWrapper's list includes its ``base_param_settings`` group).
"""
import copy
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from legacy_runner import safe_load
from legacy_runner.schedules import (
    INF,
    ConstantSchedule,
    CosineAnnealingSchedule,
    CosineRestartSchedule,
    ExponentialSchedule,
    LinearSchedule,
    MultiStepSchedule,
    OneCycleSchedule,
    PolySchedule,
    ReduceOnPlateauSchedule,
    StepSchedule,
    annealing_cos,
    annealing_linear,
    default_end,
    scheduler_step,
)

from .registry import PARAM_SCHEDULERS, build_from_cfg

_COMMON_KEYS = ('param_name', 'begin', 'end', 'by_epoch', 'base_values', 'last_step', '_global_step',
                'verbose', '_last_value')


def _check_optimizer(optimizer: Any) -> None:
    import torch

    from .optim.wrapper import BaseOptimWrapper
    if not isinstance(optimizer, (torch.optim.Optimizer, BaseOptimWrapper)):
        raise TypeError('``optimizer`` should be an Optimizer,but got {}'.format(type(optimizer).__name__))


class _ParamScheduler:
    """Base of the chainable schedulers: ``spec_cls`` gives the values, this class the state.

    ``_spec_keys`` are the constructor arguments kept as scheduler state (mmengine's field names).
    """

    spec_cls: type = ConstantSchedule
    _spec_keys: Sequence[str] = ()
    _has_total_iters = False

    def __init__(self, optimizer: Any, param_name: str, begin: int = 0, end: int = INF, last_step: int = -1,
                 by_epoch: bool = True, verbose: bool = False, **kwargs: Any) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.spec = self.spec_cls(param=param_name, begin=begin, end=end, by_epoch=by_epoch, **kwargs)
        self.param_name, self.begin, self.end, self.by_epoch = param_name, begin, end, by_epoch
        if not isinstance(last_step, int) or last_step < -1:
            raise ValueError(f'last_step should be an integer not less than -1, but got {last_step}')
        groups = optimizer.param_groups
        init = self.spec.group_init(len(groups))
        if init is not None:  # OneCycle overwrites initial/max/min values per group
            for group, values in zip(groups, init):
                group.update(values)
        key = f'initial_{param_name}'
        for i, group in enumerate(groups):
            if last_step == -1:
                group.setdefault(key, group[param_name])
            elif key not in group:
                raise KeyError(f"param 'initial_{param_name}' is not specified in param_groups[{i}] "
                               'when resuming an optimizer')
        self.base_values = [group[key] for group in groups]
        self.last_step = last_step
        self.verbose = verbose
        self._global_step = -1
        self._last_value: List[float] = []
        self.step()  # mmengine applies step 0 at construction

    # mmengine exposes these as attributes; keep them readable from the spec
    def __getattr__(self, name: str) -> Any:
        if name != 'spec' and name in type(self)._spec_keys and 'spec' in self.__dict__:
            return getattr(self.spec, name)
        raise AttributeError(f'{type(self).__name__!r} object has no attribute {name!r}')

    @property
    def total_iters(self) -> int:
        return self.spec.total_iters

    @classmethod
    def build_iter_from_epoch(cls, *args: Any, begin: int = 0, end: int = INF, by_epoch: bool = True,
                              epoch_length: Optional[int] = None, **kwargs: Any) -> '_ParamScheduler':
        """Build an iteration-based scheduler from epoch-unit arguments (``convert_to_iter_based``)."""
        kwargs = cls.spec_cls.iter_based_kwargs(dict(kwargs, begin=begin, end=end, by_epoch=by_epoch),
                                                epoch_length)
        return cls(*args, **kwargs)

    def step(self) -> None:
        groups = self.optimizer.param_groups
        p = self.param_name
        current = [group[p] for group in groups]
        last_step = self.last_step
        self._global_step, self.last_step, values = scheduler_step(
            self.spec, self._global_step, last_step, current, self.base_values)
        if self.last_step != last_step:  # inside [begin, end): the values were recomputed
            for i, (group, value) in enumerate(zip(groups, values)):
                group[p] = value
                if self.verbose:
                    print(f'Adjusting parameter value of group {i} to {value:.4e}.')
        self._last_value = values

    def get_last_value(self) -> List[float]:
        return self._last_value

    def _get_value(self) -> List[float]:
        groups = self.optimizer.param_groups
        return [self.spec.value(self.last_step, g[self.param_name], b, i)
                for i, (g, b) in enumerate(zip(groups, self.base_values))]

    def _spec_state(self) -> Dict[str, Any]:
        state = {k: copy.deepcopy(getattr(self.spec, k)) for k in self._spec_keys}
        if self._has_total_iters:
            state['total_iters'] = self.spec.total_iters
        return state

    def state_dict(self) -> Dict[str, Any]:
        """mmengine's layout: the arguments, then the common fields (no optimizer)."""
        state = self._spec_state()
        for key in _COMMON_KEYS:
            state[key] = copy.deepcopy(getattr(self, key))
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        """``__dict__.update`` semantics: saved fields win; the spec is rebuilt from them."""
        for key in _COMMON_KEYS:
            if key in state_dict:
                setattr(self, key, copy.deepcopy(state_dict[key]))
        kwargs = {k: self._from_state(k, state_dict[k]) if k in state_dict else getattr(self.spec, k)
                  for k in self._spec_keys}
        self.spec = self.spec_cls(param=self.param_name, begin=self.begin, end=self.end,
                                  by_epoch=self.by_epoch, **kwargs)

    @staticmethod
    def _from_state(key: str, value: Any) -> Any:
        return copy.deepcopy(value)

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.spec!r})'


class _MomentumMixin:
    """``*Momentum`` schedulers: SGD-like ``momentum``, or Adam ``betas[0]`` mirrored as ``momentum``."""

    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        defaults = getattr(optimizer, 'defaults', {})
        if 'momentum' in defaults:
            self.use_betas = False
        elif 'betas' in defaults:
            self.use_betas = True
            for group in optimizer.param_groups:
                group['momentum'] = group['betas'][0]
        else:
            raise ValueError('optimizer must support momentum when using momentum scheduler')
        super().__init__(optimizer, 'momentum', *args, **kwargs)  # type: ignore[call-arg]

    def step(self, *args: Any, **kwargs: Any) -> None:
        super().step(*args, **kwargs)  # type: ignore[misc]
        if self.use_betas:
            for group in self.optimizer.param_groups:  # type: ignore[attr-defined]
                group['betas'] = (group['momentum'], group['betas'][1])

    def state_dict(self) -> Dict[str, Any]:
        state = super().state_dict()  # type: ignore[misc]
        state['use_betas'] = self.use_betas
        return state


class _LRMixin:
    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(optimizer, 'lr', *args, **kwargs)  # type: ignore[call-arg]


def _family(base_name: str, spec_cls: type, spec_keys: Sequence[str], total_iters: bool = False,
            extra: Optional[Dict[str, Any]] = None) -> None:
    """Define and register ``{base}ParamScheduler``, ``{base}LR`` and ``{base}Momentum``."""
    attrs = dict(spec_cls=spec_cls,
                 _spec_keys=tuple(spec_keys),
                 _has_total_iters=total_iters,
                 **(extra or {}))
    param_cls = type(f'{base_name}ParamScheduler', (_ParamScheduler, ), dict(attrs, __module__=__name__))
    classes = [param_cls, type(f'{base_name}LR', (_LRMixin, param_cls), {'__module__': __name__})]
    if spec_cls is not OneCycleSchedule:  # mmengine has no OneCycleMomentum
        classes.append(type(f'{base_name}Momentum', (_MomentumMixin, param_cls), {'__module__': __name__}))
    for cls in classes:
        cls.__qualname__ = cls.__name__
        cls.__doc__ = f'mmengine ``{cls.__name__}``; values from :class:`{spec_cls.__name__}`.'
        globals()[cls.__name__] = cls
        PARAM_SCHEDULERS.register_module(module=cls)


def _milestones_from_state(key: str, value: Any) -> Any:
    if key == 'milestones' and isinstance(value, Counter):
        return sorted(value.elements())
    return copy.deepcopy(value)


class _MultiStepState:
    def _spec_state(self) -> Dict[str, Any]:
        return {'milestones': Counter(self.spec.milestones), 'gamma': self.spec.gamma}  # type: ignore


def _anneal_cos(start: float, end: float, pct: float) -> float:
    return annealing_cos(start, end, pct)


def _anneal_linear(start: float, end: float, pct: float) -> float:
    return annealing_linear(start, end, pct)


_family('Constant', ConstantSchedule, ('factor', ), total_iters=True)
_family('Linear', LinearSchedule, ('start_factor', 'end_factor'), total_iters=True)
_family('Step', StepSchedule, ('step_size', 'gamma'))
_family('Exponential', ExponentialSchedule, ('gamma', ))
_family('CosineAnnealing', CosineAnnealingSchedule, ('T_max', 'eta_min', 'eta_min_ratio'))
_family('Poly', PolySchedule, ('eta_min', 'power'), total_iters=True)
_family('CosineRestart', CosineRestartSchedule, ('periods', 'restart_weights', 'eta_min', 'eta_min_ratio'))
_family('MultiStep', MultiStepSchedule, ('milestones', 'gamma'),
        extra=dict(_spec_state=_MultiStepState._spec_state, _from_state=staticmethod(_milestones_from_state)))
_family('OneCycle', OneCycleSchedule, ('eta_max', 'total_steps', 'pct_start', 'anneal_strategy', 'div_factor',
                                        'final_div_factor', 'three_phase'),
        # mmengine pickles ``getattr(OneCycleParamScheduler, '_annealing_cos')``; the restricted
        # unpickler resolves that here (the loaded value is not used: anneal_strategy is the state)
        extra=dict(_annealing_cos=staticmethod(_anneal_cos), _annealing_linear=staticmethod(_anneal_linear)))


class ReduceOnPlateauParamScheduler:
    """mmengine ``ReduceOnPlateauParamScheduler``: counts on ``step()``, may reduce on ``step(metrics)``.

    The decision logic is :meth:`ReduceOnPlateauSchedule.update` (shared core).
    """

    need_val_args = True

    def __init__(self,
                 optimizer: Any,
                 param_name: str,
                 monitor: str = 'loss',
                 rule: str = 'less',
                 factor: float = 0.1,
                 patience: int = 10,
                 threshold: float = 1e-4,
                 threshold_rule: str = 'rel',
                 cooldown: int = 0,
                 min_value: Any = 0.,
                 eps: float = 1e-8,
                 begin: int = 0,
                 end: int = INF,
                 last_step: int = -1,
                 by_epoch: bool = True,
                 verbose: bool = False) -> None:
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.spec = ReduceOnPlateauSchedule(
            monitor=monitor, rule=rule, factor=factor, patience=patience, threshold=threshold,
            threshold_rule=threshold_rule, cooldown=cooldown, min_value=min_value, eps=eps, begin=begin,
            end=end, by_epoch=by_epoch, param=param_name)
        self.param_name, self.begin, self.end, self.by_epoch = param_name, begin, end, by_epoch
        groups = optimizer.param_groups
        pseudo = getattr(optimizer, 'base_param_settings', None) is not None
        self.min_values = self.spec.min_values(len(groups), pseudo_group=pseudo)
        key = f'initial_{param_name}'
        for group in groups:
            if last_step == -1:
                group.setdefault(key, group[param_name])
        self.base_values = [group[key] for group in groups]
        self.verbose = verbose
        self._state = self.spec.initial_state().replace(last_step=last_step)
        self._last_value = [group[param_name] for group in groups]

    # mmengine's field names for the plateau counters
    best = property(lambda self: self._state.best)
    num_bad_epochs = property(lambda self: self._state.num_bad_epochs)
    cooldown_counter = property(lambda self: self._state.cooldown_counter)
    last_step = property(lambda self: self._state.last_step)
    _global_step = property(lambda self: self._state.global_step)

    def step(self, metrics: Optional[Dict[str, Any]] = None) -> None:
        self._state, reduce = self.spec.update(self._state, metrics)
        groups = self.optimizer.param_groups
        if reduce:
            for i, (group, floor) in enumerate(zip(groups, self.min_values)):
                new = self.spec.reduced_value(group[self.param_name], floor)
                if new is not None:
                    group[self.param_name] = new
                    if self.verbose:
                        print(f'Adjusting parameter value of group {i} to {new:.4e}.')
        if metrics is not None:
            self._last_value = [group[self.param_name] for group in groups]

    def get_last_value(self) -> List[float]:
        return self._last_value

    def state_dict(self) -> Dict[str, Any]:
        state = {k: copy.deepcopy(v) for k, v in self.spec.config().items() if k != 'param'}
        state.update(param_name=self.param_name, min_values=list(self.min_values),
                     base_values=list(self.base_values), verbose=self.verbose,
                     _last_value=list(self._last_value), **vars(self._state))
        state['_global_step'] = state.pop('global_step')
        return state

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        fields = {k: state_dict[k] for k in ('best', 'num_bad_epochs', 'cooldown_counter', 'last_step')
                  if k in state_dict}
        if '_global_step' in state_dict:
            fields['global_step'] = state_dict['_global_step']
        self._state = self._state.replace(**fields)
        for key in ('min_values', 'base_values', 'verbose', '_last_value'):
            if key in state_dict:
                setattr(self, key, copy.deepcopy(state_dict[key]))


class ReduceOnPlateauLR(ReduceOnPlateauParamScheduler):
    def __init__(self, optimizer: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(optimizer, 'lr', *args, **kwargs)


class ReduceOnPlateauMomentum(_MomentumMixin, ReduceOnPlateauParamScheduler):
    """Momentum variant (betas handled by the mixin)."""


for _cls in (ReduceOnPlateauParamScheduler, ReduceOnPlateauLR, ReduceOnPlateauMomentum):
    PARAM_SCHEDULERS.register_module(module=_cls)


# ----------------------------------------------------------------------------------- building
def _build_param_scheduler(cfg: Dict, registry: Any, default_args: Optional[Dict] = None) -> Any:
    """PARAM_SCHEDULERS' build function: handles ``convert_to_iter_based`` and ``epoch_length``."""
    args = dict(cfg)
    if default_args:
        for key, value in default_args.items():
            args.setdefault(key, value)
    convert = args.pop('convert_to_iter_based', False)
    epoch_length = args.pop('epoch_length', None)
    if not convert:
        return build_from_cfg(args, registry)
    assert args.get('by_epoch',
                    True), 'Only epoch-based kwargs whose `by_epoch=True` can be converted to iter-based.'
    assert epoch_length is not None and epoch_length > 0, \
        f'`epoch_length` must be a positive integer, but got {epoch_length}.'
    obj_type = args.pop('type')
    args.pop('_scope_', None)
    cls = registry.get(obj_type) if isinstance(obj_type, str) else obj_type
    if cls is None:
        raise KeyError(f'{obj_type} is not in the {registry.scope}::{registry.name} registry.')
    return cls.build_iter_from_epoch(epoch_length=epoch_length, **args)


PARAM_SCHEDULERS.build_func = _build_param_scheduler


def _build_list(optim_wrapper: Any, cfgs: Any, max_epochs: int, max_iters: int, epoch_length: int) -> list:
    if not isinstance(cfgs, Sequence):
        cfgs = [cfgs]
    schedulers = []
    for cfg in cfgs:
        if not isinstance(cfg, dict):  # an instance: used as is
            if not callable(getattr(cfg, 'step', None)):  # mmengine: a _ParamScheduler object or dict
                raise TypeError(f'scheduler should be a _ParamScheduler object or dict, but got {cfg!r}')
            schedulers.append(cfg)
            continue
        cfg = copy.deepcopy(dict(cfg))
        # the default end is taken before any epoch->iter conversion (mmengine)
        cfg.setdefault('end', default_end(cfg, max_epochs, max_iters))
        schedulers.append(PARAM_SCHEDULERS.build(
            cfg, default_args=dict(optimizer=optim_wrapper, epoch_length=epoch_length)))
    return schedulers


def build_param_schedulers(optim_wrapper: Any, scheduler: Any, max_epochs: int, max_iters: int,
                           epoch_length: int) -> Any:
    """``Runner.build_param_scheduler``: a list, or ``{name: list}`` for an OptimWrapperDict."""
    from .optim.wrapper import OptimWrapperDict
    if not isinstance(optim_wrapper, OptimWrapperDict):
        return _build_list(optim_wrapper, scheduler, max_epochs, max_iters, epoch_length)
    per_name = isinstance(scheduler, dict) and 'type' not in scheduler
    return {name: _build_list(wrapper, scheduler[name] if per_name else scheduler, max_epochs, max_iters,
                              epoch_length)
            for name, wrapper in optim_wrapper.items()}


# mmengine pickles its OneCycle classes (see ``_annealing_cos`` above): the (core) safe loader maps them here
safe_load.register_mapped_classes({
    'mmengine.optim.scheduler.param_scheduler.OneCycleParamScheduler': globals()['OneCycleParamScheduler'],
    'mmengine.optim.scheduler.lr_scheduler.OneCycleLR': globals()['OneCycleLR']})

__all__ = sorted(name for name, obj in list(globals().items())
                 if isinstance(obj, type) and name.endswith(('LR', 'Momentum', 'ParamScheduler'))
                 and not name.startswith('_')) + ['build_param_schedulers']
