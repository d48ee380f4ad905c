"""Main v1 policies -> v2 schedulers (conversion rules: Main policies for lr, Momentum for momentum).

Each function takes the builder, the validated v1 policy object (from
``legacy_runner.schedules``, so arguments carry mmcv's defaults and were checked like mmcv
checks them) and the policy's ``by_epoch``; it appends schedulers and marks the keys it treats
specially. Keys it does not mark are reported exact by the builder.

Ends: where the Runner's default ``end`` (max_epochs / max_iters) is the right value, ``end`` and
``T_max`` are left out, so a derived config that only changes the run length stays correct.
"""
from typing import Any, Optional, Tuple

from ..errors import ConversionError
from .sched_builder import ScheduleBuilder, tidy

RUNNER_END = 'end/T_max left to the Runner (max_epochs or max_iters)'


def _min_keys(b: ScheduleBuilder) -> tuple:
    return ('min_lr', 'min_lr_ratio') if b.param == 'lr' else ('min_momentum', 'min_momentum_ratio')


def _floor_args(b: ScheduleBuilder, pol: Any) -> Tuple[dict, str, str]:
    """``(args, v1 key, v2 field)``: ``eta_min=m`` or ``eta_min_ratio=r`` from the policy's floor."""
    abs_key, ratio_key = _min_keys(b)
    ratio = getattr(pol, ratio_key)
    if ratio is not None:
        return {'eta_min_ratio': ratio}, ratio_key, 'eta_min_ratio'
    return {'eta_min': getattr(pol, abs_key)}, abs_key, 'eta_min'


def _has_floor(args: dict) -> bool:
    return bool(args.get('eta_min') or args.get('eta_min_ratio'))


def _first_update(b: ScheduleBuilder, by_epoch: bool, step: int = 1) -> Optional[int]:
    """Iteration at which a schedule first changes the value (``step`` in its own unit)."""
    return b.epoch_to_iter(step) if by_epoch else step


def _distinct_bases(b: ScheduleBuilder) -> bool:
    return len(set(b.bases)) > 1


