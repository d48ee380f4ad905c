"""Numeric equivalence of the converted schedule: v1 updater hooks vs v2 schedulers, per iteration.

Both sides are the pure functions of ``legacy_runner.schedules`` (``v1_trace`` replays what the
legacy hooks write, ``v2_trace`` what ParamSchedulerHook does), evaluated for every iteration of
the run and every param-group base value. Nothing is trained and torch is never imported.

Two uses: ``refine_schedule_entries`` replaces the rules' estimated bounds by measured ones during
conversion (when the run is short enough to trace), and ``verify`` is ``--verify``.
"""
from typing import Any, Dict, List, Optional, Sequence, Tuple

from legacy_runner.schedules import TraceDiff, trace_diff, v1_trace, v2_trace

from .context import Context
from .errors import ConversionError
from .report import APPROXIMATE, DROPPED, EXACT, Entry

# Float rounding only: chained v2 updates and v1 closed forms agree to ~1e-14 in practice.
EXACT_REL = 1e-10
# Epoch lengths tried when the real one is unknown and the conversion depends on it.
CANDIDATE_LENGTHS = (1, 2, 3, 5, 7, 10, 16, 25, 50, 100, 250, 500, 1000)
VERIFY_LENGTHS = (1, 10, 100)
_MEASURED: Dict[str, Tuple[TraceDiff, TraceDiff, int]] = {}


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


def measure(ctx: Context, v2cfg: Dict[str, Any], epoch_length: int) -> Tuple[TraceDiff, TraceDiff, int]:
    """Trace v1 and v2 for one epoch length: ``(lr diff, momentum diff, iterations traced)``.

    Memoised per process on everything the traces depend on: a tree repeats the same schedule
    bases in many configs.
    """
    runner = ctx.runner
    lrs, momenta = ctx.group_lrs(), ctx.group_momenta()
    lr_cfg, mom_cfg = ctx.cfg.get('lr_config'), ctx.cfg.get('momentum_config')
    v2_mom = v2_momenta(ctx, v2cfg)
    key = repr((lr_cfg, mom_cfg, runner.v1_runner(), epoch_length, lrs, momenta, ctx.optimizer_type,
                v2cfg.get('param_scheduler'), v2cfg['train_cfg'].get('type'), v2_mom))
    hit = _MEASURED.get(key)
    if hit is not None:
        return hit
    try:
        v1 = v1_trace(lr_cfg, mom_cfg, runner.v1_runner(), epoch_length, lrs, momenta, ctx.optimizer_type)
    except (KeyError, ValueError, TypeError, AssertionError) as e:
        raise ConversionError(f'the v1 schedule fails when evaluated (as it would in training): '
                              f'{type(e).__name__}: {e}', key='lr_config/momentum_config') from e
    v2 = v2_trace(v2cfg.get('param_scheduler'), v2cfg['train_cfg'], epoch_length, lrs, v2_mom)
    result = (trace_diff(v1, v2, ('lr', )), trace_diff(v1, v2, ('momentum', )), len(v1))
    if len(_MEASURED) < 4096:
        _MEASURED[key] = result
    return result


def _lengths(ctx: Context, budget: Optional[int], needed: bool) -> Tuple[List[int], str]:
    """Epoch lengths to trace and how to describe them (empty: cannot or need not trace)."""
    runner = ctx.runner
    if runner.kind == 'iter':
        total = runner.max_iters
        return ([ctx.epoch_length or total] if budget is None or total <= budget else []), ''
    if ctx.epoch_length is not None:
        total = runner.max_epochs * ctx.epoch_length
        ok = budget is None or total <= budget
        return ([ctx.epoch_length] if ok else []), f'L={ctx.epoch_length}'
    if not needed:
        return [], ''
    # the sweep shares one budget: short epoch lengths first, as long as the total fits
    lengths, total = [], 0
    for n in CANDIDATE_LENGTHS:
        total += runner.max_epochs * n
        if budget is not None and total > budget:
            break
        lengths.append(n)
    return lengths, 'the largest over epoch lengths ' + ', '.join(map(str, lengths))


