"""mmengine-style parameter schedulers as pure, stateless specs.

A spec holds a scheduler's configuration (``begin``/``end``/``by_epoch``/``param`` and its own
arguments) and answers ``value(t, v, b, group)``: the new value of one param group at relative
step ``t`` (``t = global_step - begin``), given its current value ``v`` and its base value ``b``
(the group's ``initial_<param>``). The floating-point operations run in the same order as
mmengine's chainable ``_get_value`` so chained schedules reproduce recorded runs bit for bit.

State (``_global_step``, ``last_step``, ``base_values``) belongs to whoever steps the spec: a
runtime ParamScheduler object, or ``v2_trace``; ``v2.scheduler_step`` is that bookkeeping
as a pure function.
"""
import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .common import INF, cumulative


class V2Schedule:
    """Base spec. ``chainable`` schedules update the current value; OneCycle/plateau do not."""

    chainable = True
    need_val_args = False

    def __init__(self, begin: int = 0, end: int = INF, by_epoch: bool = True, param: str = 'lr') -> None:
        if end <= begin:
            raise ValueError('end should be larger than begin, but got'
                             ' begin={}, end={}'.format(begin, end))
        self.begin, self.end, self.by_epoch, self.param = begin, end, by_epoch, param

    @property
    def total_iters(self) -> int:
        """``end - begin - 1``: the step at which Constant/Linear/Poly reach their final factor."""
        return self.end - self.begin - 1

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        """New value of param group ``group`` at relative step ``t`` (current ``v``, base ``b``)."""
        raise NotImplementedError

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        """``value`` over a numpy array of steps as ``(s, k, a)``: the new value is ``(v - s) * k + a``
        with the operations of ``value`` in the same order (s = a = 0 for a plain factor). None where
        there is no such form; the converter's measurement then steps one by one."""
        return None

    def group_init(self, n_groups: int) -> Optional[List[Dict[str, float]]]:
        """Keys this scheduler writes into each group at construction (before the base values are
        read), or None. Only OneCycle writes (``initial_lr``/``max_lr``/``min_lr``)."""
        return None

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        """mmengine's ``build_iter_from_epoch``: rescale epoch-unit arguments to iterations."""
        assert kwargs.get('by_epoch', True), \
            'Only epoch-based kwargs whose `by_epoch=True` can be converted to iter-based.'
        assert epoch_length is not None and epoch_length > 0, \
            f'`epoch_length` must be a positive integer, but got {epoch_length}.'
        kwargs = dict(kwargs)
        kwargs['by_epoch'] = False
        kwargs['begin'] = int(kwargs.get('begin', 0) * epoch_length)
        end = kwargs.get('end', INF)
        if end != INF:
            kwargs['end'] = int(end * epoch_length)
        return kwargs

    def config(self) -> Dict[str, Any]:
        """Constructor arguments (for reports and ``repr``)."""
        return {k: v for k, v in vars(self).items() if not k.startswith('_')}

    def __repr__(self) -> str:
        return f'{type(self).__name__}({", ".join(f"{k}={v!r}" for k, v in self.config().items())})'


def _eta_min(b: float, eta_min: Optional[float], ratio: Optional[float]) -> float:
    return eta_min if ratio is None else b * ratio  # type: ignore[return-value]


class ConstantSchedule(V2Schedule):
    """``ConstantLR``: multiply by ``factor`` at t=0 and divide it back out at t = end-begin-1."""

    def __init__(self, factor: float = 1.0 / 3, **base: Any) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError('Constant multiplicative factor should between 0 and 1.')
        self.factor = factor
        super().__init__(**base)

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t == 0:
            return v * self.factor
        if t != self.total_iters:
            return v
        return v * (1.0 / self.factor)

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        if self.factor == 0:
            return None  # the step at total_iters divides by zero: leave that to value()
        import numpy as np
        k = np.where(ts == 0, self.factor, np.where(ts == self.total_iters, 1.0 / self.factor, 1.0))
        return 0.0, k, 0.0


class LinearSchedule(V2Schedule):
    """``LinearLR``: factor goes linearly from ``start_factor`` to ``end_factor`` at t = end-begin-1."""

    def __init__(self, start_factor: float = 1.0 / 3, end_factor: float = 1.0, **base: Any) -> None:
        if start_factor > 1.0 or start_factor < 0:
            raise ValueError('Starting multiplicative factor should between 0 and 1.')
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError('Ending multiplicative factor should between 0 and 1.')
        self.start_factor, self.end_factor = start_factor, end_factor
        super().__init__(**base)

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t == 0:
            return v * self.start_factor
        delta = self.end_factor - self.start_factor
        return v * (1. + delta / (self.total_iters * self.start_factor + (t - 1) * delta))

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        import numpy as np
        delta = self.end_factor - self.start_factor
        with np.errstate(divide='ignore', invalid='ignore'):  # t = 0 takes the other branch
            k = np.where(ts == 0, self.start_factor,
                         1. + delta / (self.total_iters * self.start_factor + (ts - 1) * delta))
        return 0.0, k, 0.0


