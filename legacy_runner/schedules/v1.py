"""mmcv 1.x updater behaviour around the policies: warmup, the resolved updater, and a tracer.

:func:`v1_trace` reproduces what ``LrUpdaterHook``/``MomentumUpdaterHook`` leave in the param
groups at ``before_train_iter`` (stage timing, warmup, IterBasedRunner quirks) without torch.
"""
import copy
import inspect
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

    # before_run, in registration order (lr hook first)
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
    # the hooks' regular_* lists stay empty until first computed; warmup_iters may be pending
    regular: List[list] = [[] for _ in schedules]
    warmup_iters = [s.warmup_iters_for(None) for s in schedules]

    records = []
    for it in range(max_iters):
        if iter_runner:
            # IterLoader.epoch is read before next(), so it lags one iteration at roll-over
            epoch = 0 if it == 0 else (it - 1) // iters_per_epoch
            inner = 0
        else:
            epoch, inner = divmod(it, iters_per_epoch)
            if inner == 0:  # before_train_epoch (never called by IterBasedRunner)
                for k, sched in enumerate(schedules):
                    if warmup_iters[k] is None:
                        warmup_iters[k] = sched.warmup_iters_for(iters_per_epoch)
                    if sched.by_epoch:
                        regular[k] = sched.regular(bases[k], it, epoch, max_iters, max_epochs)
                        values[sched.param] = list(regular[k])
        for k, sched in enumerate(schedules):  # before_train_iter
            w_iters = warmup_iters[k]
            assert isinstance(w_iters, int)
            if not sched.by_epoch:
                regular[k] = sched.regular(bases[k], it, epoch, max_iters, max_epochs)
                if sched.warmup is None or it >= w_iters:
                    values[sched.param] = list(regular[k])
                else:
                    values[sched.param] = sched.warmup_values(it, w_iters, regular[k])
            elif sched.warmup is not None and it <= w_iters and regular[k]:
                # an empty regular list (no epoch hook ran) writes nothing, like zip() in mmcv
                values[sched.param] = (list(regular[k]) if it == w_iters
                                       else sched.warmup_values(it, w_iters, regular[k]))
        records.append(dict(iter=it, epoch=epoch, inner_iter=inner, lr=list(values['lr']),
                            momentum=list(values['momentum'])))
    return records
