"""Rules: ``checkpoint_config`` (+ the best-checkpoint part of ``evaluation``), ``log_config`` and
``custom_hooks`` -> ``default_hooks``, ``log_processor``, ``visualizer``, ``custom_hooks``
(conversion rules: Checkpoints and logging, Evaluation, Custom hooks)."""
import copy
from typing import Any, Dict, List, Optional, Set, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import APPROXIMATE, CARRIED, DROPPED, EXACT, Entry

Result = Tuple[Dict[str, Any], List[Entry]]

_CKPT_SAME = ('interval', 'by_epoch', 'save_optimizer', 'out_dir', 'max_keep_ckpts', 'save_last',
              'filename_tmpl')
_EVAL_CKPT_KEYS = ('save_best', 'rule', 'greater_keys', 'less_keys', 'out_dir')
_DEFAULT_HOOKS = {'timer': dict(type='IterTimerHook'), 'param_scheduler': dict(type='ParamSchedulerHook'),
                  'sampler_seed': dict(type='DistSamplerSeedHook')}


def validation_enabled(ctx: Context) -> bool:
    """The legacy train flow validates on data.val unless --no-validate (even without `evaluation`)."""
    data = ctx.get('data')
    if ctx.fragment:
        return 'evaluation' in ctx.cfg or (isinstance(data, dict) and 'val' in data)
    return isinstance(data, dict) and data.get('val') is not None


def checkpoint_rule(ctx: Context) -> Result:
    """Periodic and best checkpoints -> ``default_hooks.checkpoint``; the other default hooks."""
    hooks: Dict[str, Any] = copy.deepcopy(_DEFAULT_HOOKS)
    entries: List[Entry] = []
    extra: Dict[str, Any] = {}
    ckpt = ctx.section('checkpoint_config')
    hook: Optional[Dict[str, Any]] = None
    if 'checkpoint_config' in ctx.cfg and ckpt is None:
        entries.append(Entry('checkpoint_config', EXACT, 'default_hooks.checkpoint', 'None: no '
                             'periodic checkpoints (without it v2 would save every epoch)'))
    elif ckpt is not None:
        if not isinstance(ckpt, dict):
            raise ConversionError('must be a dict or None', key='checkpoint_config', value=ckpt)
        hook, more, extra = _checkpoint_hook(ctx, ckpt)
        entries += more
    ev = ctx.get('evaluation')
    if isinstance(ev, dict) and validation_enabled(ctx):
        hook, more = _best_checkpoint(ctx, ev, hook)
        entries += more
    hooks['checkpoint'] = hook
    return {'default_hooks': hooks, **extra}, entries


def _checkpoint_hook(ctx: Context, ckpt: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], List[Entry],
                                                                  Dict[str, Any]]:
    entries: List[Entry] = []
    extra: Dict[str, Any] = {}
    hook_type = ckpt.get('type', 'CheckpointHook')
    if hook_type != 'CheckpointHook':
        return None, [Entry('checkpoint_config', DROPPED, None, f'custom checkpoint hook {hook_type!r}: '
                            'write a v2 hook')], {}
    # IterBasedRunner setdefaults by_epoch=False for the checkpoint hook (G3)
    hook = dict(type='CheckpointHook', interval=ckpt.get('interval', -1),
                by_epoch=ckpt.get('by_epoch', ctx.runner.is_epoch))
    if not entries and not ckpt:
        entries.append(Entry('checkpoint_config', EXACT, 'default_hooks.checkpoint',
                             'interval=-1: only the last checkpoint, as in v1'))
    for key, value in ckpt.items():
        name = f'checkpoint_config.{key}'
        if key in _CKPT_SAME:
            hook[key] = value
            entries.append(Entry(name, EXACT, f'default_hooks.checkpoint.{key}',
                                 'same save points and file names' if key == 'interval' else ''))
        elif key == 'type':
            entries.append(Entry(name, EXACT, 'default_hooks.checkpoint.type'))
        elif key == 'file_client_args':
            hook['backend_args'] = value
            entries.append(Entry(name, EXACT, 'default_hooks.checkpoint.backend_args', 'renamed'))
        elif key == 'create_symlink':
            entries.append(Entry(name, EXACT, None, 'off') if not value else
                           Entry(name, DROPPED, None, 'v2 writes the text file work_dir/last_checkpoint '
                                 'instead of a latest.pth symlink'))
        elif key == 'sync_buffer':
            if value:
                extra['custom_hooks'] = [dict(type='SyncBuffersHook')]
                entries.append(Entry(name, APPROXIMATE, 'custom_hooks[SyncBuffersHook]', 'v1 averages '
                                     'buffers across ranks only before each save; v2 at every epoch end'))
            else:
                entries.append(Entry(name, EXACT, None, 'off'))
        elif key == 'meta':
            entries.append(Entry(name, DROPPED, None, 'v2 CheckpointHook writes its own meta'))
        else:
            entries.append(Entry(name, DROPPED, None, 'not a CheckpointHook argument'))
    return hook, entries, extra


