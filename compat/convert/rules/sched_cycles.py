"""Cyclic and 1cycle policies (lr and momentum) -> chained v2 segments.

A v1 cycle rises (or falls) from the base value to a peak, then anneals to a low value, per
iteration. mmengine has no cyclic scheduler, but every segment is a CosineAnnealing (or Linear)
scheduler acting on the current value, and the jump back to the start of the next cycle is a
one-iteration CosineRestart (see ``ScheduleBuilder.jump``). Built this way the schedule is exact
for any number of cycles, ``gamma`` and either anneal strategy.
"""
from typing import Any, Dict, List, Optional

from legacy_runner.schedules import format_param

from ..errors import ConversionError
from .sched_builder import ScheduleBuilder, tidy


def _cos_segment(b: ScheduleBuilder, begin: int, steps: int, start: float, stop: float,
                 current: Optional[float], end_extra: int) -> int:
    """Cosine from ``start*base`` to ``stop*base`` over ``steps`` iterations (jumping first if the
    groups do not hold ``start``). ``end_extra=1`` lets the segment reach ``stop`` at its last step."""
    if current is None or current != start:
        b.jump(begin, start)
    return b.add('CosineAnnealing', False, begin, begin + steps + end_extra, T_max=steps,
                 eta_min_ratio=stop)


