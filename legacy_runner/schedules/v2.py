"""mmengine-style scheduler building (registry names, default ends, epoch->iter conversion),
the per-step bookkeeping as a pure function, and a ParamSchedulerHook tracer.
"""
import copy
from typing import Any, Dict, List, Optional, Sequence, Tuple, Type

from .v2_specs import (
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
    V2Schedule,
)

_EPOCH_LOOPS = ('EpochBasedTrainLoop', )
_ITER_LOOPS = ('IterBasedTrainLoop', )


# ----------------------------------------------------------------------------- registry / build
_SPECS: Dict[str, Type[V2Schedule]] = {
    'Constant': ConstantSchedule, 'Linear': LinearSchedule, 'Step': StepSchedule,
    'MultiStep': MultiStepSchedule, 'Exponential': ExponentialSchedule,
    'CosineAnnealing': CosineAnnealingSchedule, 'Poly': PolySchedule, 'OneCycle': OneCycleSchedule,
    'CosineRestart': CosineRestartSchedule, 'ReduceOnPlateau': ReduceOnPlateauSchedule,
}


def schedule_type(type_name: str) -> Tuple[Type[V2Schedule], Optional[str]]:
    """``'CosineAnnealingLR'`` -> (CosineAnnealingSchedule, 'lr'); ``...ParamScheduler`` -> (cls, None)."""
    for suffix, param in (('LR', 'lr'), ('Momentum', 'momentum'), ('ParamScheduler', None)):
        if type_name.endswith(suffix):
            cls = _SPECS.get(type_name[:-len(suffix)])
            # mmengine has no OneCycleMomentum
            if cls is not None and not (cls is OneCycleSchedule and param == 'momentum'):
                return cls, param
    raise KeyError(f'{type_name} is not in the param scheduler registry')


def build_v2_schedule(cfg: Dict[str, Any], epoch_length: Optional[int] = None) -> V2Schedule:
    """Build a spec from one ``param_scheduler`` entry (not mutated).

    ``convert_to_iter_based=True`` applies ``build_iter_from_epoch`` with ``epoch_length``.
    ``verbose`` and ``last_step`` are accepted and ignored (they concern the stateful object).
    """
    kwargs = dict(cfg)
    cls, param = schedule_type(kwargs.pop('type'))
    convert = kwargs.pop('convert_to_iter_based', False)
    kwargs.pop('verbose', None)
    kwargs.pop('last_step', None)
    if param is None:
        param = kwargs.pop('param_name')
    elif 'param_name' in kwargs:
        raise TypeError("got multiple values for keyword argument 'param_name'")
    if convert:
        # None reaches the base method on purpose: it raises mmengine's message for a missing length
        kwargs = cls.iter_based_kwargs(kwargs, epoch_length)  # type: ignore[arg-type]
    return cls(param=param, **kwargs)


def loop_lengths(train_cfg: Dict[str, Any], iters_per_epoch: int) -> Tuple[bool, int, int]:
    """``(is_epoch_loop, max_epochs, max_iters)`` of a ``train_cfg`` (an iter loop has max_epochs 1)."""
    if 'type' in train_cfg and 'by_epoch' in train_cfg:
        raise RuntimeError('Only one of `type` or `by_epoch` can exist in `loop_cfg`.')
    if 'type' in train_cfg:
        if train_cfg['type'] in _EPOCH_LOOPS:
            by_epoch = True
        elif train_cfg['type'] in _ITER_LOOPS:
            by_epoch = False
        else:
            raise ValueError(f'cannot trace a custom train loop {train_cfg["type"]!r}')
    else:
        by_epoch = bool(train_cfg.get('by_epoch'))
    if by_epoch:
        max_epochs = train_cfg['max_epochs']
        assert int(max_epochs) == max_epochs, \
            f'`max_epochs` should be a integer number, but get {max_epochs}.'
        return True, int(max_epochs), int(max_epochs) * iters_per_epoch
    return False, 1, train_cfg['max_iters']


def default_end(cfg: Dict[str, Any], max_epochs: int, max_iters: int) -> int:
    """The Runner's default ``end`` (taken before any epoch->iter conversion)."""
    return max_epochs if cfg.get('by_epoch', True) else max_iters


