"""Numeric equivalence of the converted schedule: v1 updater hooks vs v2 schedulers, per iteration.

Both sides are the pure functions of ``legacy_runner.schedules`` (what the legacy updater hooks
write, what ParamSchedulerHook does), compared by ``measure.group_diff`` for every iteration of the
run and every param group. Nothing is trained and torch is never imported.

Two uses: ``refine_schedule_entries`` puts the measured bounds on every approximate or dropped
schedule entry during conversion, and ``verify`` (``--verify``) prints the same measurement.
Without ``--epoch-length`` an epoch run is measured at the default L=1000 and at every length of
``CANDIDATE_LENGTHS``; the bound is the largest of them.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple, cast

from legacy_runner.schedules import TraceDiff

from .context import Context
from .errors import ConversionError
from .measure import GroupDiff, group_diff
from .report import APPROXIMATE, DROPPED, EXACT, Entry

# Float rounding only: chained v2 updates and v1 closed forms agree to ~1e-14 in practice.
EXACT_REL = 1e-10
# The epoch length assumed when the real one is unknown (the report names it), and the range whose
# worst case the bound also covers.
DEFAULT_EPOCH_LENGTH = 1000
CANDIDATE_LENGTHS = (1, 2, 3, 5, 7, 10, 25, 100, 1000)
_MEASURED: Dict[str, GroupDiff] = {}


def v2_momenta(ctx: Context, v2cfg: Dict[str, Any]) -> Optional[List[float]]:
    """The converted optimizer's momentum (or ``betas[0]``) per group, None if it has neither."""
    base = ctx.group_momenta()
    if base is None:
        return None
    opt = (v2cfg.get('optim_wrapper') or {}).get('optimizer') or {}
    if 'betas' in opt:
        return [float(opt['betas'][0])] * len(base)
    if 'momentum' in opt:
        return [float(opt['momentum'])] * len(base)
    return base


def measure_groups(ctx: Context, v2cfg: Dict[str, Any], epoch_length: int) -> GroupDiff:
    """Per-group max relative lr/momentum difference of the whole run at one epoch length.

    Memoised per process on everything it depends on: a tree repeats the same schedule bases in
    many configs.
    """
    runner = ctx.runner
    lrs, momenta = ctx.group_lrs(), ctx.group_momenta()
    lr_cfg, mom_cfg = ctx.schedule_section('lr_config'), ctx.schedule_section('momentum_config')
    v2_mom = v2_momenta(ctx, v2cfg)
    key = repr((lr_cfg, mom_cfg, runner.v1_runner(), epoch_length, lrs, momenta, ctx.optimizer_type,
                v2cfg.get('param_scheduler'), v2cfg['train_cfg'].get('type'), v2_mom))
    hit = _MEASURED.get(key)
    if hit is not None:
        return hit
    try:
        result = group_diff(lr_cfg, mom_cfg, runner.v1_runner(), epoch_length, lrs, momenta,
                            ctx.optimizer_type, v2cfg.get('param_scheduler'), v2cfg['train_cfg'], v2_mom)
    except (KeyError, ValueError, TypeError, AssertionError) as e:
        raise ConversionError(f'the v1 schedule fails when evaluated (as it would in training): '
                              f'{type(e).__name__}: {e}', key='lr_config/momentum_config') from e
    if len(_MEASURED) < 4096:
        _MEASURED[key] = result
    return result


def _trace_diff(d: GroupDiff, param: str) -> TraceDiff:
    value, where, group = d.worst(param)
    # where and group are None together (no group measured)
    return TraceDiff(max_rel=value, where=None if where is None or group is None else (where, param, group))


def measure(ctx: Context, v2cfg: Dict[str, Any], epoch_length: int) -> Tuple[TraceDiff, TraceDiff, int]:
    """``(lr diff, momentum diff, iterations of the run)`` at one epoch length (see measure_groups)."""
    d = measure_groups(ctx, v2cfg, epoch_length)
    return _trace_diff(d, 'lr'), _trace_diff(d, 'momentum'), d.iterations


def _lengths(ctx: Context, needed: bool) -> Tuple[List[int], str]:
    """Epoch lengths to trace and how the report names them (empty: no need to trace).

    Schedules the rules call exact are still traced as a check when the run is at most
    ``measure_budget`` iterations; a non-exact one is always measured.
    """
    runner = ctx.runner
    budget = ctx.options.measure_budget
    if runner.kind == 'iter':
        if not needed and cast(int, runner.max_iters) > budget:  # an iter runner has max_iters
            return [], ''
        length = ctx.epoch_length or DEFAULT_EPOCH_LENGTH
        note = f'L={ctx.epoch_length}' if ctx.epoch_length else ''
        return [length], note
    if ctx.epoch_length is not None:
        if not needed and cast(int, runner.max_epochs) * ctx.epoch_length > budget:  # an epoch runner's
            return [], ''
        return [ctx.epoch_length], f'L={ctx.epoch_length}'
    if not needed:
        return [], ''
    lengths = sorted(set(CANDIDATE_LENGTHS) | {DEFAULT_EPOCH_LENGTH})
    return lengths, (f'no --epoch-length: the largest of the default L={DEFAULT_EPOCH_LENGTH} '
                     f'iterations/epoch and of L in {", ".join(map(str, lengths))}')


class Measurement:
    """The worst per-group differences over the traced epoch lengths, and at the default one."""

    def __init__(self, worst: GroupDiff, lengths: List[int], how: str,
                 default: Optional[GroupDiff]) -> None:
        self.worst, self.lengths, self.how, self.default = worst, lengths, how, default


