"""mmcv 1.x LR / momentum updater policies: one small object per registered updater hook.

A policy computes the *regular* value (the value without warmup) of one param group from its
base value and the runner's progress. ``progress``/``max_progress`` are ``(epoch, max_epochs)``
for ``by_epoch`` updaters and ``(iter, max_iters)`` otherwise; Cyclic and OneCycle are always
by iteration. Constructors validate their arguments in mmcv's order with mmcv's exception types
and messages, so the hooks, the converter and the tracer reject the same configs the same way.
"""
import numbers
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type

from .common import (
    annealing_cos,
    annealing_cos_array,
    annealing_linear,
    cumulative,
    format_param,
    get_position_from_periods,
)

_UNSET = object()  # "argument not passed" (OneCycle tells a missing by_epoch from by_epoch=False)

AnnealFn = Callable[[float, float, float], float]


def _anneal_func(strategy: str, message: str) -> AnnealFn:
    if strategy not in ('cos', 'linear'):
        raise ValueError(message.format(strategy))
    return annealing_cos if strategy == 'cos' else annealing_linear


class V1Policy:
    """Base of the v1 policies. Subclasses set ``hook_name`` and implement ``value``."""

    hook_name = ''
    param = 'lr'
    iter_only = False  # Cyclic/OneCycle: the updater always runs by iteration
    array_form = False  # value() is plain arithmetic, so it works on numpy arrays as written

    def value(self, base: Any, progress: int, max_progress: Optional[int]) -> float:
        """Regular value of one param group at ``progress`` (see the module docstring)."""
        raise NotImplementedError

    def values(self, base: Any, progress: Any, max_progress: Optional[int]) -> Any:
        """``value`` over a numpy array of progress points (same operations), or None where the
        policy has no array form: the converter's measurement then evaluates point by point."""
        return self.value(base, progress, max_progress) if self.array_form else None

    def bases_from(self, initial_values: Sequence[float], optimizer_name: str) -> list:
        """Per-group bases taken at ``before_run`` from the groups' ``initial_*`` values."""
        return list(initial_values)

    def run_start_values(self, bases: Sequence[Any]) -> Optional[List[float]]:
        """Values written into the groups at ``before_run`` (only OneCycle momentum writes)."""
        return None

    def check_run(self, max_iters: int) -> None:
        """Validate against the run length at ``before_run`` (OneCycle's ``total_steps``)."""

    def __repr__(self) -> str:
        fields = ', '.join(f'{k}={v!r}' for k, v in vars(self).items() if not k.startswith('_'))
        return f'{type(self).__name__}({fields})'


# ----------------------------------------------------------------------------- shared shapes
def _check_step(step: Any) -> None:
    if isinstance(step, list):
        assert isinstance(step, list) and all(isinstance(s, int) for s in step)  # mmcv's is_list_of
        assert all(s > 0 for s in step)
    elif isinstance(step, int):
        assert step > 0
    else:
        raise TypeError('"step" must be a list or integer')


def _step_value(base: float, progress: int, step: Any, gamma: float, floor: Optional[float]) -> float:
    if isinstance(step, int):
        exp = progress // step
    else:
        exp = len(step)
        for i, s in enumerate(step):
            if progress < s:
                exp = i
                break
    value = base * (gamma**exp)
    if floor is not None:
        value = max(value, floor)  # clip to the minimum value
    return value


def _target(base: float, minimum: Optional[float], ratio: Optional[float]) -> float:
    return base * ratio if ratio is not None else minimum  # type: ignore[return-value]


def _normalize_target_ratio(target_ratio: Any) -> tuple:
    # mmcv accepts a float or a tuple only; a list (e.g. from YAML/JSON) is rejected.
    if isinstance(target_ratio, float):
        target_ratio = (target_ratio, target_ratio / 1e5)
    elif isinstance(target_ratio, tuple):
        target_ratio = (target_ratio[0], target_ratio[0] / 1e5) if len(target_ratio) == 1 else target_ratio
    else:
        raise ValueError('target_ratio should be either float '
                         f'or tuple, got {type(target_ratio)}')
    assert len(target_ratio) == 2, '"target_ratio" must be list or tuple of two floats'
    return target_ratio


