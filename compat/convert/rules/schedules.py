"""Rules: ``lr_config`` and ``momentum_config`` -> ``param_scheduler`` (conversion rules: Schedules).

Each section is validated with the same policy objects the legacy runtime uses, converted into a
list of v2 schedulers (warmup, then the main policy), and every key of the section is reported.
The statuses set here are the rule's own analysis; ``verify.refine_schedule_entries`` later
replaces bounds by measured values when the run can be traced.
"""
import inspect
from typing import Any, Dict, List, Optional, Tuple, Type

from legacy_runner.errors import describe
from legacy_runner.schedules import LR_POLICIES, MOMENTUM_POLICIES, build_v1_schedule, policy_hook_type
from legacy_runner.schedules.v1_policies import V1Policy

from ..context import ITER, Context
from ..errors import ConversionError
from ..report import Entry
from . import policies, sched_cycles
from .sched_builder import INF, ScheduleBuilder

_LR_MAIN = {
    'FixedLrUpdaterHook': policies.fixed, 'StepLrUpdaterHook': policies.step,
    'ExpLrUpdaterHook': policies.exp, 'PolyLrUpdaterHook': policies.poly,
    'InvLrUpdaterHook': policies.inv, 'CosineAnnealingLrUpdaterHook': policies.cosine,
    'FlatCosineAnnealingLrUpdaterHook': policies.flat_cosine,
    'CosineRestartLrUpdaterHook': policies.cosine_restart, 'CyclicLrUpdaterHook': sched_cycles.cyclic,
    'OneCycleLrUpdaterHook': sched_cycles.one_cycle,
    'LinearAnnealingLrUpdaterHook': policies.linear_annealing,
}
_MOMENTUM_MAIN = {
    'StepMomentumUpdaterHook': policies.step, 'CosineAnnealingMomentumUpdaterHook': policies.cosine,
    'LinearAnnealingMomentumUpdaterHook': policies.linear_annealing,
    'CyclicMomentumUpdaterHook': sched_cycles.cyclic,
    'OneCycleMomentumUpdaterHook': sched_cycles.one_cycle_momentum,
}
_WARMUP_KEYS = ('warmup', 'warmup_iters', 'warmup_ratio', 'warmup_by_epoch')


class SchedulePlan:
    """The converted section: schedulers, report entries, and the optimizer momentum override."""

    def __init__(self, schedulers: Optional[List[Dict[str, Any]]] = None,
                 entries: Optional[List[Entry]] = None, optimizer_momentum: Optional[float] = None) -> None:
        self.schedulers = schedulers or []
        self.entries = entries or []
        self.optimizer_momentum = optimizer_momentum


def _resolve(ctx: Context, section: str, param: str) -> Tuple[Dict[str, Any], Any]:
    """Validate the section like mmcv does and return (v1 dict, resolved V1Schedule)."""
    cfg = ctx.cfg[section]
    if not isinstance(cfg, dict) or 'policy' not in cfg:
        raise ConversionError('must be a dict with a `policy`', key=section, value=cfg)
    policy = cfg['policy']
    if not isinstance(policy, str):
        raise ConversionError('must be a string', key=f'{section}.policy', value=policy)
    hook = policy_hook_type(policy, param)
    table = LR_POLICIES if param == 'lr' else MOMENTUM_POLICIES
    if hook not in table:
        suffix = 'LrUpdaterHook' if param == 'lr' else 'MomentumUpdaterHook'
        names = sorted(h[:-len(suffix)] for h in table)
        near = [n for n in names if n.lower() == policy.lower()]
        hint = f" (write {near[0]!r})" if near else f"; known policies: {', '.join(names)}"
        raise ConversionError(f'unknown v1 {param} policy: mmcv would look for {hook}, which does not '
                              f'exist{hint}', key=f'{section}.policy', value=policy)
    cfg, unknown = _drop_unknown(ctx, section, cfg, table[hook])
    if unknown:
        ctx._cache[f'unknown:{section}'] = unknown
        ctx._cache[f'clean:{section}'] = cfg
    v1cfg = dict(cfg)
    if param == 'lr' and ctx.runner.kind == ITER:
        v1cfg.setdefault('by_epoch', False)  # IterBasedRunner.register_training_hooks does this
    try:
        return cfg, build_v1_schedule(v1cfg, param)
    except (TypeError, ValueError, AssertionError, KeyError) as e:
        raise ConversionError(f'mmcv rejects it: {type(e).__name__}: {describe(e)}', key=section,
                              value=dict(cfg)) from e


