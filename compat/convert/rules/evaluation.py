"""Rule: ``evaluation`` -> ``val_cfg`` + ``val_evaluator`` + ``train_cfg.val_interval/val_begin``,
and the test side (``test_cfg`` + ``test_evaluator``) (conversion rules: Evaluation).

Metrics go to ``V1DatasetMetric``, the adapter that calls the v1 ``dataset.evaluate`` with the same
keyword arguments and no key prefix (conversion rules: v1 evaluation on v2), so metric names stay
what they were.
"""
import copy
from typing import Any, Dict, List, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import APPROXIMATE, CARRIED, DROPPED, EXACT, Entry
from .hooks import validation_enabled

METRIC = 'V1DatasetMetric'
# EvalHook/DistEvalHook arguments (everything else goes to dataset.evaluate)
_HOOK_KEYS = ('interval', 'start', 'by_epoch', 'save_best', 'rule', 'test_fn', 'greater_keys',
              'less_keys', 'out_dir', 'file_client_args', 'broadcast_bn_buffer', 'tmpdir', 'gpu_collect',
              'dynamic_intervals')
_CHECKPOINT_KEYS = ('save_best', 'rule', 'greater_keys', 'less_keys', 'out_dir')  # checkpoint rule


def _evaluator(ev: Dict[str, Any]) -> Dict[str, Any]:
    metric: Dict[str, Any] = {'type': METRIC}
    metric.update({k: copy.deepcopy(v) for k, v in ev.items() if k not in _HOOK_KEYS})
    if ev.get('gpu_collect'):
        metric['collect_device'] = 'gpu'
    if ev.get('tmpdir') is not None:
        metric['collect_dir'] = ev['tmpdir']
    return metric


def evaluation_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    raw = ctx.get('evaluation')
    if raw is not None and not isinstance(raw, dict):
        raise ConversionError('must be a dict', key='evaluation', value=raw)
    ev: Dict[str, Any] = dict(raw or {})
    frag: Dict[str, Any] = {}
    entries: List[Entry] = []
    data = ctx.get('data') if isinstance(ctx.get('data'), dict) else {}
    if not validation_enabled(ctx):
        if 'evaluation' in ctx.cfg:
            entries.append(Entry('evaluation', DROPPED, None, 'there is no data.val to evaluate on (v1 '
                                 'validation would fail unless run with --no-validate)'))
    else:
        frag, entries = _val_side(ctx, ev)
    if data.get('test') is not None:
        frag['test_cfg'] = dict(type='TestLoop', fp16=True) if ctx.fp16 else dict(type='TestLoop')
        if 'evaluation' in ctx.cfg or not ctx.fragment:
            frag['test_evaluator'] = _evaluator(ev)
    return frag, entries


def _val_side(ctx: Context, ev: Dict[str, Any]) -> Tuple[Dict[str, Any], List[Entry]]:
    interval = ev.get('interval', 1)
    start = ev.get('start')
    if isinstance(interval, bool) or not isinstance(interval, int) or interval <= 0:
        raise ConversionError('must be a positive integer', key='evaluation.interval', value=interval)
    if start is not None and (not isinstance(start, int) or start < 0):
        raise ConversionError('must be a non-negative integer', key='evaluation.start', value=start)
    train_cfg: Dict[str, Any] = {'val_interval': interval}
    if start:
        train_cfg['val_begin'] = start
    frag: Dict[str, Any] = {
        'train_cfg': train_cfg,
        'val_cfg': dict(type='ValLoop', fp16=True) if ctx.fp16 else dict(type='ValLoop'),
        'val_evaluator': _evaluator(ev),
    }
    entries: List[Entry] = []
    info = ctx.runner
    unit = 'epoch' if info.is_epoch else 'iteration'
    length = info.max_epochs if info.is_epoch else info.max_iters
    for key, value in ev.items():
        name = f'evaluation.{key}'
        if key == 'interval':
            if length is not None and length % interval:
                entries.append(Entry(name, APPROXIMATE, 'train_cfg.val_interval', f'v2 also validates '
                                     f'after the last {unit} ({length} is not a multiple of {interval})'))
            else:
                entries.append(Entry(name, EXACT, 'train_cfg.val_interval', 'same validation points'))
        elif key == 'start':
            if value is None:
                entries.append(Entry(name, EXACT, None, 'unset'))
            elif value == 0:
                entries.append(Entry(name, APPROXIMATE, None, 'v1 start=0 also evaluates before training; '
                                     'v2 cannot'))
            elif value % interval == 0:
                entries.append(Entry(name, EXACT, 'train_cfg.val_begin'))
            else:
                entries.append(Entry(name, APPROXIMATE, 'train_cfg.val_begin',
                                     f'v1 validates at {value}, {value}+{interval}, ...; v2 at '
                                     f'multiples of {interval} from {value} on'))
        elif key == 'by_epoch':
            entries.append(Entry(name, EXACT, None, 'the train flow derives it from the runner type; '
                                 'the loop type implies it in v2'))
        elif key in _CHECKPOINT_KEYS:
            continue  # reported by the checkpoint rule
        elif key in ('gpu_collect', 'tmpdir'):
            to = 'val_evaluator.collect_device' if key == 'gpu_collect' else 'val_evaluator.collect_dir'
            entries.append(Entry(name, EXACT, to if value else None))
        elif key == 'broadcast_bn_buffer':
            if value:
                frag['custom_hooks'] = [dict(type='SyncBuffersHook')]
                entries.append(Entry(name, APPROXIMATE, 'custom_hooks[SyncBuffersHook]', 'v1 copies '
                                     "rank 0's buffers before evaluating; v2 averages them across ranks"))
            else:
                entries.append(Entry(name, EXACT, None, 'off'))
        elif key == 'dynamic_intervals':
            train_cfg['dynamic_intervals'] = value
            entries.append(Entry(name, APPROXIMATE, 'train_cfg.dynamic_intervals', 'the v2 loop changes '
                                 'the interval at the same milestones; check the milestone convention'))
        elif key == 'test_fn':
            entries.append(Entry(name, DROPPED, None, 'a custom test function needs a custom ValLoop'))
        elif key == 'file_client_args':
            entries.append(Entry(name, DROPPED, None, 'best-checkpoint uploads follow the checkpoint '
                                 'hook\'s backend in v2'))
        else:
            to = f'val_evaluator.{key}'
            entries.append(Entry(name, CARRIED, to + (', test_evaluator.' + key if ctx.get('data', {})
                                                      and 'test' in ctx.get('data') else ''),
                                 f'passed to dataset.evaluate by {METRIC}'))
    if not ev:
        entries.append(Entry('evaluation', EXACT, 'train_cfg.val_interval', 'validation every epoch with '
                             'dataset.evaluate defaults'))
    return frag, entries
