"""``--exact``: schedules with no exact built-in v2 form go through the v1-policy plug-in.

After the rules and the measurement, an ``lr_config``/``momentum_config`` with any approximate or
dropped schedule key is replaced by one ``V1PolicyLR``/``V1PolicyMomentum`` scheduler
(``compat.v2_plugins.v1_schedulers``) that evaluates the v1 policy itself, per group and per
iteration, and the module is added to ``custom_imports``. The replacement is measured like any
other conversion, so the report still says what the traces show.
"""
import copy
from typing import Any, Dict, List

from .context import ITER, Context
from .report import APPROXIMATE, DROPPED, EXACT, Entry

PLUGIN = 'compat.v2_plugins.v1_schedulers'
_SECTIONS = (('lr_config', 'lr', 'V1PolicyLR'), ('momentum_config', 'momentum', 'V1PolicyMomentum'))


def _section(key: str) -> str:
    return key.split('.', 1)[0]


def plugin_scheduler(ctx: Context, section: str, type_name: str) -> Dict[str, Any]:
    """The plug-in scheduler dict for one v1 updater section."""
    sched: Dict[str, Any] = dict(type=type_name, policy_cfg=copy.deepcopy(ctx.schedule_section(section)),
                                 runner=ctx.runner.v1_runner(), optimizer_type=ctx.optimizer_type)
    if ctx.runner.kind == ITER:
        sched['by_epoch'] = False
    else:  # steps every iteration; the Runner tells it the epoch length
        sched.update(by_epoch=True, convert_to_iter_based=True)
    return sched


def _add_import(v2: Dict[str, Any]) -> None:
    current = copy.deepcopy(v2.get('custom_imports')) or {}
    imports = current.get('imports', [])
    imports = [imports] if isinstance(imports, str) else list(imports)
    if PLUGIN not in imports:
        imports.append(PLUGIN)
    current['imports'] = imports
    current.setdefault('allow_failed_imports', False)
    v2['custom_imports'] = current


def apply_exact(ctx: Context, v2: Dict[str, Any], entries: List[Entry]) -> bool:
    """Swap non-exact schedule sections for the plug-in (in place); True when anything changed."""
    from . import verify
    from .rules.schedules import lr_plan, momentum_plan

    if not ctx.runner.known or ctx.optimizer is None or 'train_cfg' not in v2:
        return False
    __import__(PLUGIN)  # registers the pure spec with the shared tracer
    sizes = {'lr_config': len(lr_plan(ctx).schedulers) if 'lr_config' in ctx.cfg else 0,
             'momentum_config': len(momentum_plan(ctx).schedulers) if 'momentum_config' in ctx.cfg else 0}
    old = list(v2.get('param_scheduler') or [])
    parts = {'lr_config': old[:sizes['lr_config']],
             'momentum_config': old[sizes['lr_config']:sizes['lr_config'] + sizes['momentum_config']]}
    rest = old[sizes['lr_config'] + sizes['momentum_config']:]
    swapped = []
    for section, param, type_name in _SECTIONS:
        if section not in ctx.cfg or ctx.cfg[section] is None:
            continue
        # any non-exact key of the section (numeric or not, e.g. a per-group OneCycle max_lr)
        mine = [e for e in entries if _section(e.key) == section]
        if any(e.status in (APPROXIMATE, DROPPED) for e in mine):
            parts[section] = [plugin_scheduler(ctx, section, type_name)]
            swapped.append((section, param, type_name))
    if not swapped:
        return False
    new = parts['lr_config'] + parts['momentum_config'] + rest
    v2['param_scheduler'] = new
    _add_import(v2)
    for section, param, type_name in swapped:
        index = next(i for i, s in enumerate(new) if s.get('type') == type_name)
        for e in entries:
            if _section(e.key) == section and (e.param == param or e.status == APPROXIMATE):
                e.status, e.to, e.bound, e.groups, e.measured, e.at_default = \
                    EXACT, f'param_scheduler[{index}]', None, None, '', None
                e.reason = (f'{type_name} (plug-in {PLUGIN}, --exact): the v1 policy evaluated per '
                            'param group and iteration')
    m = verify.measure_all(ctx, v2, True)
    if m is not None:
        for section, param, _ in swapped:
            diff = m.worst.max_rel(param)
            if diff > verify.EXACT_REL:  # not expected: say so rather than claim exactness
                target = next(e for e in entries if _section(e.key) == section and e.param == param)
                target.status = APPROXIMATE
                target.set_bound(diff, m.worst.rel, f'measured ({m.how})' if m.how else 'measured', m.default)
    return True