def cyclic(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    hi, lo = pol.target_ratio
    total = b.total_iters()
    if total is None:
        _cyclic_without_length(b, pol)
        return
    per_cycle = total // pol.cyclic_times
    if per_cycle == 0:
        raise ConversionError(f'more cycles than iterations ({total}): mmcv divides by zero',
                              key=f'{b.section}.cyclic_times', value=pol.cyclic_times)
    up = int(pol.step_ratio_up * per_cycle)
    linear = pol.anneal_strategy == 'linear'
    first: Optional[int] = None
    current: Optional[float] = 1.0
    for k in range(-(-total // per_cycle)):  # the last cycle may be partial
        start = k * per_cycle
        scale = pol.gamma**k
        peak = 1 - scale + hi * scale  # mmcv shrinks the peak towards the base by gamma per cycle
        if k > 0:
            current = None  # the previous cycle left the groups near the low value
        if up > 0:
            if linear:
                i = b.linear_segment(start, up, 1.0, peak, current=current)
            else:
                i = _cos_segment(b, start, up, 1.0, peak, current, 1)
            first = i if first is None else first
            current = peak
        if start + up >= total:
            break
        if linear:
            i = b.linear_segment(start + up, per_cycle - up, peak, lo, current=current)
        else:
            i = _cos_segment(b, start + up, per_cycle - up, peak, lo, current, 0)
        first = i if first is None else first
        current = None
    b.exact('policy', b.path(first or b.offset, 'type'), 'one scheduler per phase of every cycle; '
            'one-iteration CosineRestart entries set the value where a cycle starts')
    b.absolute, b.floor, b.first_update = True, True, 1


def _cyclic_without_length(b: ScheduleBuilder, pol: Any) -> None:
    """Epoch runner without L: one cycle can be written in epoch units (approximate)."""
    hi, lo = pol.target_ratio
    if pol.cyclic_times != 1:
        reason = ('cycle starts are iteration counts (E*L // cyclic_times): pass --epoch-length '
                  'to convert it')
        for key in ['policy'] + [k for k in b.cfg if k != 'policy']:
            b.drop(key, reason)
        return
    epochs = b.runner.max_epochs
    up = tidy(epochs * pol.step_ratio_up)
    if up > 0:
        i = b.add('CosineAnnealing', True, 0, up, True, T_max=up, eta_min_ratio=hi)
    else:
        i = b.jump(0, hi)
    b.add('CosineAnnealing', True, up, epochs, True, T_max=tidy(epochs - up), eta_min_ratio=lo)
    shape = ' (linear ramps written as cosine ramps)' if pol.anneal_strategy == 'linear' else ''
    b.approx_no_length('policy', b.path(i, 'type'), 'one cycle in epoch units: the peak is '
                       'missed by an iteration and the phase boundary rounds differently' + shape)
    b.absolute, b.floor, b.first_update = True, True, None


# ----------------------------------------------------------------------------- OneCycle
def one_cycle(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    max_lr = pol.max_lr
    if isinstance(max_lr, dict):
        # v1 looks the value up under the optimizer class name for a single optimizer
        try:
            max_lr = format_param(b.optimizer_type, len(b.bases), max_lr)
        except KeyError as e:
            raise ConversionError(f'has no entry for the optimizer {b.optimizer_type!r}',
                                  key=f'{b.section}.max_lr', value=pol.max_lr) from e
        max_lr = max_lr[0] if len(set(max_lr)) == 1 else max_lr
    args: Dict[str, Any] = {'eta_max': list(max_lr) if isinstance(max_lr, (list, tuple)) else max_lr}
    for key in ('total_steps', 'pct_start', 'anneal_strategy', 'div_factor', 'final_div_factor',
                'three_phase'):
        if key in b.cfg:
            args[key] = getattr(pol, key)
    total = b.total_iters()
    if pol.total_steps is not None:
        if total is not None and pol.total_steps < total:
            raise ConversionError(f'is smaller than the run ({total} iterations): mmcv raises ValueError',
                                  key=f'{b.section}.total_steps', value=pol.total_steps)
        i = b.add('OneCycle', False, **args)
    elif b.iter_runner:
        i = b.add('OneCycle', False, **args)
    else:
        # one cycle over the whole run: epoch units converted to iterations are exact (L-free)
        i = b.add('OneCycle', True, 0, b.runner.max_epochs, True, **args)
    b.exact('policy', b.path(i, 'type'), 'OneCycleLR writes absolute values, like v1')
    b.exact('max_lr', b.path(i, 'eta_max'))
    if isinstance(args['eta_max'], list) and len(args['eta_max']) > 1:
        b.approx('max_lr', b.path(i, 'eta_max'), 'one value per param group: with several groups '
                 'mmengine\'s OptimWrapper also schedules a pseudo group of the optimizer defaults, '
                 'so OneCycleLR expects one more value (append one, or use --exact)', numeric=False)
        b.entries[f'{b.section}.max_lr'].bound_note = ('no value difference to bound: the scheduler '
                                                       'fails to build on mmengine as written')
    b.absolute = True


def one_cycle_momentum(b: ScheduleBuilder, pol: Any, by_epoch: bool) -> None:
    """v2 has no OneCycleMomentum: the optimizer starts at max_momentum (v1 writes it in
    before_run) and cosine/linear segments follow the phases."""
    n = len(b.bases)
    lows = format_param(b.optimizer_type, n, pol.base_momentum)
    highs = format_param(b.optimizer_type, n, pol.max_momentum)
    low, high = lows[0], highs[0]
    b.optimizer_momentum = high
    ratio = {'base': low / high, 'max': 1.0}
    total = b.total_iters()
    linear = pol.anneal_strategy == 'linear'
    indices: List[int] = []
    if total is None:
        epochs = b.runner.max_epochs
        turn = tidy(pol.pct_start * epochs)
        segments = [(0, turn, low), (turn, tidy(2 * turn) if pol.three_phase else epochs, high)]
        for begin, end, target in segments:
            if end > begin:
                indices.append(b.add('CosineAnnealing', True, begin, end, True, T_max=tidy(end - begin),
                                     eta_min=target))
        b.approx_no_length('pct_start', b.path(indices[0], 'end'), 'phase boundaries in epoch units '
                           '(v1 puts them at pct_start*E*L - 1)'
                           + (' and cosine instead of linear ramps' if linear else ''))
    else:
        phases = pol.phases(total)
        integral = all(abs(end - round(end)) < 1e-9 for end, _, _ in phases)
        prev = 0
        current: Optional[float] = 1.0
        for end_f, start_key, end_key in phases:
            end = int(round(end_f))
            steps = end - prev
            start_v, stop_v = ratio[start_key], ratio[end_key]
            if steps > 0 and start_v != stop_v:
                if linear:
                    indices.append(b.linear_segment(prev, steps, start_v, stop_v, current=current))
                else:
                    if current != start_v:
                        b.jump(prev, start_v)
                    indices.append(b.add('CosineAnnealing', False, prev, end + 1, T_max=steps,
                                         eta_min=stop_v * high))
                current = stop_v
            prev = end
        if not integral:
            b.approx('pct_start', b.path(indices[0], 'end'), f'pct_start*{total} is not a whole number: '
                     'v1 phase boundaries fall between iterations; v2 segments start on the nearest one')
        b.absolute = b.absolute or linear
    first = indices[0] if indices else None
    b.exact('policy', b.path(first, 'type') if first is not None else None,
            'v2 OneCycleLR never schedules momentum: one scheduler per phase instead')
    b.exact('max_momentum', 'optim_wrapper.optimizer.' + ('betas[0]' if b.uses_betas else 'momentum'),
            'v1 sets every group to max_momentum before training; the optimizer starts there in v2')
    b.exact('base_momentum', b.path(first, 'eta_min') if first is not None else None)
    if len(set(lows)) > 1 or len(set(highs)) > 1:
        b.approx('base_momentum', None, 'per-group momentum bounds: converted with the first '
                 'group\'s', numeric=False)