class _CyclicBase(V1Policy):
    iter_only = True

    def __init__(self, by_epoch: bool, target_ratio: Any, cyclic_times: int, step_ratio_up: float,
                 anneal_strategy: str, gamma: float) -> None:
        target_ratio = _normalize_target_ratio(target_ratio)
        assert 0 <= step_ratio_up < 1.0, '"step_ratio_up" must be in range [0,1)'
        assert 0 < gamma <= 1, '"gamma" must be in range (0, 1]'
        self.target_ratio = target_ratio
        self.cyclic_times = cyclic_times
        self.step_ratio_up = step_ratio_up
        self.anneal_strategy = anneal_strategy
        self.gamma = gamma
        self._anneal = _anneal_func(anneal_strategy, 'anneal_strategy must be one of "cos" or '
                                    '"linear", instead got {}')
        assert not by_epoch, 'currently only support "by_epoch" = False'

    def phases(self, max_iters: int) -> Tuple[int, List[list]]:
        """``(max_iter_per_phase, [[start, end, start_ratio, end_ratio], ...])`` for a run."""
        max_iter_per_phase = max_iters // self.cyclic_times
        iter_up_phase = int(self.step_ratio_up * max_iter_per_phase)
        return max_iter_per_phase, [[0, iter_up_phase, 1, self.target_ratio[0]],
                                    [iter_up_phase, max_iter_per_phase, self.target_ratio[0],
                                     self.target_ratio[1]]]

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        assert max_progress is not None
        per_phase, phases = self.phases(max_progress)
        curr_iter = progress % per_phase
        scale = self.gamma**(progress // per_phase)
        for start_iter, end_iter, start_ratio, end_ratio in phases:
            if start_iter <= curr_iter < end_iter:
                # gamma < 1 shrinks the gap between the peak and the base value every cycle.
                # mmcv keys this on start_iter == 0, not on the phase index; kept as is.
                if start_iter == 0:
                    end_ratio = 1 - scale + end_ratio * scale
                else:
                    start_ratio = 1 - scale + start_ratio * scale
                return self._anneal(base * start_ratio, base * end_ratio,
                                    (curr_iter - start_iter) / (end_iter - start_iter))
        raise ValueError(f'iteration {progress} is outside every cyclic phase')  # unreachable in mmcv


def _check_iter_only(by_epoch: Any) -> None:
    # OneCycle: a missing by_epoch means False; an explicit True is rejected.
    if by_epoch is not _UNSET:
        assert not by_epoch, 'currently only support "by_epoch" = False'


def _check_pct_start(pct_start: Any, first: str) -> None:
    if pct_start < 0 or pct_start > 1 or not isinstance(pct_start, float):
        raise ValueError(f'{first} float between 0 and 1 pct_start, but got {pct_start}')


# ----------------------------------------------------------------------------- LR policies
class FixedLrPolicy(V1Policy):
    hook_name = 'FixedLrUpdaterHook'
    array_form = True

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return base


class StepLrPolicy(V1Policy):
    hook_name = 'StepLrUpdaterHook'

    def __init__(self, step: Any, gamma: float = 0.1, min_lr: Optional[float] = None) -> None:
        _check_step(step)
        self.step, self.gamma, self.min_lr = step, gamma, min_lr

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return _step_value(base, progress, self.step, self.gamma, self.min_lr)


class ExpLrPolicy(V1Policy):
    hook_name = 'ExpLrUpdaterHook'
    array_form = True

    def __init__(self, gamma: float) -> None:
        self.gamma = gamma

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return base * self.gamma**progress


class PolyLrPolicy(V1Policy):
    hook_name = 'PolyLrUpdaterHook'
    array_form = True

    def __init__(self, power: float = 1., min_lr: float = 0.) -> None:
        self.power, self.min_lr = power, min_lr

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        coeff = (1 - progress / max_progress)**self.power  # type: ignore[operator]
        return (base - self.min_lr) * coeff + self.min_lr


class InvLrPolicy(V1Policy):
    hook_name = 'InvLrUpdaterHook'
    array_form = True

    def __init__(self, gamma: float, power: float = 1.) -> None:
        self.gamma, self.power = gamma, power

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return base * (1 + self.gamma * progress)**(-self.power)


class _AnnealToFloor(V1Policy):
    """Anneal from the base value to a floor over the whole run.

    The floor is absolute or a ratio of the base (exactly one is given); subclasses only pick the
    annealing curve and mmcv's argument names.
    """
    anneal: AnnealFn = staticmethod(annealing_cos)  # type: ignore[assignment]
    # mmcv's argument names, also kept as attributes (the converter reads them)
    floor_names = ('min_lr', 'min_lr_ratio')

    def __init__(self, minimum: Optional[float], ratio: Optional[float]) -> None:
        assert (minimum is None) ^ (ratio is None)
        self.minimum, self.ratio = minimum, ratio
        setattr(self, self.floor_names[0], minimum)
        setattr(self, self.floor_names[1], ratio)

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return self.anneal(base, _target(base, self.minimum, self.ratio),
                           progress / max_progress)  # type: ignore[operator]

    def values(self, base: float, progress: Any, max_progress: Optional[int]) -> Any:
        anneal = annealing_cos_array if self.anneal is annealing_cos else self.anneal
        return anneal(base, _target(base, self.minimum, self.ratio), progress / max_progress)


class CosineAnnealingLrPolicy(_AnnealToFloor):
    hook_name = 'CosineAnnealingLrUpdaterHook'

    def __init__(self, min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None) -> None:
        super().__init__(min_lr, min_lr_ratio)


class FlatCosineAnnealingLrPolicy(V1Policy):
    hook_name = 'FlatCosineAnnealingLrUpdaterHook'

    def __init__(self, start_percent: float = 0.75, min_lr: Optional[float] = None,
                 min_lr_ratio: Optional[float] = None) -> None:
        assert (min_lr is None) ^ (min_lr_ratio is None)
        if start_percent < 0 or start_percent > 1 or not isinstance(start_percent, float):
            raise ValueError('expected float between 0 and 1 start_percent, but '
                             f'got {start_percent}')
        self.start_percent, self.min_lr, self.min_lr_ratio = start_percent, min_lr, min_lr_ratio

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        start = round(max_progress * self.start_percent)  # type: ignore[operator]  # half-to-even
        progress -= start
        if progress < 0:
            return base
        return annealing_cos(base, _target(base, self.min_lr, self.min_lr_ratio),
                             progress / (max_progress - start))  # type: ignore[operator]


class CosineRestartLrPolicy(V1Policy):
    hook_name = 'CosineRestartLrUpdaterHook'

    def __init__(self, periods: List[int], restart_weights: Sequence[float] = (1, ),
                 min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None) -> None:
        assert (min_lr is None) ^ (min_lr_ratio is None)
        assert len(periods) == len(restart_weights), \
            'periods and restart_weights should have the same length.'
        self.periods, self.restart_weights = periods, restart_weights
        self.min_lr, self.min_lr_ratio = min_lr, min_lr_ratio
        self.cumulative_periods = cumulative(periods)

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        target = _target(base, self.min_lr, self.min_lr_ratio)
        idx = get_position_from_periods(progress, self.cumulative_periods)
        nearest_restart = 0 if idx == 0 else self.cumulative_periods[idx - 1]
        alpha = min((progress - nearest_restart) / self.periods[idx], 1)
        return annealing_cos(base, target, alpha, self.restart_weights[idx])


class CyclicLrPolicy(_CyclicBase):
    hook_name = 'CyclicLrUpdaterHook'

    def __init__(self, by_epoch: bool = False, target_ratio: Any = (10, 1e-4), cyclic_times: int = 1,
                 step_ratio_up: float = 0.4, anneal_strategy: str = 'cos', gamma: float = 1) -> None:
        super().__init__(by_epoch, target_ratio, cyclic_times, step_ratio_up, anneal_strategy, gamma)


class OneCycleLrPolicy(V1Policy):
    """1cycle: the base of every group is ``max_lr / div_factor`` (the optimizer lr is ignored)."""

    hook_name = 'OneCycleLrUpdaterHook'
    iter_only = True

    def __init__(self, max_lr: Any, total_steps: Optional[int] = None, pct_start: float = 0.3,
                 anneal_strategy: str = 'cos', div_factor: float = 25, final_div_factor: float = 1e4,
                 three_phase: bool = False, by_epoch: Any = _UNSET) -> None:
        _check_iter_only(by_epoch)
        if not isinstance(max_lr, (numbers.Number, list, dict)):
            raise ValueError('the type of max_lr must be the one of list or '
                             f'dict, but got {type(max_lr)}')
        self.max_lr = max_lr
        if total_steps is not None and not isinstance(total_steps, int):
            raise ValueError('the type of total_steps must be int, but'
                             f'got {type(total_steps)}')
        self.total_steps = total_steps
        _check_pct_start(pct_start, 'expected')
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self._anneal = _anneal_func(anneal_strategy, 'anneal_strategy must be one of "cos" or '
                                    '"linear", instead got {}')
        self.div_factor, self.final_div_factor, self.three_phase = div_factor, final_div_factor, three_phase

    def bases_from(self, initial_values: Sequence[float], optimizer_name: str) -> list:
        max_lrs = format_param(optimizer_name, len(initial_values), self.max_lr)
        return [lr / self.div_factor for lr in max_lrs]

    def check_run(self, max_iters: int) -> None:
        total_steps = max_iters if self.total_steps is None else self.total_steps
        if total_steps < max_iters:
            raise ValueError('The total steps must be greater than or equal to max '
                             f'iterations {max_iters} of runner, but total steps '
                             f'is {total_steps}.')

    def phases(self, max_iters: int) -> List[list]:
        """``[[end_iter, start_factor, end_factor], ...]`` (factors of the group base)."""
        total = max_iters if self.total_steps is None else self.total_steps
        first_end = float(self.pct_start * total) - 1
        if self.three_phase:
            return [[first_end, 1, self.div_factor],
                    [float(2 * self.pct_start * total) - 2, self.div_factor, 1],
                    [total - 1, 1, 1 / self.final_div_factor]]
        return [[first_end, 1, self.div_factor], [total - 1, self.div_factor, 1 / self.final_div_factor]]

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        assert max_progress is not None
        start_iter: float = 0
        for end_iter, start_factor, end_factor in self.phases(max_progress):
            if progress <= end_iter:
                return self._anneal(base * start_factor, base * end_factor,
                                    (progress - start_iter) / (end_iter - start_iter))
            start_iter = end_iter
        # mmcv hits an UnboundLocalError here; only reachable past total_steps.
        raise ValueError(f'iteration {progress} is past the last OneCycle phase')


class LinearAnnealingLrPolicy(_AnnealToFloor):
    hook_name = 'LinearAnnealingLrUpdaterHook'
    anneal = staticmethod(annealing_linear)

    def __init__(self, min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None) -> None:
        super().__init__(min_lr, min_lr_ratio)


# ----------------------------------------------------------------------------- momentum policies
class StepMomentumPolicy(V1Policy):
    hook_name = 'StepMomentumUpdaterHook'
    param = 'momentum'

    def __init__(self, step: Any, gamma: float = 0.5, min_momentum: Optional[float] = None) -> None:
        _check_step(step)
        self.step, self.gamma, self.min_momentum = step, gamma, min_momentum

    def value(self, base: float, progress: int, max_progress: Optional[int]) -> float:
        return _step_value(base, progress, self.step, self.gamma, self.min_momentum)


class CosineAnnealingMomentumPolicy(_AnnealToFloor):
    hook_name = 'CosineAnnealingMomentumUpdaterHook'
    param = 'momentum'
    floor_names = ('min_momentum', 'min_momentum_ratio')

    def __init__(self, min_momentum: Optional[float] = None,
                 min_momentum_ratio: Optional[float] = None) -> None:
        super().__init__(min_momentum, min_momentum_ratio)


class LinearAnnealingMomentumPolicy(CosineAnnealingMomentumPolicy):
    hook_name = 'LinearAnnealingMomentumUpdaterHook'
    anneal = staticmethod(annealing_linear)


class CyclicMomentumPolicy(_CyclicBase):
    hook_name = 'CyclicMomentumUpdaterHook'
    param = 'momentum'

    def __init__(self, by_epoch: bool = False, target_ratio: Any = (0.85 / 0.95, 1.),
                 cyclic_times: int = 1, step_ratio_up: float = 0.4, anneal_strategy: str = 'cos',
                 gamma: float = 1.) -> None:
        super().__init__(by_epoch, target_ratio, cyclic_times, step_ratio_up, anneal_strategy, gamma)


class OneCycleMomentumPolicy(V1Policy):
    """1cycle momentum: each group's base is the pair ``(base_momentum, max_momentum)``."""

    hook_name = 'OneCycleMomentumUpdaterHook'
    param = 'momentum'
    iter_only = True

    def __init__(self, base_momentum: Any = 0.85, max_momentum: Any = 0.95, pct_start: float = 0.3,
                 anneal_strategy: str = 'cos', three_phase: bool = False, by_epoch: Any = _UNSET) -> None:
        _check_iter_only(by_epoch)
        # mmcv rejects ints here (0 or 1 written without a decimal point)
        if not isinstance(base_momentum, (float, list, dict)):
            raise ValueError('base_momentum must be the type among of float,'
                             'list or dict.')
        if not isinstance(max_momentum, (float, list, dict)):
            raise ValueError('max_momentum must be the type among of float,'
                             'list or dict.')
        self.base_momentum, self.max_momentum = base_momentum, max_momentum
        _check_pct_start(pct_start, 'Expected')
        self.pct_start = pct_start
        self.anneal_strategy = anneal_strategy
        self._anneal = _anneal_func(anneal_strategy, 'anneal_strategy must by one of "cos" or '
                                    '"linear", instead got {}')
        self.three_phase = three_phase

    def bases_from(self, initial_values: Sequence[float], optimizer_name: str) -> list:
        n = len(initial_values)
        lows = format_param(optimizer_name, n, self.base_momentum)
        highs = format_param(optimizer_name, n, self.max_momentum)
        return list(zip(lows, highs))

    def run_start_values(self, bases: Sequence[Any]) -> Optional[List[float]]:
        return [high for _, high in bases]  # before_run writes max_momentum into every group

    def phases(self, max_iters: int) -> List[list]:
        """``[[end_iter, start_key, end_key], ...]`` with keys 'base'/'max' (mmcv group keys)."""
        first_end = float(self.pct_start * max_iters) - 1
        if self.three_phase:
            return [[first_end, 'max', 'base'], [float(2 * self.pct_start * max_iters) - 2, 'base', 'max'],
                    [max_iters - 1, 'max', 'max']]
        return [[first_end, 'max', 'base'], [max_iters - 1, 'base', 'max']]

    def value(self, base: Any, progress: int, max_progress: Optional[int]) -> float:
        assert max_progress is not None
        low, high = base
        pick = {'base': low, 'max': high}
        phases = self.phases(max_progress)
        start_iter: float = 0
        for i, (end_iter, start_key, end_key) in enumerate(phases):
            # the last phase is taken even past its end
            if progress <= end_iter or i == len(phases) - 1:
                return self._anneal(pick[start_key], pick[end_key],
                                    (progress - start_iter) / (end_iter - start_iter))
            start_iter = end_iter
        raise AssertionError('unreachable')


LR_POLICIES: Dict[str, Type[V1Policy]] = {
    cls.hook_name: cls for cls in (
        FixedLrPolicy, StepLrPolicy, ExpLrPolicy, PolyLrPolicy, InvLrPolicy, CosineAnnealingLrPolicy,
        FlatCosineAnnealingLrPolicy, CosineRestartLrPolicy, CyclicLrPolicy, OneCycleLrPolicy,
        LinearAnnealingLrPolicy)
}
MOMENTUM_POLICIES: Dict[str, Type[V1Policy]] = {
    cls.hook_name: cls for cls in (
        StepMomentumPolicy, CosineAnnealingMomentumPolicy, LinearAnnealingMomentumPolicy,
        CyclicMomentumPolicy, OneCycleMomentumPolicy)
}
