"""mmcv 1.x updater behaviour around the policies: warmup, the resolved updater, and a tracer.

:func:`v1_trace` reproduces what ``LrUpdaterHook``/``MomentumUpdaterHook`` leave in the param
groups at ``before_train_iter`` (stage timing, warmup, IterBasedRunner quirks) without torch.
"""
import copy
import inspect
from types import SimpleNamespace
from typing import Any, Dict, List, Optional, Sequence, Tuple

from .v1_policies import LR_POLICIES, MOMENTUM_POLICIES, OneCycleMomentumPolicy, V1Policy


# ----------------------------------------------------------------------------- warmup
def check_warmup(warmup: Optional[str], warmup_iters: Any, warmup_ratio: float, param: str = 'lr') -> None:
    """The base updater's warmup validation (ValueError for the type, asserts for the numbers)."""
    if warmup is not None and warmup not in ('constant', 'linear', 'exp'):
        valid = '"constant", "linear" and "exp"' if param == 'lr' else '"constant" and "linear"'
        raise ValueError(f'"{warmup}" is not a supported type for warming up, valid types are {valid}')
    if warmup is not None:
        assert warmup_iters > 0, '"warmup_iters" must be a positive integer'
        ratio_name = 'warmup_ratio' if param == 'lr' else 'warmup_momentum'
        assert 0 < warmup_ratio <= 1.0, f'"{ratio_name}" must be in range (0,1]'


def warmup_lr(warmup: str, cur_iter: int, warmup_iters: int, warmup_ratio: float, regular: float) -> float:
    """LR during warmup: the regular value scaled by a factor rising to 1 at ``warmup_iters``."""
    if warmup == 'constant':
        return regular * warmup_ratio
    if warmup == 'linear':
        k = (1 - cur_iter / warmup_iters) * (1 - warmup_ratio)
        return regular * (1 - k)
    if warmup == 'exp':
        k = warmup_ratio**(1 - cur_iter / warmup_iters)
        return regular * k
    raise ValueError(f'unknown warmup {warmup!r}')


def warmup_momentum(warmup: str, cur_iter: int, warmup_iters: int, warmup_ratio: float,
                    regular: float) -> float:
    """Momentum during warmup: mmcv *divides* by the LR warmup factor (momentum starts high)."""
    if warmup == 'constant':
        return regular / warmup_ratio
    if warmup == 'linear':
        k = (1 - cur_iter / warmup_iters) * (1 - warmup_ratio)
        return regular / (1 - k)
    if warmup == 'exp':
        k = warmup_ratio**(1 - cur_iter / warmup_iters)
        return regular / k
    raise ValueError(f'unknown warmup {warmup!r}')


WARMUP_FUNCS = {'lr': warmup_lr, 'momentum': warmup_momentum}


