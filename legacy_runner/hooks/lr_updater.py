"""mmcv 1.x LR updater hooks.

The hooks keep mmcv's stage behaviour (when a value is computed and written); every value comes
from :mod:`legacy_runner.schedules`. A downstream subclass that overrides ``get_lr`` (the mmcv
extension point) works as before: the built-in hooks simply implement ``get_lr`` with a policy.
"""
from typing import Any, Dict, List, Optional, Union

from .. import schedules as S
from ..schedules import annealing_cos, annealing_linear, format_param, get_position_from_periods
from .hook import HOOKS, Hook

LrGroups = Union[List[float], Dict[str, List[float]]]


def _map_groups(values: LrGroups, func: Any) -> LrGroups:
    if isinstance(values, dict):
        return {k: [func(v) for v in vs] for k, vs in values.items()}
    return [func(v) for v in values]


class LrUpdaterHook(Hook, S.V1UpdaterStages):
    """Base LR updater: warmup handling and stage timing (:class:`~legacy_runner.schedules.V1UpdaterStages`);
    subclasses provide ``get_lr``.

    Args:
        by_epoch: recompute the LR at each epoch start (else at every iteration).
        warmup: None, 'constant', 'linear' or 'exp'.
        warmup_iters: warmup length in iterations (in epochs with ``warmup_by_epoch``).
        warmup_ratio: the warmup starts at ``warmup_ratio * regular lr``.
        warmup_by_epoch: ``warmup_iters`` counts epochs; resolved at the first train epoch.
    """

    policy: Optional[S.V1Policy] = None  # set by the built-in subclasses
    regular_attr = 'regular_lr'

    def __init__(self, by_epoch: bool = True, warmup: Optional[str] = None, warmup_iters: int = 0,
                 warmup_ratio: float = 0.1, warmup_by_epoch: bool = False) -> None:
        S.check_warmup(warmup, warmup_iters, warmup_ratio, 'lr')
        self.by_epoch = by_epoch
        self.warmup = warmup
        self.warmup_iters: Optional[int] = warmup_iters
        self.warmup_ratio = warmup_ratio
        self.warmup_by_epoch = warmup_by_epoch
        if warmup_by_epoch:
            self.warmup_epochs: Optional[int] = warmup_iters
            self.warmup_iters = None
        else:
            self.warmup_epochs = None
        self.base_lr: LrGroups = []  # initial lr of every param group
        self.regular_lr: LrGroups = []  # the lr without warmup

    # the stage machine's primitives: mmcv's extension points get_regular_lr/get_warmup_lr/_set_lr
    def _stage_regular(self, runner: Any) -> LrGroups:
        return self.get_regular_lr(runner)

    def _stage_warmup(self, cur_iter: int) -> LrGroups:
        return self.get_warmup_lr(cur_iter)

    def _stage_write(self, runner: Any, values: LrGroups) -> None:
        self._set_lr(runner, values)

    def _set_lr(self, runner: Any, lr_groups: LrGroups) -> None:
        if isinstance(runner.optimizer, dict):
            for k, optim in runner.optimizer.items():
                for group, lr in zip(optim.param_groups, lr_groups[k]):  # type: ignore[call-overload]
                    group['lr'] = lr
        else:
            for group, lr in zip(runner.optimizer.param_groups, lr_groups):
                group['lr'] = lr

    def get_lr(self, runner: Any, base_lr: float) -> float:
        """Regular lr of one group at the runner's current progress."""
        if self.policy is None:
            raise NotImplementedError
        if self.by_epoch:
            return self.policy.value(base_lr, runner.epoch, runner.max_epochs)
        return self.policy.value(base_lr, runner.iter, runner.max_iters)

    def get_regular_lr(self, runner: Any) -> LrGroups:
        if isinstance(runner.optimizer, dict):
            return {k: [self.get_lr(runner, b) for b in self.base_lr[k]]  # type: ignore[call-overload]
                    for k in runner.optimizer.keys()}
        return [self.get_lr(runner, b) for b in self.base_lr]

    def get_warmup_lr(self, cur_iters: int) -> LrGroups:
        return _map_groups(self.regular_lr, lambda lr: S.warmup_lr(
            self.warmup, cur_iters, self.warmup_iters, self.warmup_ratio, lr))  # type: ignore[arg-type]

    def before_run(self, runner: Any) -> None:
        # a resumed optimizer keeps the initial_lr it was saved with
        if isinstance(runner.optimizer, dict):
            self.base_lr = {}
            for k, optim in runner.optimizer.items():
                for group in optim.param_groups:
                    group.setdefault('initial_lr', group['lr'])
                self.base_lr[k] = [group['initial_lr'] for group in optim.param_groups]
        else:
            for group in runner.optimizer.param_groups:
                group.setdefault('initial_lr', group['lr'])
            self.base_lr = [group['initial_lr'] for group in runner.optimizer.param_groups]

    def before_train_epoch(self, runner: Any) -> None:
        if self.warmup_iters is None:  # warmup_by_epoch: the loader length is known now
            self.warmup_iters = self.warmup_epochs * len(runner.data_loader)  # type: ignore[operator]
        self.updater_epoch_start(runner)

    def before_train_iter(self, runner: Any) -> None:
        # IterBasedRunner never calls before_train_epoch, so warmup_by_epoch cannot resolve there
        assert isinstance(self.warmup_iters, int)
        self.updater_iter_start(runner, runner.iter)


