"""mmcv 1.x momentum updater hooks (SGD ``momentum`` or Adam-family ``betas[0]``).

Same stage behaviour as the LR updaters, without ``warmup_by_epoch``; warmup *divides* the
momentum by the LR warmup factor. Every value comes from :mod:`legacy_runner.schedules`.
"""
from typing import Any, Dict, List, Optional, Union

from .. import schedules as S
from ..schedules import annealing_cos, annealing_linear
from .hook import HOOKS, Hook

MomentumGroups = Union[List[float], Dict[str, List[float]]]


def _optimizers(runner: Any) -> Dict[str, Any]:
    """The runner's optimizers by name (a single one is named after its class, as mmcv does)."""
    if isinstance(runner.optimizer, dict):
        return runner.optimizer
    return {type(runner.optimizer).__name__: runner.optimizer}


class MomentumUpdaterHook(Hook, S.V1UpdaterStages):
    """Base momentum updater (stage timing: :class:`~legacy_runner.schedules.V1UpdaterStages`);
    subclasses provide ``get_momentum``.

    Args:
        by_epoch: recompute at each epoch start (else at every iteration).
        warmup: None, 'constant', 'linear' or 'exp'.
        warmup_iters: warmup length in iterations.
        warmup_ratio: the warmup starts at ``regular momentum / warmup_ratio``.
    """

    policy: Optional[S.V1Policy] = None  # set by the built-in subclasses
    regular_attr = 'regular_momentum'

    def __init__(self, by_epoch: bool = True, warmup: Optional[str] = None, warmup_iters: int = 0,
                 warmup_ratio: float = 0.9) -> None:
        S.check_warmup(warmup, warmup_iters, warmup_ratio, 'momentum')
        self.by_epoch = by_epoch
        self.warmup = warmup
        self.warmup_iters = warmup_iters
        self.warmup_ratio = warmup_ratio
        self.base_momentum: MomentumGroups = []  # initial momentum of every param group
        self.regular_momentum: MomentumGroups = []  # the momentum without warmup

    # the stage machine's primitives: mmcv's extension points get_regular_momentum/get_warmup_momentum
    def _stage_regular(self, runner: Any) -> MomentumGroups:
        return self.get_regular_momentum(runner)

    def _stage_warmup(self, cur_iter: int) -> MomentumGroups:
        return self.get_warmup_momentum(cur_iter)

    def _stage_write(self, runner: Any, values: MomentumGroups) -> None:
        self._set_momentum(runner, values)

    @staticmethod
    def _write(groups: List[Dict], values: List[float]) -> None:
        for group, mom in zip(groups, values):
            if 'momentum' in group:
                group['momentum'] = mom
            elif 'betas' in group:
                group['betas'] = (mom, group['betas'][1])

    def _set_momentum(self, runner: Any, momentum_groups: MomentumGroups) -> None:
        if isinstance(runner.optimizer, dict):
            for k, optim in runner.optimizer.items():
                self._write(optim.param_groups, momentum_groups[k])  # type: ignore[call-overload]
        else:
            self._write(runner.optimizer.param_groups, momentum_groups)  # type: ignore[arg-type]

    def get_momentum(self, runner: Any, base_momentum: Any) -> float:
        """Regular momentum of one group at the runner's current progress."""
        if self.policy is None:
            raise NotImplementedError
        if self.by_epoch:
            return self.policy.value(base_momentum, runner.epoch, runner.max_epochs)
        return self.policy.value(base_momentum, runner.iter, runner.max_iters)

    def get_regular_momentum(self, runner: Any) -> MomentumGroups:
        if isinstance(runner.optimizer, dict):
            return {k: [self.get_momentum(runner, b) for b in self.base_momentum[k]]  # type: ignore
                    for k in runner.optimizer.keys()}
        return [self.get_momentum(runner, b) for b in self.base_momentum]

    def get_warmup_momentum(self, cur_iters: int) -> MomentumGroups:
        def warm(m: float) -> float:
            return S.warmup_momentum(self.warmup, cur_iters, self.warmup_iters,  # type: ignore[arg-type]
                                     self.warmup_ratio, m)

        if isinstance(self.regular_momentum, dict):
            return {k: [warm(m) for m in ms] for k, ms in self.regular_momentum.items()}
        return [warm(m) for m in self.regular_momentum]

    def before_run(self, runner: Any) -> None:
        # a resumed optimizer keeps the initial_momentum it was saved with
        def initial(optim: Any) -> List[float]:
            for group in optim.param_groups:
                group.setdefault('initial_momentum',
                                 group['momentum'] if 'momentum' in group else group['betas'][0])
            return [group['initial_momentum'] for group in optim.param_groups]

        if isinstance(runner.optimizer, dict):
            self.base_momentum = {k: initial(optim) for k, optim in runner.optimizer.items()}
        else:
            self.base_momentum = initial(runner.optimizer)

    def before_train_epoch(self, runner: Any) -> None:
        self.updater_epoch_start(runner)

    def before_train_iter(self, runner: Any) -> None:
        self.updater_iter_start(runner, runner.iter)