# ----------------------------------------------------------------------------- fixed / step / exp
def fixed(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    b.exact('policy', None, 'a fixed value needs no scheduler')


def step(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    """Step/MultiStep; a ``min_lr`` clip becomes a last milestone with the clipping gamma."""
    clip = pol.min_lr if b.param == 'lr' else pol.min_momentum
    clip_key = _min_keys(b)[0]
    base = b.bases[0]
    steps = pol.step
    if clip is None:
        if isinstance(steps, int):
            i = b.add('Step', by_epoch, step_size=steps, gamma=pol.gamma)
            b.exact('step', b.path(i, 'step_size'))
        else:
            i = b.add('MultiStep', by_epoch, milestones=list(steps), gamma=pol.gamma)
            b.exact('step', b.path(i, 'milestones'))
        b.exact('policy', b.path(i, 'type'), RUNNER_END)
        b.exact('gamma', b.path(i, 'gamma'))
        return

    def clip_count(value: float) -> Optional[int]:
        # number of milestones after which v1 starts clipping (None: never within the milestones)
        limit = len(steps) if isinstance(steps, list) else 10_000
        for k in range(limit + 1):
            if value * pol.gamma**k < clip:
                return k
            if pol.gamma >= 1:
                return None
        return None

    counts = {clip_count(v) for v in b.bases}
    k = clip_count(base)
    milestones = list(steps) if isinstance(steps, list) else [steps * (j + 1) for j in range(k or 0)]
    if k is None:
        if isinstance(steps, int):
            i = b.add('Step', by_epoch, step_size=steps, gamma=pol.gamma)
            b.exact('step', b.path(i, 'step_size'))
        else:
            i = b.add('MultiStep', by_epoch, milestones=milestones, gamma=pol.gamma)
            b.exact('step', b.path(i, 'milestones'))
        b.exact('policy', b.path(i, 'type'), RUNNER_END)
        b.exact('gamma', b.path(i, 'gamma'))
        b.exact(clip_key, None, 'the decayed value never falls below it, so the clip never acts')
        if counts != {None}:
            b.approx(clip_key, None, 'some param groups would be clipped and others not; v2 has no clip')
        return
    if k == 0:
        # the base is already below the floor: v1 holds the floor for the whole run
        i = b.jump(0, clip / base)
        b.absolute = True
        b.exact('policy', b.path(i, 'type'), f'the base value is below {clip_key}, so v1 holds '
                f'{clip_key} all run: set once at iteration 0')
        b.exact('step', None, f'no effect: the value stays at {clip_key}')
        b.exact('gamma', None, f'no effect: the value stays at {clip_key}')
        b.exact(clip_key, b.path(i, 'restart_weights'))
    else:
        first = None
        if k > 1:
            first = b.add('MultiStep', by_epoch, milestones=milestones[:k - 1], gamma=pol.gamma)
        last_gamma = clip / (base * pol.gamma**(k - 1))
        i = b.add('MultiStep', by_epoch, milestones=[milestones[k - 1]], gamma=last_gamma)
        b.exact('policy', b.path(first if first is not None else i, 'type'), RUNNER_END)
        b.exact('step', b.path(i, 'milestones'), f'milestones after #{k} are dropped: v1 clips there')
        b.exact('gamma', b.path(first if first is not None else i, 'gamma'))
        b.exact(clip_key, b.path(i, 'gamma'), f'the clipping milestone gets gamma = {clip_key}/value '
                'before it, so the value lands exactly on the floor')
    if len(counts) > 1 or (_distinct_bases(b) and k != 0):
        b.approx(clip_key, b.path(i, 'gamma'), 'exact for the base value '
                 f'{base:g} only: v2 has no clip, and groups with other base values reach the floor '
                 'at other milestones or other values')


def exp(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    i = b.add('Exponential', by_epoch, gamma=pol.gamma)
    b.exact('policy', b.path(i, 'type'), RUNNER_END)
    b.exact('gamma', b.path(i, 'gamma'))


# ----------------------------------------------------------------------------- poly / linear / inv
def poly(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    T = b.horizon(by_epoch)
    args = dict(eta_min=pol.min_lr, power=pol.power)
    if T is not None:
        i = b.add('Poly', by_epoch, 0, T + 1, **args)
        b.exact('policy', b.path(i, 'type'), 'end = run length + 1: PolyLR reaches eta_min at end-1, '
                'v1 never reaches min_lr inside the run')
    else:
        i = b.add('Poly', True, 0, b.runner.max_epochs, True, **args)
        b.approx_no_length('policy', b.path(i, 'end'), 'per-iteration poly in an epoch runner: '
                           'converted from epochs it ends one iteration early (v2 needs end=E*L+1), '
                           'worst at the last iteration')
    b.exact('power', b.path(i, 'power'))
    b.exact('min_lr', b.path(i, 'eta_min'))
    b.floor = bool(pol.min_lr)
    b.first_update = 1 if T is None else _first_update(b, by_epoch)


def linear_annealing(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    abs_key, ratio_key = _min_keys(b)
    ratio = getattr(pol, ratio_key)
    stop = ratio if ratio is not None else getattr(pol, abs_key) / b.bases[0]
    T = b.horizon(by_epoch)
    if T is not None:
        i = b.linear_segment(0, T, 1.0, stop, by_epoch)
        b.exact('policy', b.path(i, 'type'), 'end = run length + 1: LinearLR reaches its end factor '
                'at end-1, v1 never reaches the minimum inside the run')
        if stop > 1:
            b.absolute = True
    else:
        if stop > 1:
            raise ConversionError('a rising LinearAnnealing in an epoch runner needs --epoch-length',
                                  key=f'{b.section}.{abs_key}')
        i = b.add('Linear', True, 0, b.runner.max_epochs, True, start_factor=1.0, end_factor=stop)
        b.approx_no_length('policy', b.path(i, 'end'), 'per-iteration annealing in an epoch runner: '
                           'converted from epochs it ends one iteration early (v2 needs end=E*L+1)')
    key = ratio_key if ratio is not None else abs_key
    b.exact(key, b.path(i, 'end_factor'))
    if ratio is None and _distinct_bases(b) and getattr(pol, abs_key):
        b.approx(abs_key, b.path(i, 'end_factor'), f'end_factor = {abs_key}/base is exact for base '
                 f'{b.bases[0]:g} only; groups with other base values end elsewhere')


def inv(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    reason = ('no built-in v2 scheduler computes base*(1+gamma*t)^-power; keep it only with a '
              'custom scheduler')
    b.drop('policy', reason)
    b.drop('gamma', reason)
    b.drop('power', reason)


# ----------------------------------------------------------------------------- cosine family
def cosine(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    args, floor_key, floor_field = _floor_args(b, pol)
    if by_epoch or b.iter_runner:
        i = b.add('CosineAnnealing', by_epoch, **args)
        b.first_update = _first_update(b, by_epoch)
    else:
        # per-iteration cosine in an epoch runner: epoch units converted to iterations are exact
        i = b.add('CosineAnnealing', True, convert=True, **args)
        b.first_update = 1
    b.exact('policy', b.path(i, 'type'), RUNNER_END)
    b.exact(floor_key, b.path(i, floor_field))
    b.floor = _has_floor(args)


def flat_cosine(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    args, floor_key, floor_field = _floor_args(b, pol)
    T = b.horizon(by_epoch)
    b.floor = _has_floor(args)
    if T is not None:
        start = round(T * pol.start_percent)  # Python's half-to-even round, as mmcv
        if start >= T:
            b.exact('policy', None, 'the annealing would start at the end of the run: constant value')
            b.exact('start_percent', None, 'the annealing would start at the end of the run')
            return
        i = b.add('CosineAnnealing', by_epoch, start, T, T_max=T - start, **args)
        b.exact('start_percent', b.path(i, 'begin'), f'begin = round({T}*{pol.start_percent}) = {start} '
                '(Python rounds half to even, like mmcv)')
        b.first_update = _first_update(b, by_epoch, start + 1)
    else:
        E = b.runner.max_epochs
        start_ep = tidy(E * pol.start_percent)
        i = b.add('CosineAnnealing', True, start_ep, E, True, T_max=tidy(E - start_ep), **args)
        b.approx_no_length('start_percent', b.path(i, 'begin'), 'per-iteration flat cosine in an '
                           'epoch runner: the flat part ends at int(E*start_percent*L) instead of '
                           'round(E*L*start_percent)')
        b.first_update = None
    b.exact('policy', b.path(i, 'type'))
    b.exact(floor_key, b.path(i, floor_field))


def cosine_restart(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    """CosineRestart with the restart weights adjusted for the floor (conversion rules: Main policies)."""
    args, floor_key, floor_field = _floor_args(b, pol)
    T = b.horizon(by_epoch)
    periods = list(pol.periods)
    if T is not None and sum(periods) < T:
        unit = 'epoch' if by_epoch else 'iteration'
        raise ConversionError(f'the periods cover {sum(periods)} {unit}s but the run has {T}: mmcv '
                              f'raises ValueError at {unit} {sum(periods)}', key=f'{b.section}.periods',
                              value=periods)
    weights = list(pol.restart_weights)
    ratio = args.get('eta_min_ratio')
    floor = args.get('eta_min')
    per_base = False
    if all(w == 1 for w in weights) or not (ratio or floor):
        adjusted = weights
        how = 'unchanged: with these weights (or a zero floor) v1 and v2 restart at the same value'
    elif ratio is not None:
        adjusted = [w + (1 - w) * ratio for w in weights]
        how = ('w + (1-w)*min_ratio: v2 restarts at base*w, v1 at min + w*(base-min)')
    else:
        adjusted = [w + (1 - w) * floor / b.bases[0] for w in weights]
        how = (f'w + (1-w)*min/base with base {b.bases[0]:g}: v2 restarts at base*w, v1 at '
               'min + w*(base-min)')
        per_base = _distinct_bases(b)
    i = b.add('CosineRestart', by_epoch, periods=periods, restart_weights=adjusted, **args)
    b.exact('policy', b.path(i, 'type'))
    b.exact('periods', b.path(i, 'periods'))
    b.exact(floor_key, b.path(i, floor_field))
    b.exact('restart_weights', b.path(i, 'restart_weights'), how)
    if per_base:
        b.approx('restart_weights', b.path(i, 'restart_weights'), how + '; exact for that base only, '
                 'groups with other base values restart slightly off')
    b.floor, b.absolute = _has_floor(args), True
    b.first_update = _first_update(b, by_epoch)
