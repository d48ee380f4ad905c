"""Rule: ``runner`` / ``total_epochs`` / ``workflow`` -> ``train_cfg`` (conversion rules: Loop)."""
from typing import Any, Dict, List, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import CARRIED, DROPPED, EXACT, Entry

_LOOP_NAMES = {'EpochBasedRunner': 'EpochBasedTrainLoop', 'Runner': 'EpochBasedTrainLoop',
               'IterBasedRunner': 'IterBasedTrainLoop'}


def runner_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    """The run length and loop type; ``val_interval``/``val_begin`` come from the evaluation rule."""
    info = ctx.runner  # validates runner/total_epochs (conflicts raise)
    if not info.known:
        return {}, []
    entries: List[Entry] = []
    runner = ctx.get('runner')
    length_key = 'max_epochs' if info.is_epoch else 'max_iters'
    if runner is not None:
        loop = _LOOP_NAMES[runner['type']]
        alias = ' (mmcv\'s deprecated alias of EpochBasedRunner)' if runner['type'] == 'Runner' else ''
        for key, value in runner.items():
            if key == 'type':
                entries.append(Entry('runner.type', EXACT, 'train_cfg.type', f'{loop}{alias}'))
            elif key == length_key:
                entries.append(Entry(f'runner.{key}', EXACT, f'train_cfg.{key}'))
            elif value is None and key in ('max_epochs', 'max_iters'):
                entries.append(Entry(f'runner.{key}', EXACT, None, 'unset'))
            else:
                entries.append(Entry(f'runner.{key}', DROPPED, None,
                                     'not a train-loop argument in v2 (it configured the v1 runner object)'))
    if 'total_epochs' in ctx.cfg:
        why = 'agrees with runner.max_epochs' if runner is not None else \
            'no runner: the v1 tools build an EpochBasedRunner for total_epochs epochs'
        entries.append(Entry('total_epochs', EXACT, 'train_cfg.max_epochs', why))
    if 'workflow' in ctx.cfg:
        entries.append(_workflow_entry(ctx.get('workflow')))
    return {'train_cfg': info.v2_train_cfg()}, entries


def _workflow_entry(workflow: Any) -> Entry:
    if not isinstance(workflow, (list, tuple)) or not workflow:
        raise ConversionError('must be a non-empty list of (phase, count) pairs', key='workflow',
                              value=workflow)
    modes = []
    for flow in workflow:
        if not isinstance(flow, (list, tuple)) or len(flow) != 2 or flow[0] not in ('train', 'val') \
                or not isinstance(flow[1], int) or flow[1] <= 0:
            raise ConversionError("each item must be ('train', n) or ('val', n) with n > 0", key='workflow',
                                  value=workflow)
        modes.append(flow[0])
    if 'train' not in modes:
        raise ConversionError('has no train phase: nothing to convert to a train loop', key='workflow',
                              value=workflow)
    if 'val' in modes:
        return Entry('workflow', DROPPED, None, "the ('val', n) phase ran model.val_step on data.val "
                     'and logged losses; v2 validation (val_cfg) computes metrics instead and has no '
                     'val-loss phase')
    return Entry('workflow', EXACT, None, 'train-only: repeating the train phase is plain training')


def carry(ctx: Context, key: str, reason: str = '') -> Tuple[Dict[str, Any], List[Entry]]:
    """Copy a top-level key unchanged (helper for rules that carry keys)."""
    return {key: ctx.section(key)}, [Entry(key, CARRIED, key, reason)]