@HOOKS.register_module()
class StepMomentumUpdaterHook(MomentumUpdaterHook):
    """``base * gamma**k`` after the k-th step, floored at ``min_momentum`` when given."""

    def __init__(self, step: Union[int, List[int]], gamma: float = 0.5, min_momentum: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.StepMomentumPolicy(step, gamma, min_momentum)
        self.step, self.gamma, self.min_momentum = step, gamma, min_momentum
        super().__init__(**kwargs)


@HOOKS.register_module()
class CosineAnnealingMomentumUpdaterHook(MomentumUpdaterHook):

    def __init__(self, min_momentum: Optional[float] = None, min_momentum_ratio: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.CosineAnnealingMomentumPolicy(min_momentum, min_momentum_ratio)
        self.min_momentum, self.min_momentum_ratio = min_momentum, min_momentum_ratio
        super().__init__(**kwargs)


@HOOKS.register_module()
class LinearAnnealingMomentumUpdaterHook(MomentumUpdaterHook):

    def __init__(self, min_momentum: Optional[float] = None, min_momentum_ratio: Optional[float] = None,
                 **kwargs: Any) -> None:
        self.policy = S.LinearAnnealingMomentumPolicy(min_momentum, min_momentum_ratio)
        self.min_momentum, self.min_momentum_ratio = min_momentum, min_momentum_ratio
        super().__init__(**kwargs)


@HOOKS.register_module()
class CyclicMomentumUpdaterHook(MomentumUpdaterHook):
    """Cyclic momentum (by iteration only), usually paired with the cyclic LR updater."""

    def __init__(self, by_epoch: bool = False, target_ratio: Union[float, tuple] = (0.85 / 0.95, 1.),
                 cyclic_times: int = 1, step_ratio_up: float = 0.4, anneal_strategy: str = 'cos',
                 gamma: float = 1., **kwargs: Any) -> None:
        self.policy = policy = S.CyclicMomentumPolicy(by_epoch, target_ratio, cyclic_times, step_ratio_up,
                                                      anneal_strategy, gamma)
        self.target_ratio, self.cyclic_times = policy.target_ratio, cyclic_times
        self.step_ratio_up, self.gamma = step_ratio_up, gamma
        self.anneal_func = annealing_cos if anneal_strategy == 'cos' else annealing_linear
        self.max_iter_per_phase: Optional[int] = None
        self.momentum_phases: list = []
        super().__init__(by_epoch, **kwargs)

    def before_run(self, runner: Any) -> None:
        super().before_run(runner)
        self.max_iter_per_phase, self.momentum_phases = self.policy.phases(runner.max_iters)  # type: ignore


@HOOKS.register_module()
class OneCycleMomentumUpdaterHook(MomentumUpdaterHook):
    """1cycle momentum (by iteration only): writes ``max_momentum`` at ``before_run`` and keeps
    ``base_momentum``/``max_momentum`` in every param group."""

    def __init__(self, base_momentum: Union[float, List, Dict] = 0.85,
                 max_momentum: Union[float, List, Dict] = 0.95, pct_start: float = 0.3,
                 anneal_strategy: str = 'cos', three_phase: bool = False, **kwargs: Any) -> None:
        passed = {'by_epoch': kwargs['by_epoch']} if 'by_epoch' in kwargs else {}
        self.policy = S.OneCycleMomentumPolicy(base_momentum, max_momentum, pct_start, anneal_strategy,
                                               three_phase, **passed)
        kwargs['by_epoch'] = False
        self._base_momentum, self._max_momentum = base_momentum, max_momentum
        self.pct_start, self.three_phase = pct_start, three_phase
        self.anneal_func = annealing_cos if anneal_strategy == 'cos' else annealing_linear
        self.momentum_phases: list = []
        super().__init__(**kwargs)

    def before_run(self, runner: Any) -> None:
        for k, optim in _optimizers(runner).items():
            if 'momentum' not in optim.defaults and 'betas' not in optim.defaults:
                raise ValueError('optimizer must support momentum with'
                                 'option enabled')
            self.use_beta1 = 'betas' in optim.defaults
            # only the group count matters: the bounds come from the config, not the optimizer
            bases = self.policy.bases_from(optim.param_groups, k)  # type: ignore[union-attr]
            for group, (low, high) in zip(optim.param_groups, bases):
                if self.use_beta1:
                    group['betas'] = (high, group['betas'][1])
                else:
                    group['momentum'] = high
                group['base_momentum'] = low
                group['max_momentum'] = high
        self.momentum_phases = self.policy.phases(runner.max_iters)  # type: ignore[union-attr]

    def get_momentum(self, runner: Any, param_group: Dict) -> float:  # type: ignore[override]
        # mmcv reads the bounds back from the group, so a resumed optimizer keeps its own
        bounds = (param_group['base_momentum'], param_group['max_momentum'])
        return self.policy.value(bounds, runner.iter, runner.max_iters)  # type: ignore[union-attr]

    def get_regular_momentum(self, runner: Any) -> MomentumGroups:
        if isinstance(runner.optimizer, dict):
            return {k: [self.get_momentum(runner, g) for g in optim.param_groups]
                    for k, optim in runner.optimizer.items()}
        return [self.get_momentum(runner, g) for g in runner.optimizer.param_groups]


__all__ = [
    'MomentumUpdaterHook', 'StepMomentumUpdaterHook', 'CosineAnnealingMomentumUpdaterHook',
    'LinearAnnealingMomentumUpdaterHook', 'CyclicMomentumUpdaterHook', 'OneCycleMomentumUpdaterHook'
]