def measure_all(ctx: Context, v2cfg: Dict[str, Any], needed: bool = True) -> Optional[Measurement]:
    """Trace the run at every epoch length the report covers (None: nothing to trace)."""
    lengths, how = _lengths(ctx, needed)
    if not lengths:
        return None
    worst = GroupDiff(len(ctx.group_lrs()))
    default = None
    for n in lengths:
        d = measure_groups(ctx, v2cfg, n)
        worst.merge(d)
        if n == DEFAULT_EPOCH_LENGTH and ctx.epoch_length is None and ctx.runner.kind != 'iter':
            default = d
    return Measurement(worst, lengths, how, default)


def _fmt_groups(values: Sequence[float]) -> str:
    return '[' + ', '.join(f'{v:.3g}' for v in values) + ']'


def refine_schedule_entries(ctx: Context, v2cfg: Dict[str, Any], entries: List[Entry]) -> None:
    """Put measured bounds on the schedule entries (in place).

    Approximate and dropped entries get the measured max relative difference of their parameter,
    per param group and overall (approximate ones become exact when it measures as float
    rounding); a rule that claimed exactness but measures a difference is downgraded on its
    ``policy`` key, so the report cannot be wrong silently.
    """
    sched = [e for e in entries if e.param in ('lr', 'momentum')]
    if not sched or not ctx.runner.known or 'train_cfg' not in v2cfg:
        return
    if ctx.optimizer is None:  # a dict of optimizers: the traces model one optimizer
        for e in sched:
            if e.status != EXACT and e.bound is None:
                e.bound_note = 'not measured: the config has several optimizers (the trace models one)'
        return
    needed = any(e.status != EXACT for e in sched)
    m = measure_all(ctx, v2cfg, needed)
    if m is None:
        return
    sweep = len(m.lengths) > 1
    for param in ('lr', 'momentum'):
        diff = m.worst.max_rel(param)
        mine = [e for e in sched if e.param == param]
        approx = [e for e in mine if e.status == APPROXIMATE]
        note = f'measured{" (" + m.how + ")" if m.how else ""}'
        if diff <= EXACT_REL:
            for e in approx:
                e.status, e.bound = EXACT, None
                e.reason += f'; {note}: no difference' + (' for any of them' if sweep else '')
            for e in mine:
                if e.status == DROPPED:
                    e.set_bound(0.0, m.worst.rel, note, m.default)
            continue
        if not approx and not any(e.status == DROPPED for e in mine) and mine:
            target = next((e for e in mine if e.key.endswith('.policy')), mine[0])
            target.status = APPROXIMATE
            target.reason += f'; {note}: differs although the rule expected an exact match'
        for e in mine:
            if e.status in (APPROXIMATE, DROPPED):
                e.set_bound(diff, m.worst.rel, note, m.default)


class VerifyResult:
    """Outcome of ``--verify``: the report's measurement, judged against a tolerance."""

    def __init__(self, m: Measurement, tolerance: float) -> None:
        self.m, self.tolerance = m, tolerance
        self.lr, self.momentum = _trace_diff(m.worst, 'lr'), _trace_diff(m.worst, 'momentum')
        self.lengths, self.iterations = m.lengths, m.worst.iterations

    @property
    def ok(self) -> bool:
        return self.lr.max_rel <= self.tolerance and self.momentum.max_rel <= self.tolerance

    def lines(self, ctx: Context) -> List[str]:
        runner = ctx.runner
        if runner.kind == 'iter':
            run = f'{runner.max_iters} iterations (IterBasedRunner)'
        else:
            run = f'{runner.max_epochs} epochs x L=' + '/'.join(map(str, self.lengths))
            if ctx.epoch_length is None:
                run += (f' (no --epoch-length: tried these; the default is L={DEFAULT_EPOCH_LENGTH})')
        lrs = ', '.join(f'{v:g}' for v in ctx.group_lrs())
        out = [f'verify: {run}, {self.iterations} iterations checked, param-group base lrs {lrs}']
        for name, d in (('lr', self.lr), ('momentum', self.momentum)):
            where = ''
            if d.where is not None and d.max_rel > 0:
                where = f' (iteration {d.where[0]}, group {d.where[2]})'
            groups = f'; per group {_fmt_groups(self.m.worst.rel[name])}' if d.max_rel > 0 else ''
            out.append(f'  max relative {name} difference: {d.max_rel:.3g}{where}{groups}')
            if self.m.default is not None and d.max_rel > 0:
                out.append(f'    at the default L={DEFAULT_EPOCH_LENGTH}: '
                           f'{self.m.default.max_rel(name):.3g}')
        verdict = 'OK' if self.ok else 'FAILED'
        out.append(f'  tolerance {self.tolerance:g}: {verdict}')
        return out


def verify(ctx: Context, v2cfg: Dict[str, Any], tolerance: float = 1e-9) -> VerifyResult:
    """Check the whole run (every iteration, every group base lr) on both sides: the same
    measurement, and so the same numbers, as the report's bounds."""
    if not ctx.runner.known:
        raise ConversionError('--verify needs a config with a runner (not a fragment)', key='runner')
    if 'train_cfg' not in v2cfg:
        raise ConversionError('--verify needs the converted train_cfg', key='runner')
    if ctx.optimizer is None:
        raise ConversionError('--verify traces a single optimizer; this config has several (or none)',
                              key='optimizer')
    m = measure_all(ctx, v2cfg, True)
    assert m is not None
    return VerifyResult(m, tolerance)