def refine_schedule_entries(ctx: Context, v2cfg: Dict[str, Any], entries: List[Entry]) -> None:
    """Replace estimated schedule bounds by measured ones (in place).

    Approximate entries get the measured max relative difference of their parameter (or become
    exact when it measures as float rounding); a rule that claimed exactness but measures a
    difference is downgraded on its ``policy`` key, so the report cannot be wrong silently.
    """
    sched = [e for e in entries if e.param in ('lr', 'momentum')]
    if not sched or not ctx.runner.known or 'train_cfg' not in v2cfg:
        return
    if ctx.optimizer is None:  # a dict of optimizers: the traces model one optimizer
        for e in sched:
            if e.status == APPROXIMATE and e.bound is None:
                e.reason += ' (not measured: the config has several optimizers)'
        return
    needed = any(e.status == APPROXIMATE for e in sched)
    lengths, how = _lengths(ctx, ctx.options.measure_budget, needed)
    if not lengths:
        for e in sched:
            if e.status == APPROXIMATE and e.bound is None:
                e.reason += ' (bound not measured: the run is too long to trace automatically; use --verify)'
        return
    worst = {'lr': 0.0, 'momentum': 0.0}
    for n in lengths:
        lr_d, mom_d, _ = measure(ctx, v2cfg, n)
        worst['lr'] = max(worst['lr'], lr_d.max_rel)
        worst['momentum'] = max(worst['momentum'], mom_d.max_rel)
    sweep = len(lengths) > 1 or (ctx.runner.kind == 'epoch' and ctx.epoch_length is None)
    for param, diff in worst.items():
        mine = [e for e in sched if e.param == param]
        approx = [e for e in mine if e.status == APPROXIMATE]
        note = f'measured{" (" + how + ")" if how else ""}'
        if diff <= EXACT_REL:
            for e in approx:
                e.status, e.bound = EXACT, None
                e.reason += f'; {note}: no difference' + (' for any of them' if sweep else '')
            continue
        for e in mine:
            if e.status == DROPPED:
                e.reason += f' ({note} effect: max rel. {param} difference {diff:.3g})'
        if approx:
            for e in approx:
                e.bound = diff
                e.reason += f'; {note}'
        elif mine:
            target = next((e for e in mine if e.key.endswith('.policy')), mine[0])
            if target.status != DROPPED:
                target.status, target.bound = APPROXIMATE, diff
                target.reason += f'; {note}: differs although the rule expected an exact match'


class VerifyResult:
    """Outcome of ``--verify``: the largest relative lr/momentum differences and where."""

    def __init__(self, lr: TraceDiff, momentum: TraceDiff, lengths: Sequence[int], iterations: int,
                 tolerance: float) -> None:
        self.lr, self.momentum, self.lengths = lr, momentum, list(lengths)
        self.iterations, self.tolerance = iterations, tolerance

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
                run += ' (no --epoch-length: tried these)'
        lrs = ', '.join(f'{v:g}' for v in ctx.group_lrs())
        out = [f'verify: {run}, {self.iterations} iterations traced, param-group base lrs {lrs}']
        for name, d in (('lr', self.lr), ('momentum', self.momentum)):
            where = ''
            if d.where is not None and d.max_rel > 0:
                where = f' (iteration {d.where[0]}, group {d.where[2]})'
            out.append(f'  max relative {name} difference: {d.max_rel:.3g}{where}')
        verdict = 'OK' if self.ok else 'FAILED'
        out.append(f'  tolerance {self.tolerance:g}: {verdict}')
        return out


def verify(ctx: Context, v2cfg: Dict[str, Any], tolerance: float = 1e-9) -> VerifyResult:
    """Trace the whole run (every iteration, every group base lr) on both sides."""
    if not ctx.runner.known:
        raise ConversionError('--verify needs a config with a runner (not a fragment)', key='runner')
    if 'train_cfg' not in v2cfg:
        raise ConversionError('--verify needs the converted train_cfg', key='runner')
    if ctx.optimizer is None:
        raise ConversionError('--verify traces a single optimizer; this config has several (or none)',
                              key='optimizer')
    lengths, _ = _lengths(ctx, None, True)
    if ctx.runner.kind == 'epoch' and ctx.epoch_length is None:
        lengths = list(VERIFY_LENGTHS)
    best_lr, best_mom, iterations = TraceDiff(), TraceDiff(), 0
    for n in lengths:
        lr_d, mom_d, count = measure(ctx, v2cfg, n)
        iterations += count
        if lr_d.max_rel >= best_lr.max_rel:
            best_lr = lr_d
        if mom_d.max_rel >= best_mom.max_rel:
            best_mom = mom_d
    return VerifyResult(best_lr, best_mom, lengths, iterations, tolerance)