def _best_checkpoint(ctx: Context, ev: Dict[str, Any],
                     hook: Optional[Dict[str, Any]]) -> Tuple[Optional[Dict[str, Any]], List[Entry]]:
    entries: List[Entry] = []
    if ev.get('save_best') is None:
        for key in _EVAL_CKPT_KEYS:
            if key in ev:
                entries.append(Entry(f'evaluation.{key}', EXACT, None, 'no best checkpoint'))
        return hook, entries
    if hook is None:
        # best checkpoints only: no periodic saves and no final save
        hook = dict(type='CheckpointHook', interval=-1, by_epoch=ctx.runner.is_epoch, save_last=False)
    for key in _EVAL_CKPT_KEYS:
        if key not in ev:
            continue
        name, value = f'evaluation.{key}', ev[key]
        if key == 'save_best':
            hook['save_best'] = value
            entries.append(Entry(name, APPROXIMATE, 'default_hooks.checkpoint.save_best',
                                 'same metric key with the V1DatasetMetric evaluator; v2 also re-saves '
                                 'the regular checkpoint of an improving epoch'))
        elif key == 'out_dir':
            if hook.get('out_dir', value) == value:
                hook['out_dir'] = value
                entries.append(Entry(name, APPROXIMATE, 'default_hooks.checkpoint.out_dir',
                                     'v2 has one out_dir for periodic and best checkpoints'))
            else:
                entries.append(Entry(name, DROPPED, None, 'differs from checkpoint_config.out_dir; v2 '
                                     'has one out_dir for periodic and best checkpoints'))
        else:
            hook[key] = value
            entries.append(Entry(name, EXACT, f'default_hooks.checkpoint.{key}'))
    return hook, entries


# ----------------------------------------------------------------------------- logging
_VIS_BACKENDS = {
    'TensorboardLoggerHook': ('TensorboardVisBackend', {}),
    'WandbLoggerHook': ('WandbVisBackend', {'init_kwargs': 'init_kwargs', 'commit': 'commit',
                                            'define_metric_cfg': 'define_metric_cfg'}),
    'MlflowLoggerHook': ('MLflowVisBackend', {'exp_name': 'exp_name', 'tags': 'tags', 'params': 'params'}),
    'NeptuneLoggerHook': ('NeptuneVisBackend', {'init_kwargs': 'init_kwargs'}),
    'DvcliveLoggerHook': ('DVCLiveVisBackend', {}),
    'ClearMLLoggerHook': ('ClearMLVisBackend', {'init_kwargs': 'init_kwargs'}),
}
_BASE_LOGGER_ARGS = ('interval', 'ignore_last', 'reset_flag', 'by_epoch')
_TEXT_TO_LOGGER = {'ignore_last': 'ignore_last', 'interval_exp_name': 'interval_exp_name',
                   'out_dir': 'out_dir', 'out_suffix': 'out_suffix', 'keep_local': 'keep_local',
                   'file_client_args': 'backend_args'}


def log_rule(ctx: Context) -> Result:
    """``log_config`` -> ``default_hooks.logger`` + ``log_processor`` + ``vis_backends``/``visualizer``."""
    if 'log_config' not in ctx.cfg:
        return {}, []
    lc = ctx.section('log_config')
    if lc is None:
        return {'default_hooks': {'logger': None}}, [Entry('log_config', EXACT, 'default_hooks.logger',
                                                           'None: no logger hooks, as in v1')]
    if not isinstance(lc, dict) or 'interval' not in lc or not isinstance(lc.get('hooks'), list):
        raise ConversionError('needs `interval` and a `hooks` list (mmcv reads both)', key='log_config',
                              value=lc)
    interval = lc['interval']
    epoch_logs = ctx.runner.is_epoch
    logger: Dict[str, Any] = dict(type='LoggerHook', interval=interval)
    backends: List[Dict[str, Any]] = [dict(type='LocalVisBackend')]
    entries = [Entry('log_config.interval', EXACT, 'default_hooks.logger.interval, '
                     'log_processor.window_size', 'same logging interval and averaging window')]
    intervals: Set[Any] = set()
    for i, spec in enumerate(lc['hooks']):
        if not isinstance(spec, dict) or 'type' not in spec:
            raise ConversionError('must be a dict with a `type`', key=f'log_config.hooks[{i}]', value=spec)
        intervals.add(spec.get('interval', interval))
        epoch_logs = spec.get('by_epoch', epoch_logs) if spec['type'] == 'TextLoggerHook' else epoch_logs
        entries += _logger_hook(i, spec, logger, backends)
    if len(intervals) > 1:
        entries.append(Entry('log_config.hooks', APPROXIMATE, 'default_hooks.logger.interval',
                             f'logger hooks use different intervals {sorted(intervals)}; v2 has one'))
    elif intervals:
        logger['interval'] = intervals.pop()
    for key in lc:
        if key not in ('interval', 'hooks'):
            entries.append(Entry(f'log_config.{key}', DROPPED, None, 'not read by mmcv'))
    if not ctx.runner.is_epoch or not epoch_logs:
        logger['log_metric_by_epoch'] = epoch_logs
    frag = {
        'default_hooks': {'logger': logger},
        'log_processor': dict(type='LogProcessor', window_size=logger['interval'], by_epoch=epoch_logs),
        'vis_backends': backends,
        'visualizer': dict(type='Visualizer', vis_backends=copy.deepcopy(backends), name='visualizer'),
    }
    return frag, entries