class StepSchedule(V2Schedule):
    """``StepLR``: multiply by ``gamma`` every ``step_size`` steps."""

    def __init__(self, step_size: int, gamma: float = 0.1, **base: Any) -> None:
        self.step_size, self.gamma = step_size, gamma
        super().__init__(**base)

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        kwargs['step_size'] = kwargs['step_size'] * epoch_length
        return kwargs

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t == 0 or t % self.step_size != 0:
            return v
        return v * self.gamma


class MultiStepSchedule(V2Schedule):
    """``MultiStepLR``: multiply by ``gamma**count`` at each milestone (duplicates counted)."""

    def __init__(self, milestones: Sequence[int], gamma: float = 0.1, **base: Any) -> None:
        self.milestones = list(milestones)
        self.gamma = gamma
        self._counts: Dict[int, int] = {}
        for m in self.milestones:
            self._counts[m] = self._counts.get(m, 0) + 1
        super().__init__(**base)

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        kwargs['milestones'] = [m * epoch_length for m in kwargs['milestones']]
        return kwargs

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        count = self._counts.get(t)
        if count is None:
            return v
        return v * self.gamma**count


class ExponentialSchedule(V2Schedule):
    """``ExponentialLR``: multiply by ``gamma`` every step after the first."""

    def __init__(self, gamma: float, **base: Any) -> None:
        self.gamma = gamma
        super().__init__(**base)

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        return v if t == 0 else v * self.gamma

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        import numpy as np
        return 0.0, np.where(ts == 0, 1.0, self.gamma), 0.0