# ----------------------------------------------------------------------------- resolved updater
class V1Schedule:
    """A v1 updater config resolved into its policy and the base-class (warmup/by_epoch) options.

    Build it with :func:`build_v1_schedule` from an ``lr_config``/``momentum_config`` dict, or
    directly from a hook type name and kwargs with :meth:`from_hook_args`.
    """

    def __init__(self, policy: V1Policy, by_epoch: bool = True, warmup: Optional[str] = None,
                 warmup_iters: int = 0, warmup_ratio: Optional[float] = None,
                 warmup_by_epoch: bool = False) -> None:
        self.param = policy.param
        if warmup_ratio is None:
            warmup_ratio = 0.1 if self.param == 'lr' else 0.9
        check_warmup(warmup, warmup_iters, warmup_ratio, self.param)
        self.policy = policy
        self.by_epoch = False if policy.iter_only else by_epoch
        self.warmup = warmup
        self.warmup_iters = warmup_iters  # epochs when warmup_by_epoch (see warmup_iters_for)
        self.warmup_ratio = warmup_ratio
        self.warmup_by_epoch = warmup_by_epoch

    @classmethod
    def from_hook_args(cls, hook_type: str, kwargs: Dict[str, Any]) -> 'V1Schedule':
        """Build from a registered hook name (``'StepLrUpdaterHook'``) and its keyword arguments."""
        table = LR_POLICIES if hook_type.endswith('LrUpdaterHook') else MOMENTUM_POLICIES
        if hook_type not in table:
            raise KeyError(f'{hook_type} is not in the hook registry')
        policy_cls = table[hook_type]
        own = set(inspect.signature(policy_cls.__init__).parameters) - {'self'}
        policy_kwargs = {k: v for k, v in kwargs.items() if k in own}
        base_kwargs = {k: v for k, v in kwargs.items() if k not in own}
        allowed = {'by_epoch', 'warmup', 'warmup_iters', 'warmup_ratio'}
        if policy_cls.param == 'lr':
            allowed.add('warmup_by_epoch')
        unknown = sorted(set(base_kwargs) - allowed)
        try:
            policy = policy_cls(**policy_kwargs)
            if unknown:  # what Python says when a hook is given an argument it does not take
                raise TypeError(f"__init__() got an unexpected keyword argument '{unknown[0]}'")
            return cls(policy, **base_kwargs)
        except Exception as e:
            # mmcv's build_from_cfg prefixes the class name to the message
            raise type(e)(f'{hook_type}: {e}') from e

    def warmup_iters_for(self, epoch_len: Optional[int]) -> Optional[int]:
        """Warmup length in iterations; with ``warmup_by_epoch`` it needs the loader length, which
        mmcv only learns at the first ``before_train_epoch`` (None until then)."""
        if not self.warmup_by_epoch:
            return self.warmup_iters
        return None if epoch_len is None else self.warmup_iters * epoch_len

    def regular(self, bases: Sequence[Any], iteration: int, epoch: int, max_iters: int,
                max_epochs: Optional[int]) -> List[float]:
        """Regular values of all groups at this point of the run."""
        if self.by_epoch:
            return [self.policy.value(b, epoch, max_epochs) for b in bases]
        return [self.policy.value(b, iteration, max_iters) for b in bases]

    def warmup_values(self, cur_iter: int, warmup_iters: int, regular: Sequence[float]) -> List[float]:
        """Warmup values derived from ``regular`` at ``cur_iter`` (lr: scaled; momentum: divided)."""
        func = WARMUP_FUNCS[self.param]
        return [func(self.warmup, cur_iter, warmup_iters, self.warmup_ratio, r)  # type: ignore[arg-type]
                for r in regular]

    def __repr__(self) -> str:
        return (f'V1Schedule({self.policy!r}, by_epoch={self.by_epoch}, warmup={self.warmup!r}, '
                f'warmup_iters={self.warmup_iters}, warmup_ratio={self.warmup_ratio}, '
                f'warmup_by_epoch={self.warmup_by_epoch})')


def policy_hook_type(policy: str, param: str = 'lr') -> str:
    """mmcv's ``register_*_hook`` naming: all-lowercase names are title-cased ('step' -> 'Step')."""
    if policy == policy.lower():
        policy = policy.title()
    return policy + ('LrUpdaterHook' if param == 'lr' else 'MomentumUpdaterHook')


def build_v1_schedule(config: Dict[str, Any], param: str = 'lr') -> V1Schedule:
    """Resolve an ``lr_config`` (``param='lr'``) or ``momentum_config`` dict; the input is not mutated."""
    assert 'policy' in config
    kwargs = dict(config)
    hook_type = policy_hook_type(kwargs.pop('policy'), param)
    kwargs.pop('type', None)
    return V1Schedule.from_hook_args(hook_type, kwargs)