def _logger_hook(i: int, spec: Dict[str, Any], logger: Dict[str, Any],
                 backends: List[Dict[str, Any]]) -> List[Entry]:
    key = f'log_config.hooks[{i}]'
    kind = spec['type']
    entries: List[Entry] = []
    if kind == 'TextLoggerHook':
        entries.append(Entry(f'{key}.type', APPROXIMATE, 'default_hooks.logger, vis_backends[0]',
                             'LoggerHook + LocalVisBackend: same values, different files (work_dir/'
                             '<timestamp>/<timestamp>.log and vis_data/scalars.json)'))
        for arg, value in spec.items():
            if arg in _TEXT_TO_LOGGER:
                logger[_TEXT_TO_LOGGER[arg]] = value
                entries.append(Entry(f'{key}.{arg}', EXACT, f'default_hooks.logger.{_TEXT_TO_LOGGER[arg]}'))
            elif arg == 'by_epoch':
                entries.append(Entry(f'{key}.{arg}', EXACT, 'log_processor.by_epoch'))
            elif arg == 'interval':
                entries.append(Entry(f'{key}.{arg}', EXACT, 'default_hooks.logger.interval'))
            elif arg == 'reset_flag':
                entries.append(Entry(f'{key}.{arg}', DROPPED, None, 'v2 keeps log history in the '
                                     'message hub; there is no buffer flag to reset'))
            elif arg != 'type':
                entries.append(Entry(f'{key}.{arg}', DROPPED, None, 'not a TextLoggerHook argument'))
        return entries
    if kind not in _VIS_BACKENDS:
        return [Entry(key, DROPPED, None, f'{kind} has no v2 visualization backend')]
    backend_type, mapping = _VIS_BACKENDS[kind]
    backend: Dict[str, Any] = dict(type=backend_type)
    index = len(backends)
    entries.append(Entry(f'{key}.type', APPROXIMATE, f'vis_backends[{index}]', f'{backend_type}: the '
                         'same scalars through the v2 visualizer'))
    kwargs: Dict[str, Any] = {}
    for arg, value in spec.items():
        if arg == 'type':
            continue
        name = f'{key}.{arg}'
        if arg in mapping:
            backend[mapping[arg]] = value
            entries.append(Entry(name, EXACT, f'vis_backends[{index}].{mapping[arg]}'))
        elif arg in _BASE_LOGGER_ARGS:
            entries.append(Entry(name, EXACT, 'default_hooks.logger' if arg != 'by_epoch' else
                                 'log_processor.by_epoch', 'shared by all v2 backends'))
        elif kind == 'DvcliveLoggerHook' and arg not in ('model_file', 'dvclive'):
            kwargs[arg] = value
            entries.append(Entry(name, EXACT, f'vis_backends[{index}].init_kwargs.{arg}'))
        else:
            why = 'v2 always logs to <work_dir>/<timestamp>/vis_data' if arg == 'log_dir' else \
                'no counterpart in the v2 backend'
            entries.append(Entry(name, DROPPED, None, why))
    if kwargs:
        backend['init_kwargs'] = kwargs
    backends.append(backend)
    return entries


# ----------------------------------------------------------------------------- custom hooks
_V2_BUILTIN_SAME = ('EmptyCacheHook', )
_ALREADY_DEFAULT = ('DistSamplerSeedHook', 'IterTimerHook')