_BASE_KEYS = ('policy', 'type', 'by_epoch', 'warmup', 'warmup_iters', 'warmup_ratio')


def _drop_unknown(ctx: Context, section: str, cfg: Dict[str, Any],
                  policy_cls: Type[V1Policy]) -> Tuple[Dict[str, Any], List[Entry]]:
    """Keys neither the policy nor the updater base class takes: dropped entries (mmcv would raise
    TypeError building the hook; the converted run has nothing that could read them)."""
    own = {n for n, p in inspect.signature(policy_cls.__init__).parameters.items()
           if n != 'self' and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    known = own | set(_BASE_KEYS) | ({'warmup_by_epoch'} if policy_cls.param == 'lr' else set())
    extra = [k for k in cfg if k not in known]
    if not extra:
        return cfg, []
    hook = policy_cls.hook_name
    entries = [ctx.unknown_key(f'{section}.{k}', cfg[k], f'not an argument of {hook} (mmcv would raise '
                               'TypeError)') for k in extra]
    return {k: v for k, v in cfg.items() if k not in extra}, entries


def _builder(ctx: Context, section: str, cfg: Dict[str, Any], param: str, offset: int) -> ScheduleBuilder:
    bases = ctx.group_lrs() if param == 'lr' else (ctx.group_momenta() or [0.0])
    b = ScheduleBuilder(section, cfg, param, offset, ctx.runner, ctx.epoch_length, bases)
    b.optimizer_type, b.uses_betas = ctx.optimizer_type, ctx.uses_betas()
    return b


def _warmup_size(sched: Any, length_known: bool) -> int:
    if sched.param != 'lr' or sched.warmup is None:
        return 0
    return 2 if sched.warmup == 'exp' and length_known else 1


def _add_warmup(b: ScheduleBuilder, sched: Any) -> Optional[int]:
    """Prepend/append the warmup schedulers (conversion rules: Warmup); returns W in iterations (or None)."""
    r, kind = sched.warmup_ratio, sched.warmup
    if sched.warmup_by_epoch:
        iters = b.epoch_to_iter(sched.warmup_iters)
        how = f'W = warmup_iters*L = {iters}' if iters is not None else ''
    else:
        iters, how = sched.warmup_iters, f'W = {sched.warmup_iters}'
    if iters is not None:
        if kind == 'exp':
            c = b.add('Constant', False, 0, INF, factor=r)
            i = b.add('Exponential', False, 0, iters + 1, gamma=r**(-1 / iters))
            b.exact('warmup', b.path(c, 'type'), 'exp warmup r**(1-i/W) = ConstantLR(r, never ending) '
                    'times ExponentialLR(r**(-1/W)) stopping at W')
            b.exact('warmup_ratio', f'{b.path(c, "factor")}, {b.path(i, "gamma")}')
        else:
            i = b.add('Linear', False, 0, iters + 1, start_factor=r, end_factor=1.0) if kind == 'linear' \
                else b.add('Constant', False, 0, iters + 1, factor=r)
            b.exact('warmup', b.path(i, 'type'))
            b.exact('warmup_ratio', b.path(i, 'start_factor' if kind == 'linear' else 'factor'))
        b.exact('warmup_iters', b.path(i, 'end'), f'end = W+1 ({how}): the v2 factor reaches 1 at '
                'end-1, v1 at iteration W')
        if 'warmup_by_epoch' in b.cfg:
            b.exact('warmup_by_epoch', b.path(i, 'end'), how)
        return iters
    # warmup_by_epoch in an epoch runner without L: epoch units converted to iterations
    epochs = sched.warmup_iters
    # static bounds: the worst case over L >= 1 (W = epochs*L iterations is smallest at L = 1)
    if kind == 'linear':
        i = b.add('Linear', True, 0, epochs, True, start_factor=r, end_factor=1.0)
        last = r + (1 - r) * (epochs - 1) / epochs  # v1 factor at iteration W-1 where v2 is at 1
        what, bound = 'the ramp ends one iteration early (largest at iteration W-1)', (1 - last) / last
    else:
        i = b.add('Constant', True, 0, epochs, True, factor=r)
        what, bound = 'iteration W-1 runs at the full value', (1 - r) / r
        if kind == 'exp':
            what = 'the exp ramp is replaced by a constant factor (its rate needs L)'
            bound = max(1 - r, r**(-1 / epochs) - 1)
    b.exact('warmup', b.path(i, 'type'))
    b.exact('warmup_ratio', b.path(i, 'start_factor' if kind == 'linear' else 'factor'))
    b.approx_no_length('warmup_by_epoch', b.path(i, 'end'), f'warmup of {epochs} epochs: {what}', bound)
    b.exact('warmup_iters', b.path(i, 'end'), 'the warmup length in epochs')
    return None


def _build(ctx: Context, section: str, cfg: Dict[str, Any], sched: Any, offset: int,
           warmup_first: bool) -> ScheduleBuilder:
    param = sched.param
    main = (_LR_MAIN if param == 'lr' else _MOMENTUM_MAIN)[sched.policy.hook_name]
    length_known = not (sched.warmup_by_epoch and ctx.epoch_length is None)
    n_warm = _warmup_size(sched, length_known)
    b = _builder(ctx, section, cfg, param, offset)
    warm_iters = None
    if n_warm and warmup_first:
        warm_iters = _add_warmup(b, sched)
    main_start = len(b.schedulers)
    main(b, sched.policy, sched.by_epoch)
    main_index = b.offset + main_start if len(b.schedulers) > main_start else None
    if n_warm and not warmup_first:
        warm_iters = _add_warmup(b, sched)
    if 'by_epoch' in cfg:
        b.exact('by_epoch', b.path(main_index, 'by_epoch') if main_index is not None else None)
    if 'type' in cfg:
        b.exact('type', None, 'ignored by mmcv: the hook comes from `policy`')
    if sched.warmup is not None and param == 'momentum':
        reason = ('no v2 counterpart: v1 divides the momentum by the warmup factor for the first '
                  'warmup_iters iterations; v2 starts at the regular momentum')
        for key in _WARMUP_KEYS:
            if key in cfg:
                b.drop(key, reason)
    elif sched.warmup is None:
        for key in _WARMUP_KEYS:
            if key in cfg:
                b.exact(key, None, 'no warmup: unused')
    elif main_index is not None:
        _warmup_interplay(b, warm_iters)
    return b


def _warmup_interplay(b: ScheduleBuilder, warm_iters: Optional[int]) -> None:
    """Warmup x main schedule (conversion rules: Warmup with a main policy): exact for multiplicative
    mains, not with a floor."""
    to = b.entries[f'{b.section}.warmup'].to
    if b.absolute:
        b.approx('warmup', to, 'the main schedule writes absolute values (restarts/1cycle), which '
                 'override a chained warmup factor in v2')
    elif b.floor:
        if warm_iters is None or b.first_update is None:
            b.length_dependent = True
            b.approx('warmup', to, 'if the warmup outlasts the first change of the annealing (depends '
                     'on L), v2\'s chained update of a schedule with a floor differs from v1\'s product')
        elif b.first_update < warm_iters:
            b.approx('warmup', to, 'the warmup overlaps the annealing; with a non-zero floor v2\'s '
                     'chained update differs from v1\'s warmup*regular product (no built-in exact form)')


def build_plan(ctx: Context, section: str, param: str, offset: int = 0) -> SchedulePlan:
    """Convert one updater section; ``offset`` is its first index in ``param_scheduler``."""
    cfg_raw = ctx.cfg.get(section)
    if cfg_raw is None:
        return SchedulePlan(entries=[Entry(section, 'exact', None, 'no updater hook: the value stays '
                                           'at the optimizer setting', param=param)])
    cfg, sched = _resolve(ctx, section, param)
    if param == 'momentum' and ctx.group_momenta() is None:
        raise ConversionError(f'the optimizer {ctx.optimizer_type} has neither momentum nor betas: '
                              'mmcv\'s momentum updater fails before training', key=section)
    if not ctx.runner.known:
        return SchedulePlan()  # a fragment without a runner: the config that sets it converts this
    if ctx.runner.kind == ITER and sched.by_epoch:
        b = _builder(ctx, section, cfg, param, offset)
        reason = ('IterBasedRunner never calls before_train_epoch, so a by_epoch=True updater never '
                  'changes the value in v1; nothing to convert')
        return SchedulePlan(entries=b.finish_entries(None, reason) + ctx._cache.get(f'unknown:{section}', []))
    if sched.warmup_by_epoch and ctx.runner.kind == ITER:
        raise ConversionError('mmcv computes the warmup length in before_train_epoch, which '
                              'IterBasedRunner never calls', key=f'{section}.warmup_by_epoch', value=True)
    b = _build(ctx, section, cfg, sched, offset, warmup_first=True)
    if b.absolute and sched.warmup is not None and param == 'lr':
        # absolute writes at iteration 0 would erase the warmup factor: warm up after them
        b = _build(ctx, section, cfg, sched, offset, warmup_first=False)
    default_to = b.path(b.offset, 'type') if b.schedulers else None
    unknown = ctx._cache.get(f'unknown:{section}', [])
    plan = SchedulePlan(b.schedulers, b.finish_entries(default_to) + unknown, b.optimizer_momentum)
    return plan


def lr_plan(ctx: Context) -> SchedulePlan:
    return ctx.cached('plan:lr_config', lambda: build_plan(ctx, 'lr_config', 'lr'))


def momentum_plan(ctx: Context) -> SchedulePlan:
    def build() -> SchedulePlan:
        offset = len(lr_plan(ctx).schedulers) if 'lr_config' in ctx.cfg else 0
        return build_plan(ctx, 'momentum_config', 'momentum', offset)
    return ctx.cached('plan:momentum_config', build)


def lr_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    """``lr_config`` -> the LR part of ``param_scheduler``."""
    if 'lr_config' not in ctx.cfg:
        return {}, []
    plan = lr_plan(ctx)
    return ({'param_scheduler': plan.schedulers} if plan.schedulers else {}), plan.entries


def momentum_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    """``momentum_config`` -> momentum schedulers appended to ``param_scheduler``."""
    if 'momentum_config' not in ctx.cfg:
        return {}, []
    plan = momentum_plan(ctx)
    frag: Dict[str, Any] = {'param_scheduler': plan.schedulers} if plan.schedulers else {}
    if plan.optimizer_momentum is not None:
        opt = ctx.optimizer or {}
        if ctx.uses_betas():
            betas = tuple(opt.get('betas', (0.9, 0.999)))
            frag['optim_wrapper'] = {'optimizer': {'betas': (plan.optimizer_momentum, ) + betas[1:]}}
        else:
            frag['optim_wrapper'] = {'optimizer': {'momentum': plan.optimizer_momentum}}
    return frag, plan.entries