# ----------------------------------------------------------------------------- stage timing
class V1UpdaterStages:
    """When mmcv's updater hooks compute a value and write it: one LR or momentum parameter.

    The LR/momentum updater hooks and :func:`v1_trace` both drive it: :meth:`updater_epoch_start`
    at ``before_train_epoch``, :meth:`updater_iter_start` at ``before_train_iter``. A driver sets
    ``by_epoch``, ``warmup``, ``warmup_iters`` (an int by the first iteration) and the attribute
    named by ``regular_attr`` (the values without warmup), and supplies the regular values now
    (:meth:`_stage_regular`), the warmup values from the stored regular ones
    (:meth:`_stage_warmup`) and the write (:meth:`_stage_write`).
    """

    by_epoch: bool
    warmup: Optional[str]
    warmup_iters: Optional[int]
    regular_attr = 'regular'

    def _stage_regular(self, runner: Any) -> Any:
        raise NotImplementedError

    def _stage_warmup(self, cur_iter: int) -> Any:
        raise NotImplementedError

    def _stage_write(self, runner: Any, values: Any) -> None:
        raise NotImplementedError

    def updater_epoch_start(self, runner: Any) -> None:
        """``before_train_epoch``: by-epoch schedules compute and write the epoch's regular values."""
        if not self.by_epoch:
            return
        setattr(self, self.regular_attr, self._stage_regular(runner))
        self._stage_write(runner, getattr(self, self.regular_attr))

    def updater_iter_start(self, runner: Any, cur_iter: int) -> None:
        """``before_train_iter``: by-iteration schedules recompute every iteration; by-epoch ones
        only write during warmup and, once more, the regular values at its last iteration."""
        if not self.by_epoch:
            setattr(self, self.regular_attr, self._stage_regular(runner))
            if self.warmup is None or cur_iter >= self.warmup_iters:  # type: ignore[operator]
                self._stage_write(runner, getattr(self, self.regular_attr))
            else:
                self._stage_write(runner, self._stage_warmup(cur_iter))
        elif self.warmup is None or cur_iter > self.warmup_iters:  # type: ignore[operator]
            return
        elif cur_iter == self.warmup_iters:
            self._stage_write(runner, getattr(self, self.regular_attr))
        else:
            self._stage_write(runner, self._stage_warmup(cur_iter))


class _TracedUpdater(V1UpdaterStages):
    """A resolved schedule driving :class:`V1UpdaterStages` on plain lists (no optimizer)."""

    def __init__(self, sched: V1Schedule, bases: List[Any], values: Dict[str, List[float]]) -> None:
        self.sched, self.bases, self.values = sched, bases, values
        self.by_epoch, self.warmup = sched.by_epoch, sched.warmup
        self.warmup_iters = sched.warmup_iters_for(None)  # None until the loader length is known
        self.regular: List[float] = []  # the hooks' regular_* lists stay empty until first computed

    def _stage_regular(self, runner: Any) -> List[float]:
        return self.sched.regular(self.bases, runner.iter, runner.epoch, runner.max_iters, runner.max_epochs)

    def _stage_warmup(self, cur_iter: int) -> List[float]:
        return self.sched.warmup_values(cur_iter, self.warmup_iters, self.regular)  # type: ignore[arg-type]

    def _stage_write(self, runner: Any, values: List[float]) -> None:
        if values:  # an empty list (no epoch hook ran yet) writes nothing, like zip() in mmcv
            self.values[self.sched.param] = list(values)


# ----------------------------------------------------------------------------- tracer
def _runner_lengths(runner: Dict[str, Any], iters_per_epoch: int) -> Tuple[bool, int, Optional[int]]:
    rtype = runner.get('type', 'EpochBasedRunner')
    if rtype in ('EpochBasedRunner', 'Runner'):
        if runner.get('max_iters') is not None and runner.get('max_epochs') is not None:
            raise ValueError('Only one of `max_epochs` or `max_iters` can be set.')
        max_epochs = runner['max_epochs']
        return False, max_epochs * iters_per_epoch, max_epochs
    if rtype == 'IterBasedRunner':
        return True, runner['max_iters'], None
    raise KeyError(f'{rtype} is not in the runner registry')