def custom_hooks_rule(ctx: Context) -> Result:
    """``custom_hooks`` -> ``custom_hooks`` (renamed where v2 differs; others through an adapter)."""
    if 'custom_hooks' not in ctx.cfg:
        return {}, []
    hooks = ctx.section('custom_hooks')
    if hooks is None or hooks == []:
        return {}, [Entry('custom_hooks', EXACT, None, 'no custom hooks')]
    hooks = hooks if isinstance(hooks, list) else [hooks]
    out: List[Dict[str, Any]] = []
    entries: List[Entry] = []
    for i, spec in enumerate(hooks):
        if not isinstance(spec, dict) or 'type' not in spec:
            raise ConversionError('must be a dict with a `type`', key=f'custom_hooks[{i}]', value=spec)
        converted, more = _custom_hook(f'custom_hooks[{i}]', spec, len(out))
        entries += more
        if converted is not None:
            out.append(converted)
    return ({'custom_hooks': out} if out else {}), entries


def _custom_hook(key: str, spec: Dict[str, Any], index: int) -> Tuple[Optional[Dict[str, Any]], List[Entry]]:
    kind = spec['type']
    to = f'custom_hooks[{index}]'
    args = {k: v for k, v in spec.items() if k not in ('type', 'priority')}
    prio_note = 'same priority name; the default hooks moved (v2 checkpoint VERY_LOW, scheduler LOW)'
    entries: List[Entry] = []
    if kind in _ALREADY_DEFAULT:
        return None, [Entry(f'{key}.type', EXACT, None, f'{kind} is a v2 default hook already')]
    if 'priority' in spec:
        entries.append(Entry(f'{key}.priority', CARRIED, f'{to}.priority', prio_note))
    out: Dict[str, Any] = {'type': kind}
    if kind == 'EMAHook':
        interval, momentum = args.get('interval', 1), args.get('momentum', 0.0002)
        warm_up = args.get('warm_up', 100)
        out['momentum'] = momentum**interval  # v1 updates with momentum**interval every interval
        out['interval'] = interval
        entries.append(Entry(f'{key}.type', APPROXIMATE, f'{to}.type', 'v2 EMA swaps the averaged '
                             'weights in for val/test only and stores them as ema_state_dict'))
        for arg in args:
            name = f'{key}.{arg}'
            if arg == 'momentum':
                entries.append(Entry(name, EXACT, f'{to}.momentum', 'momentum**interval, the rate v1 '
                                     'applies every interval' if interval != 1 else ''))
            elif arg == 'interval':
                entries.append(Entry(name, EXACT, f'{to}.interval'))
            elif arg == 'warm_up':
                if momentum**interval <= 1 / warm_up:
                    entries.append(Entry(name, EXACT, None, 'no effect: v1 uses min(momentum, '
                                         '(1+t)/(warm_up+t)), never below momentum here'))
                else:
                    entries.append(Entry(name, APPROXIMATE, None, 'v1 uses a smaller rate '
                                         '(1+t)/(warm_up+t) for the first iterations; v2 has no warm-up'))
            else:
                entries.append(Entry(name, DROPPED, None, 'v2 resumes the EMA from the checkpoint'
                                     if arg == 'resume_from' else 'not an EMAHook argument'))
    elif kind in _V2_BUILTIN_SAME:
        out.update(args)
        entries.append(Entry(f'{key}.type', EXACT, f'{to}.type', 'same hook and arguments'))
        entries += [Entry(f'{key}.{a}', EXACT, f'{to}.{a}') for a in args]
    elif kind == 'SyncBuffersHook':
        entries.append(Entry(f'{key}.type', APPROXIMATE, f'{to}.type', 'v2 also syncs before '
                             'validation in iteration loops'))
        entries += [Entry(f'{key}.{a}', EXACT, None, 'v2 detects distributed runs itself') for a in args]
    elif kind == 'ProfilerHook':
        entries.append(Entry(f'{key}.type', APPROXIMATE, f'{to}.type', 'arguments renamed'))
        for arg, value in args.items():
            name = f'{key}.{arg}'
            if arg == 'profile_iters':
                out['profile_times'] = value
                entries.append(Entry(name, EXACT, f'{to}.profile_times'))
            elif arg == 'activities':
                out['activity_with_cpu'] = 'cpu' in value
                out['activity_with_cuda'] = 'cuda' in value
                entries.append(Entry(name, EXACT, f'{to}.activity_with_cpu, {to}.activity_with_cuda'))
            else:
                out[arg] = value
                entries.append(Entry(name, EXACT, f'{to}.{arg}'))
    elif kind == 'ClosureHook':
        return None, [Entry(key, DROPPED, None, 'a function hook: write a v2 Hook subclass')]
    else:
        out = {'type': 'V1HookAdapter', 'hook': dict(type=kind, **args)}
        entries.append(Entry(f'{key}.type', APPROXIMATE, f'{to}.hook', f'{kind} runs through the '
                             'V1HookAdapter (v1 hook stages mapped onto v2 ones)'))
        entries += [Entry(f'{key}.{a}', CARRIED, f'{to}.hook.{a}') for a in args]
    if 'priority' in spec:
        out['priority'] = spec['priority']
    return out, entries