class CosineAnnealingSchedule(V2Schedule):
    """``CosineAnnealingLR`` (chained form; periodic past ``T_max``)."""

    def __init__(self, T_max: Optional[int] = None, eta_min: Optional[float] = None,
                 eta_min_ratio: Optional[float] = None, **base: Any) -> None:
        if eta_min is None and eta_min_ratio is None:
            eta_min = 0.  # backwards compatible default
        assert (eta_min is None) ^ (eta_min_ratio is None), \
            'Either `eta_min` or `eta_min_ratio should be specified'
        super().__init__(**base)
        self.T_max = T_max or (self.end - self.begin)
        self.eta_min, self.eta_min_ratio = eta_min, eta_min_ratio

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        if kwargs.get('T_max') is not None:
            kwargs['T_max'] = kwargs['T_max'] * epoch_length
        return kwargs

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t == 0:
            return v
        m = _eta_min(b, self.eta_min, self.eta_min_ratio)
        T = self.T_max
        if (t - 1 - T) % (2 * T) == 0:
            return v + (b - m) * (1 - math.cos(math.pi / T)) / 2
        return (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (v - m) + m

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        import numpy as np
        m = _eta_min(b, self.eta_min, self.eta_min_ratio)
        T = self.T_max
        plain = (ts == 0) | ((ts - 1 - T) % (2 * T) == 0)  # the step adds a constant (or nothing)
        with np.errstate(divide='ignore', invalid='ignore'):  # a zero denominator is a "plain" step
            k = (1 + np.cos(math.pi * ts / T)) / (1 + np.cos(math.pi * (ts - 1) / T))
        added = np.where(ts == 0, 0.0, (b - m) * (1 - math.cos(math.pi / T)) / 2)
        return np.where(plain, 0.0, m), np.where(plain, 1.0, k), np.where(plain, added, m)


class PolySchedule(V2Schedule):
    """``PolyLR``: reaches ``eta_min`` at t = end-begin-1."""

    def __init__(self, eta_min: float = 0, power: float = 1.0, **base: Any) -> None:
        self.eta_min, self.power = eta_min, power
        super().__init__(**base)

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t == 0:
            return v
        return (v - self.eta_min) * (1 - 1 / (self.total_iters - t + 1))**self.power + self.eta_min

    def coefficients(self, ts: Any, b: float, group: int = 0) -> Optional[Tuple[Any, Any, Any]]:
        import numpy as np
        with np.errstate(divide='ignore', invalid='ignore'):  # t = 0 takes the other branch
            k = np.where(ts == 0, 1.0, (1 - 1 / (self.total_iters - ts + 1))**self.power)
        m = np.where(ts == 0, 0.0, self.eta_min)
        return m, k, m


class OneCycleSchedule(V2Schedule):
    """``OneCycleLR`` (absolute, not chainable). Its groups' base value is ``eta_max/div_factor``."""

    chainable = False

    def __init__(self, eta_max: Any = 0, total_steps: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = 'cos', div_factor: float = 25., final_div_factor: float = 1e4,
                 three_phase: bool = False, **base: Any) -> None:
        assert base.get('param', 'lr') == 'lr', ('OneCycle only works for learning rate updating, '
                                                 f'but got patam_name as {base.get("param")}')
        super().__init__(**base)
        self.eta_max, self.div_factor, self.final_div_factor = eta_max, div_factor, final_div_factor
        if total_steps is not None:
            if total_steps <= 0 or not isinstance(total_steps, int):
                raise ValueError(f'Expected positive integer total_steps, but got {total_steps}')
            self.total_steps = total_steps
        else:
            self.total_steps = self.end - self.begin
        if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
            raise ValueError(f'Expected float between 0 and 1 pct_start, but got {pct_start}')
        if anneal_strategy not in ('cos', 'linear'):
            raise ValueError('anneal_strategy must by one of "cos" or "linear", '
                             f'instead got {anneal_strategy}')
        self.pct_start, self.anneal_strategy, self.three_phase = pct_start, anneal_strategy, three_phase

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        if kwargs.get('total_steps') is not None:
            kwargs['total_steps'] = kwargs['total_steps'] * epoch_length
        return kwargs

    def max_values(self, n_groups: int) -> list:
        if isinstance(self.eta_max, (list, tuple)):
            if len(self.eta_max) != n_groups:
                raise ValueError(f'expected {n_groups} values for max_{self.param}, got {len(self.eta_max)}')
            return list(self.eta_max)
        return [self.eta_max] * n_groups

    def group_init(self, n_groups: int) -> Optional[List[Dict[str, float]]]:
        p = self.param
        out = []
        for m in self.max_values(n_groups):
            initial = m / self.div_factor
            out.append({f'initial_{p}': initial, f'max_{p}': m, f'min_{p}': initial / self.final_div_factor})
        return out

    def phases(self) -> List[Tuple[float, str, str]]:
        """``[(end_step, start_key, end_key), ...]``; keys are 'initial'/'max'/'min'."""
        T = self.total_steps
        if self.three_phase:
            return [(float(self.pct_start * T) - 1, 'initial', 'max'),
                    (float(2 * self.pct_start * T) - 2, 'max', 'initial'),
                    (T - 1, 'initial', 'min')]
        return [(float(self.pct_start * T) - 1, 'initial', 'max'), (T - 1, 'max', 'min')]

    def _anneal(self, start: float, end: float, pct: float) -> float:
        if self.anneal_strategy == 'cos':
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        if t > self.total_steps:
            raise ValueError(f'Tried to step {t + 1} times. '
                             f'The specified number of total steps is {self.total_steps}')
        # b is the group's initial value (eta_max/div_factor); min is derived from it as mmengine does
        peak = self.eta_max[group] if isinstance(self.eta_max, (list, tuple)) else self.eta_max
        pick = {'initial': b, 'max': peak, 'min': b / self.final_div_factor}
        phases = self.phases()
        start_step: float = 0
        for i, (end_step, start_key, end_key) in enumerate(phases):
            if t <= end_step or i == len(phases) - 1:
                pct = (t - start_step) / (end_step - start_step)
                return self._anneal(pick[start_key], pick[end_key], pct)
            start_step = end_step
        raise AssertionError('unreachable')


class CosineRestartSchedule(V2Schedule):
    """``CosineRestartLR``: restarts at ``b*w`` (absolute), anneals chained, holds after the last period."""

    def __init__(self, periods: Sequence[int], restart_weights: Sequence[float] = (1, ),
                 eta_min: Optional[float] = None, eta_min_ratio: Optional[float] = None, **base: Any) -> None:
        assert (eta_min is None) ^ (eta_min_ratio is None)
        assert len(periods) == len(restart_weights), \
            'periods and restart_weights should have the same length.'
        self.periods, self.restart_weights = list(periods), list(restart_weights)
        self.eta_min, self.eta_min_ratio = eta_min, eta_min_ratio
        self.cumulative_periods = cumulative(self.periods)
        super().__init__(**base)

    @classmethod
    def iter_based_kwargs(cls, kwargs: Dict[str, Any], epoch_length: int) -> Dict[str, Any]:
        kwargs = super().iter_based_kwargs(kwargs, epoch_length)
        kwargs['periods'] = [p * epoch_length for p in kwargs['periods']]
        return kwargs

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        idx = next((i for i, c in enumerate(self.cumulative_periods) if t < c), None)
        if idx is None:  # past the last period: leave the value alone
            return v
        step = t - (0 if idx == 0 else self.cumulative_periods[idx - 1])
        if step == 0:
            return b * self.restart_weights[idx]
        m = _eta_min(b, self.eta_min, self.eta_min_ratio)
        period = self.periods[idx]
        return ((1 + math.cos(math.pi * step / period)) / (1 + math.cos(math.pi * (step - 1) / period))
                * (v - m) + m)


class PlateauState:
    """ReduceOnPlateau counters; treat as immutable and derive new states with ``replace``."""

    def __init__(self, best: float, num_bad_epochs: int = 0, cooldown_counter: int = 0,
                 global_step: int = 0, last_step: int = -1) -> None:
        self.best, self.num_bad_epochs, self.cooldown_counter = best, num_bad_epochs, cooldown_counter
        self.global_step, self.last_step = global_step, last_step

    def replace(self, **changes: Any) -> 'PlateauState':
        fields = dict(vars(self))
        fields.update(changes)
        return PlateauState(**fields)

    def __repr__(self) -> str:
        return f'PlateauState({", ".join(f"{k}={v!r}" for k, v in vars(self).items())})'


class ReduceOnPlateauSchedule(V2Schedule):
    """``ReduceOnPlateauLR``: count/plateau logic only (values change only when metrics arrive).

    It takes no construction step (``global_step`` starts at 0); ``step(None)`` after each train
    epoch only counts; ``step(metrics)`` after validation may reduce. See :meth:`update`.
    """

    chainable = False
    need_val_args = True

    def __init__(self, monitor: str = 'loss', rule: str = 'less', factor: float = 0.1, patience: int = 10,
                 threshold: float = 1e-4, threshold_rule: str = 'rel', cooldown: int = 0,
                 min_value: Any = 0., eps: float = 1e-8, **base: Any) -> None:
        super().__init__(**base)
        assert self.by_epoch, f'Now {type(self).__name__} only support by_epoch=True'
        if factor >= 1.0:
            raise ValueError('Factor should be < 1.0.')
        if threshold < 0:
            raise ValueError(f'threshold {threshold} should be >= 0.')
        if rule not in {'less', 'greater'}:
            raise ValueError(f'mode {rule} is unknown!')
        if threshold_rule not in {'rel', 'abs'}:
            raise ValueError(f'threshold mode {threshold_rule} is unknown!')
        self.monitor, self.rule, self.factor, self.patience = monitor, rule, factor, patience
        self.threshold, self.threshold_rule, self.cooldown = threshold, threshold_rule, cooldown
        self.min_value, self.eps = min_value, eps

    def min_values(self, n_groups: int, pseudo_group: bool = False) -> List[float]:
        """Per-group floors; a list covers the real groups, the pseudo group repeats the last one."""
        if isinstance(self.min_value, (list, tuple)):
            n_real = n_groups - 1 if pseudo_group else n_groups
            if len(self.min_value) != n_real:
                raise ValueError('expected {} min_lrs, got {}'.format(n_real, len(self.min_value)))
            values = list(self.min_value)
            return values + [values[-1]] if pseudo_group else values
        return [self.min_value] * n_groups

    def initial_state(self) -> PlateauState:
        return PlateauState(best=INF if self.rule == 'less' else -INF)

    def is_better(self, a: float, best: float) -> bool:
        if self.rule == 'less' and self.threshold_rule == 'rel':
            return a < best * (1. - self.threshold)
        if self.rule == 'less':
            return a < best - self.threshold
        if self.threshold_rule == 'rel':
            return a > best * (self.threshold + 1.)
        return a > best + self.threshold

    def update(self, state: PlateauState, metrics: Optional[Dict[str, Any]]) -> Tuple[PlateauState, bool]:
        """One ``step(metrics)``: the new state and whether values must be reduced now."""
        if metrics is None:
            return state.replace(global_step=state.global_step + 1), False
        if not isinstance(metrics, dict):
            raise TypeError(f'metrics type should be dict, but got type {type(metrics)}')
        if not self.begin <= state.global_step < self.end:
            return state, False
        metric = metrics.get(self.monitor, None)
        if metric is None:
            raise KeyError(f'Excepted key in {list(metrics.keys())},'
                           f' but got key {self.monitor} is not in dict')
        best, bad, cooldown = state.best, state.num_bad_epochs, state.cooldown_counter
        if self.is_better(metric, best):
            best, bad = metric, 0
        else:
            bad += 1
        if cooldown > 0:  # bad epochs are ignored during cooldown
            cooldown -= 1
            bad = 0
        reduce = bad > self.patience
        if reduce:
            cooldown, bad = self.cooldown, 0
        return state.replace(best=best, num_bad_epochs=bad, cooldown_counter=cooldown,
                             last_step=state.last_step + 1), reduce

    def reduced_value(self, v: float, min_value: float) -> Optional[float]:
        """The reduced value of one group, or None when the change would be below ``eps``."""
        new = max(float(v) * self.factor, min_value)
        return new if v - new > self.eps else None

    def value(self, t: int, v: float, b: float, group: int = 0) -> float:
        return v  # construction and counting steps never change the value