def v1_trace(lr_config: Optional[Dict[str, Any]], momentum_config: Optional[Dict[str, Any]] = None,
             runner: Optional[Dict[str, Any]] = None, iters_per_epoch: int = 1,
             base_lrs: Sequence[float] = (0.1, ), base_momenta: Optional[Sequence[float]] = None,
             optimizer_name: str = 'SGD') -> List[Dict[str, Any]]:
    """What mmcv's updater hooks leave in the param groups at ``before_train_iter``, per train iter.

    Args:
        lr_config / momentum_config: as passed to ``register_training_hooks`` (None = no hook).
        runner: ``dict(type='EpochBasedRunner', max_epochs=E)`` or ``dict(type='IterBasedRunner',
            max_iters=I)``; workflow ``[('train', 1)]`` is assumed.
        iters_per_epoch: the train loader length L.
        base_lrs / base_momenta: the optimizer's per-group ``lr`` and ``momentum`` (or ``betas[0]``);
            ``base_momenta=None`` means the optimizer has no momentum (recorded as 0).
        optimizer_name: the optimizer class name, used to look up per-optimizer dict values.

    Returns:
        ``[{iter, epoch, inner_iter, lr: [...], momentum: [...]}, ...]`` with the runner's counters
        (IterBasedRunner: ``inner_iter`` is 0 and ``epoch`` lags one iteration at loader roll-over).
    """
    iter_runner, max_iters, max_epochs = _runner_lengths(dict(runner or {}), iters_per_epoch)
    schedules, bases, values = v1_before_run(lr_config, momentum_config, iter_runner, max_iters, base_lrs,
                                             base_momenta, optimizer_name)
    updaters = [_TracedUpdater(sched, group_bases, values) for sched, group_bases in zip(schedules, bases)]
    run = SimpleNamespace(iter=0, epoch=0, max_iters=max_iters, max_epochs=max_epochs)
    records = []
    for it in range(max_iters):
        if iter_runner:
            # IterLoader.epoch is read before next(), so it lags one iteration at roll-over
            epoch = 0 if it == 0 else (it - 1) // iters_per_epoch
            inner = 0
        else:
            epoch, inner = divmod(it, iters_per_epoch)
        run.iter, run.epoch = it, epoch
        if not iter_runner and inner == 0:  # before_train_epoch (never called by IterBasedRunner)
            for u in updaters:
                if u.warmup_iters is None:
                    u.warmup_iters = u.sched.warmup_iters_for(iters_per_epoch)
                u.updater_epoch_start(run)
        for u in updaters:  # before_train_iter
            assert isinstance(u.warmup_iters, int)
            u.updater_iter_start(run, it)
        records.append(dict(iter=it, epoch=epoch, inner_iter=inner, lr=list(values['lr']),
                            momentum=list(values['momentum'])))
    return records


def v1_before_run(lr_config: Optional[Dict[str, Any]], momentum_config: Optional[Dict[str, Any]],
                  iter_runner: bool, max_iters: int, base_lrs: Sequence[float],
                  base_momenta: Optional[Sequence[float]],
                  optimizer_name: str) -> Tuple[List[V1Schedule], List[list], Dict[str, List[float]]]:
    """``before_run`` of the updater hooks, in registration order (lr hook first).

    Returns the resolved schedules, each one's per-group bases and the param-group values it
    leaves (``{'lr': [...], 'momentum': [...]}``; momentum 0 for an optimizer without one).
    """
    n_groups = len(base_lrs)
    values = {'lr': [float(v) for v in base_lrs],
              'momentum': [float(v) for v in base_momenta] if base_momenta is not None else [0.0] * n_groups}
    schedules: List[V1Schedule] = []
    if lr_config is not None:
        lr_config = copy.deepcopy(lr_config)
        if iter_runner:
            lr_config.setdefault('by_epoch', False)  # IterBasedRunner.register_training_hooks
        schedules.append(build_v1_schedule(lr_config, 'lr'))
    if momentum_config is not None:
        schedules.append(build_v1_schedule(copy.deepcopy(momentum_config), 'momentum'))
    bases: List[list] = []
    for sched in schedules:
        if sched.param == 'momentum' and base_momenta is None:
            if isinstance(sched.policy, OneCycleMomentumPolicy):
                raise ValueError('optimizer must support momentum with option enabled')
            raise KeyError('betas')  # what mmcv's before_run hits for such an optimizer
        sched.policy.check_run(max_iters)
        group_bases = sched.policy.bases_from(values[sched.param], optimizer_name)
        start = sched.policy.run_start_values(group_bases)
        if start is not None:
            values[sched.param] = list(start)
        bases.append(group_bases)
    return schedules, bases, values