def build_v2_schedules(param_scheduler: Any, train_cfg: Dict[str, Any],
                       iters_per_epoch: int) -> List[V2Schedule]:
    """What the Runner builds for one optimizer: default ends filled in, conversions applied."""
    if param_scheduler is None:
        return []
    if isinstance(param_scheduler, dict):
        if 'type' not in param_scheduler:
            raise TypeError('per-optimizer param_scheduler dicts are not supported here')
        param_scheduler = [param_scheduler]
    _, max_epochs, max_iters = loop_lengths(train_cfg, iters_per_epoch)
    specs = []
    for cfg in param_scheduler:
        cfg = copy.deepcopy(cfg)
        cfg.setdefault('end', default_end(cfg, max_epochs, max_iters))
        specs.append(build_v2_schedule(cfg, epoch_length=iters_per_epoch))
    return specs


# ----------------------------------------------------------------------------- stepping
def scheduler_step(spec: V2Schedule, global_step: int, last_step: int, current: Sequence[float],
                   bases: Sequence[float]) -> Tuple[int, int, List[float]]:
    """One ``_ParamScheduler.step()``: returns ``(global_step, last_step, values)``.

    Values change only when the new global step is in ``[begin, end)``.
    """
    global_step += 1
    values = list(current)
    if spec.begin <= global_step < spec.end:
        last_step += 1
        values = [spec.value(last_step, v, b, i) for i, (v, b) in enumerate(zip(current, bases))]
    return global_step, last_step, values


class _Tracked:
    """Trace-side state of one scheduler (what a stateful ParamScheduler object would hold)."""

    def __init__(self, spec: V2Schedule, bases: List[float]) -> None:
        self.spec, self.bases = spec, bases
        self.global_step, self.last_step = -1, -1
        self.plateau = spec.initial_state() if isinstance(spec, ReduceOnPlateauSchedule) else None

    def step(self, values: Dict[str, List[float]]) -> None:
        if self.plateau is not None:
            self.plateau, _ = self.spec.update(self.plateau, None)  # type: ignore[attr-defined]
            return
        p = self.spec.param
        self.global_step, self.last_step, values[p] = scheduler_step(
            self.spec, self.global_step, self.last_step, values[p], self.bases)


def v2_trace(param_scheduler: Any, train_cfg: Dict[str, Any], iters_per_epoch: int,
             base_lrs: Sequence[float],
             base_momenta: Optional[Sequence[float]] = None) -> List[Dict[str, Any]]:
    """Values mmengine's Runner shows at ``before_train_iter`` for every train iteration.

    Simulates building the schedulers (each applies its step 0 at construction, in list order),
    then ParamSchedulerHook: by-iter schedulers step after each train iter, by-epoch ones after
    each train epoch (once, at the very end, in an iter loop). LR and momentum schedulers may be
    mixed in one list. ``base_momenta`` are the groups' ``momentum`` (or Adam ``betas[0]``);
    None means the optimizer has none. Validation (ReduceOnPlateau with metrics) is not simulated.

    Returns ``[{iter, epoch, batch_idx, lr: [...], momentum: [...]}, ...]``.
    """
    specs = build_v2_schedules(param_scheduler, train_cfg, iters_per_epoch)
    epoch_loop, max_epochs, max_iters = loop_lengths(train_cfg, iters_per_epoch)
    n_groups = len(base_lrs)
    values = {'lr': [float(v) for v in base_lrs],
              'momentum': [float(v) for v in base_momenta] if base_momenta is not None else [0.0] * n_groups}
    initial: Dict[str, List[float]] = {}
    tracked: List[_Tracked] = []
    for spec in specs:
        p = spec.param
        if p == 'momentum' and base_momenta is None:
            raise ValueError('optimizer must support momentum when using momentum scheduler')
        if p not in values:
            raise ValueError(f'cannot trace param {p!r}; only lr and momentum are tracked')
        init = spec.group_init(n_groups)
        if init is not None:  # OneCycle overwrites initial_lr
            initial[p] = [g[f'initial_{p}'] for g in init]
        initial.setdefault(p, list(values[p]))  # setdefault(f'initial_{p}', group[p])
        track = _Tracked(spec, list(initial[p]))
        if track.plateau is None:
            track.step(values)  # the constructor's step()
        tracked.append(track)

    def step_all(by_epoch: bool) -> None:
        for track in tracked:
            if track.spec.by_epoch == by_epoch:
                track.step(values)

    records = []
    for it in range(max_iters):
        epoch, batch_idx = divmod(it, iters_per_epoch) if epoch_loop else (0, it)
        records.append(dict(iter=it, epoch=epoch, batch_idx=batch_idx, lr=list(values['lr']),
                            momentum=list(values['momentum'])))
        step_all(by_epoch=False)  # after_train_iter
        if epoch_loop and batch_idx == iters_per_epoch - 1:
            step_all(by_epoch=True)  # after_train_epoch
    return records