@HOOKS.register_module()
class FixedLrUpdaterHook(LrUpdaterHook):

    def __init__(self, **kwargs: Any) -> None:
        self.policy = S.FixedLrPolicy()
        super().__init__(**kwargs)


@HOOKS.register_module()
class StepLrUpdaterHook(LrUpdaterHook):
    """``base * gamma**k`` after the k-th step (an int step decays every ``step`` units), floored at
    ``min_lr`` when given."""

    def __init__(self, step: Union[int, List[int]], gamma: float = 0.1, min_lr: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.StepLrPolicy(step, gamma, min_lr)
        self.step, self.gamma, self.min_lr = step, gamma, min_lr
        super().__init__(**kwargs)


@HOOKS.register_module()
class ExpLrUpdaterHook(LrUpdaterHook):

    def __init__(self, gamma: float, **kwargs: Any) -> None:
        self.policy = S.ExpLrPolicy(gamma)
        self.gamma = gamma
        super().__init__(**kwargs)


@HOOKS.register_module()
class PolyLrUpdaterHook(LrUpdaterHook):

    def __init__(self, power: float = 1., min_lr: float = 0., **kwargs: Any) -> None:
        self.policy = S.PolyLrPolicy(power, min_lr)
        self.power, self.min_lr = power, min_lr
        super().__init__(**kwargs)


@HOOKS.register_module()
class InvLrUpdaterHook(LrUpdaterHook):

    def __init__(self, gamma: float, power: float = 1., **kwargs: Any) -> None:
        self.policy = S.InvLrPolicy(gamma, power)
        self.gamma, self.power = gamma, power
        super().__init__(**kwargs)


@HOOKS.register_module()
class CosineAnnealingLrUpdaterHook(LrUpdaterHook):
    """Cosine from the base lr to ``min_lr`` (or ``base * min_lr_ratio``; exactly one is given)."""

    def __init__(self, min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.CosineAnnealingLrPolicy(min_lr, min_lr_ratio)
        self.min_lr, self.min_lr_ratio = min_lr, min_lr_ratio
        super().__init__(**kwargs)


@HOOKS.register_module()
class FlatCosineAnnealingLrUpdaterHook(LrUpdaterHook):
    """Flat until ``round(max * start_percent)`` (a float in [0, 1]), then cosine."""

    def __init__(self, start_percent: float = 0.75, min_lr: Optional[float] = None,
                 min_lr_ratio: Optional[float] = None, **kwargs: Any) -> None:
        self.policy = S.FlatCosineAnnealingLrPolicy(start_percent, min_lr, min_lr_ratio)
        self.start_percent, self.min_lr, self.min_lr_ratio = start_percent, min_lr, min_lr_ratio
        super().__init__(**kwargs)


@HOOKS.register_module()
class CosineRestartLrUpdaterHook(LrUpdaterHook):
    """Cosine annealing restarted at every period boundary, scaled by ``restart_weights``."""

    def __init__(self, periods: List[int], restart_weights: List[float] = [1],  # noqa: B006 (mmcv default)
                 min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.CosineRestartLrPolicy(periods, restart_weights, min_lr, min_lr_ratio)
        self.periods, self.restart_weights = periods, restart_weights
        self.min_lr, self.min_lr_ratio = min_lr, min_lr_ratio
        super().__init__(**kwargs)
        self.cumulative_periods = self.policy.cumulative_periods


@HOOKS.register_module()
class CyclicLrUpdaterHook(LrUpdaterHook):
    """Cyclic LR (by iteration only): up to ``base*target_ratio[0]``, down to ``base*target_ratio[1]``."""

    def __init__(self, by_epoch: bool = False, target_ratio: Union[float, tuple] = (10, 1e-4),
                 cyclic_times: int = 1, step_ratio_up: float = 0.4, anneal_strategy: str = 'cos',
                 gamma: float = 1, **kwargs: Any) -> None:
        self.policy = policy = S.CyclicLrPolicy(by_epoch, target_ratio, cyclic_times, step_ratio_up,
                                                anneal_strategy, gamma)
        self.target_ratio, self.cyclic_times = policy.target_ratio, cyclic_times
        self.step_ratio_up, self.gamma = step_ratio_up, gamma
        self.anneal_func = annealing_cos if anneal_strategy == 'cos' else annealing_linear
        self.max_iter_per_phase: Optional[int] = None
        self.lr_phases: list = []
        super().__init__(by_epoch, **kwargs)

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        # informational: the policy derives the phases from max_iters itself
        self.max_iter_per_phase, self.lr_phases = self.policy.phases(runner.max_iters)  # type: ignore


@HOOKS.register_module()
class OneCycleLrUpdaterHook(LrUpdaterHook):
    """1cycle LR (by iteration only). Each group's base lr is ``max_lr / div_factor``; the
    optimizer's lr is ignored."""

    def __init__(self, max_lr: Union[float, List, Dict], total_steps: Optional[int] = None,
                 pct_start: float = 0.3, anneal_strategy: str = 'cos', div_factor: float = 25,
                 final_div_factor: float = 1e4, three_phase: bool = False, **kwargs: Any) -> None:
        passed = {'by_epoch': kwargs['by_epoch']} if 'by_epoch' in kwargs else {}
        self.policy = S.OneCycleLrPolicy(max_lr, total_steps, pct_start, anneal_strategy, div_factor,
                                         final_div_factor, three_phase, **passed)
        kwargs['by_epoch'] = False
        self._max_lr = max_lr
        if total_steps is not None:
            self.total_steps = total_steps
        self.pct_start, self.div_factor, self.final_div_factor = pct_start, div_factor, final_div_factor
        self.three_phase = three_phase
        self.anneal_func = annealing_cos if anneal_strategy == 'cos' else annealing_linear
        self.lr_phases: list = []
        super().__init__(**kwargs)

    def before_run(self, runner: Any) -> None:
        self.policy.check_run(runner.max_iters)  # type: ignore[union-attr]
        optimizers = runner.optimizer if isinstance(runner.optimizer, dict) else {
            type(runner.optimizer).__name__: runner.optimizer}
        base_lr = {}
        for k, optim in optimizers.items():
            lrs = [g['lr'] for g in optim.param_groups]
            base_lr[k] = self.policy.bases_from(lrs, k)  # type: ignore[union-attr]
            for group, lr in zip(optim.param_groups, base_lr[k]):
                group.setdefault('initial_lr', lr)
        self.base_lr = base_lr if isinstance(runner.optimizer, dict) else next(iter(base_lr.values()))
        self.lr_phases = self.policy.phases(runner.max_iters)  # type: ignore[union-attr]


@HOOKS.register_module()
class LinearAnnealingLrUpdaterHook(LrUpdaterHook):
    """Linear from the base lr to ``min_lr`` (or ``base * min_lr_ratio``)."""

    def __init__(self, min_lr: Optional[float] = None, min_lr_ratio: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.LinearAnnealingLrPolicy(min_lr, min_lr_ratio)
        self.min_lr, self.min_lr_ratio = min_lr, min_lr_ratio
        super().__init__(**kwargs)


__all__ = [
    'LrUpdaterHook', 'FixedLrUpdaterHook', 'StepLrUpdaterHook', 'ExpLrUpdaterHook', 'PolyLrUpdaterHook',
    'InvLrUpdaterHook', 'CosineAnnealingLrUpdaterHook', 'FlatCosineAnnealingLrUpdaterHook',
    'CosineRestartLrUpdaterHook', 'CyclicLrUpdaterHook', 'OneCycleLrUpdaterHook',
    'LinearAnnealingLrUpdaterHook', 'annealing_cos', 'annealing_linear', 'format_param',
    'get_position_from_periods'
]
