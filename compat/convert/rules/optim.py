"""Rules: ``optimizer`` and ``optimizer_config``/``fp16`` -> ``optim_wrapper`` (conversion rules:
Optimizer)."""
import copy
from typing import Any, Dict, List, Tuple

from ..context import Context
from ..errors import ConversionError
from ..report import APPROXIMATE, DROPPED, EXACT, Entry

_PLAIN_HOOKS = (None, 'OptimizerHook', 'DistOptimizerHook')
_ACCUM_HOOKS = ('GradientCumulativeOptimizerHook', 'GradientCumulativeFp16OptimizerHook')
_FP16_HOOKS = ('Fp16OptimizerHook', 'GradientCumulativeFp16OptimizerHook')
# what the legacy train flow accepts as optimizer_config.type when `fp16` is set
_FP16_COMPATIBLE = _PLAIN_HOOKS[:2] + _ACCUM_HOOKS + _FP16_HOOKS
_HOOK_ARGS = {
    None: ('grad_clip', 'detect_anomalous_params'),
    'OptimizerHook': ('grad_clip', 'detect_anomalous_params'),
    'DistOptimizerHook': ('grad_clip', 'detect_anomalous_params', 'coalesce', 'bucket_size_mb'),
    'GradientCumulativeOptimizerHook': ('grad_clip', 'detect_anomalous_params', 'cumulative_iters'),
    'Fp16OptimizerHook': ('grad_clip', 'coalesce', 'bucket_size_mb', 'loss_scale', 'distributed'),
    'GradientCumulativeFp16OptimizerHook': ('grad_clip', 'coalesce', 'bucket_size_mb', 'loss_scale',
                                            'distributed', 'cumulative_iters'),
}
_AMP_REASON = ('AmpOptimWrapper autocasts the whole forward, where v1 autocast only @auto_fp16 '
               'methods (and kept @force_fp32 ones in fp32); val/test loops get fp16=True to keep '
               'v1\'s eval-time autocast; mmengine\'s AmpOptimWrapper needs CUDA/NPU/MLU')
_CONSTRUCTORS = {'DefaultOptimizerConstructor': 'DefaultOptimWrapperConstructor'}


def optimizer_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    """``optimizer`` -> ``optim_wrapper.optimizer`` (+ ``paramwise_cfg``/``constructor`` one level up)."""
    if 'optimizer' not in ctx.cfg:
        return {}, []
    opt = ctx.section('optimizer')
    wrapper_type = 'AmpOptimWrapper' if ctx.fp16 else 'OptimWrapper'
    if opt is None:
        return {}, [Entry('optimizer', DROPPED, None, 'no optimizer: v2 training needs an optim_wrapper '
                          '(write one if the model steps its own optimizers)')]
    if not isinstance(opt, dict):
        raise ConversionError('must be a dict', key='optimizer', value=opt)
    if 'type' in opt:
        wrapper, entries = _single(opt, 'optimizer', 'optim_wrapper')
        return {'optim_wrapper': dict(type=wrapper_type, **wrapper)}, entries
    if opt and all(isinstance(v, dict) and 'type' in v for v in opt.values()):
        out: Dict[str, Any] = {'constructor': 'MultiOptimWrapperConstructor'}
        entries = []
        for name, sub in opt.items():
            wrapper, sub_entries = _single(sub, f'optimizer.{name}', f'optim_wrapper.{name}')
            out[name] = dict(type=wrapper_type, **wrapper)
            entries += sub_entries
        entries.insert(0, Entry('optimizer', APPROXIMATE, 'optim_wrapper.constructor',
                                'a dict of optimizers: mmengine ships no constructor for an '
                                'OptimWrapperDict, so one named MultiOptimWrapperConstructor is '
                                'expected; the model must use optim_wrapper[name]'))
        return {'optim_wrapper': out}, entries
    raise ConversionError('needs a `type` (or a dict of optimizer dicts with a `type` each)',
                          key='optimizer', value=opt)


def _single(opt: Dict[str, Any], key: str, to: str) -> Tuple[Dict[str, Any], List[Entry]]:
    entries: List[Entry] = []
    inner = {k: v for k, v in opt.items() if k not in ('paramwise_cfg', 'constructor')}
    wrapper: Dict[str, Any] = {'optimizer': inner}
    for k in inner:
        entries.append(Entry(f'{key}.{k}', EXACT, f'{to}.optimizer.{k}'))
    if 'paramwise_cfg' in opt:
        wrapper['paramwise_cfg'] = opt['paramwise_cfg']
        pw = opt['paramwise_cfg']
        if isinstance(pw, dict) and pw:
            for k in pw:
                entries.append(Entry(f'{key}.paramwise_cfg.{k}', EXACT, f'{to}.paramwise_cfg.{k}',
                                     'same per-parameter lr/decay rules in the v2 constructor'))
        else:
            entries.append(Entry(f'{key}.paramwise_cfg', EXACT, f'{to}.paramwise_cfg'))
    if 'constructor' in opt:
        name = opt['constructor']
        if name in _CONSTRUCTORS:
            wrapper['constructor'] = _CONSTRUCTORS[name]
            entries.append(Entry(f'{key}.constructor', EXACT, f'{to}.constructor', f'renamed to '
                                 f'{_CONSTRUCTORS[name]}'))
        else:
            wrapper['constructor'] = name
            entries.append(Entry(f'{key}.constructor', APPROXIMATE, f'{to}.constructor',
                                 'a custom constructor must be rewritten for v2 (it builds an '
                                 'OptimWrapper from the optim_wrapper config)'))
    return wrapper, entries


def optimizer_config_rule(ctx: Context) -> Tuple[Dict[str, Any], List[Entry]]:
    """``optimizer_config`` (the optimizer hook) and ``fp16`` -> wrapper options."""
    has_oc, has_fp16 = 'optimizer_config' in ctx.cfg, 'fp16' in ctx.cfg
    if not has_oc and not has_fp16:
        return {}, []
    oc = ctx.section('optimizer_config')
    fp16 = ctx.section('fp16')
    if oc is not None and not isinstance(oc, dict):
        raise ConversionError('must be a dict or None', key='optimizer_config', value=oc)
    args = dict(oc or {})
    hook = args.pop('type', None)
    if hook not in _HOOK_ARGS:
        if fp16 is not None:
            raise ConversionError(f'cannot be combined with fp16 (use one of '
                                  f'{[t for t in _FP16_COMPATIBLE if t]})', key='optimizer_config.type',
                                  value=hook)
        return {}, [Entry('optimizer_config', DROPPED, None, f'custom optimizer hook {hook!r}: write an '
                          'OptimWrapper subclass or override train_step in v2')]
    if fp16 is not None:
        if not isinstance(fp16, dict):
            raise ConversionError('must be a dict like dict(loss_scale=512.)', key='fp16', value=fp16)
        # the legacy train flow turns any compatible hook into an fp16 one
        hook = 'GradientCumulativeFp16OptimizerHook' if 'cumulative_iters' in args else 'Fp16OptimizerHook'
    unknown_entries: List[Entry] = []
    if fp16 is not None:
        for k in [k for k in fp16 if k != 'loss_scale']:
            # e.g. the IPU configs' accum_type: an option of another hook, not of Fp16OptimizerHook
            unknown_entries.append(ctx.unknown_key(f'fp16.{k}', fp16.pop(k), f'not an argument of {hook} '
                                                   '(the legacy train flow passes fp16 keys to it)'))
    allowed = _HOOK_ARGS[hook] + (('loss_scale', 'distributed') if fp16 is not None else ())
    for k in [k for k in args if k not in allowed]:
        unknown_entries.append(ctx.unknown_key(f'optimizer_config.{k}', args.pop(k),
                                               f'not an argument of {hook or "OptimizerHook"} (mmcv '
                                               'would raise TypeError)'))
    wrapper: Dict[str, Any] = {}
    frag: Dict[str, Any] = {}
    entries: List[Entry] = unknown_entries
    amp = hook in _FP16_HOOKS
    if has_oc and oc is not None and 'type' in oc:
        status = APPROXIMATE if amp else EXACT
        entries.append(Entry('optimizer_config.type', status, 'optim_wrapper.type',
                             ('AmpOptimWrapper: ' + _AMP_REASON) if amp else
                             'the plain OptimWrapper does backward/clip/step the same way'))
    for k, v in args.items():
        name = f'optimizer_config.{k}'
        if k == 'grad_clip':
            if v is None:
                entries.append(Entry(name, EXACT, None, 'no clipping'))
            else:
                wrapper['clip_grad'] = copy.deepcopy(v)
                entries.append(Entry(name, EXACT, 'optim_wrapper.clip_grad', 'same clip over the '
                                     'params that have gradients'))
        elif k == 'cumulative_iters':
            wrapper['accumulative_counts'] = v
            entries.append(Entry(name, EXACT, 'optim_wrapper.accumulative_counts',
                                 'same loss scaling, including the shorter last group'))
        elif k == 'loss_scale':
            wrapper['loss_scale'] = v
            entries.append(Entry(name, APPROXIMATE, 'optim_wrapper.loss_scale', _AMP_REASON))
        elif k == 'detect_anomalous_params':
            if v:
                frag['model_wrapper_cfg'] = dict(type='MMDistributedDataParallel',
                                                 detect_anomalous_params=True)
                entries.append(Entry(name, APPROXIMATE, 'model_wrapper_cfg.detect_anomalous_params',
                                     'v2 checks only when the model is wrapped in DDP'))
            else:
                entries.append(Entry(name, EXACT, None, 'off'))
        else:  # coalesce, bucket_size_mb, distributed
            entries.append(Entry(name, EXACT, None, 'stored but unused by the mmcv optimizer hooks '
                                 'on torch >= 1.6'))
    if has_oc and oc is None and fp16 is None:
        entries.append(Entry('optimizer_config', EXACT, None, 'None: v1 registers no optimizer hook, so '
                             'the model\'s train_step steps its optimizers; the v1 model adapter must do '
                             'the same instead of calling optim_wrapper.update_params'))
    elif has_oc and len(entries) == len(unknown_entries):
        entries.append(Entry('optimizer_config', EXACT, None, 'default optimizer hook: the plain '
                             'OptimWrapper does backward and step'))
    if fp16 is not None:
        if 'loss_scale' in fp16:
            if 'loss_scale' in args:
                raise ConversionError('is set in both optimizer_config and fp16 (the legacy train flow '
                                      'passes both to one hook: TypeError)', key='fp16.loss_scale')
            wrapper['loss_scale'] = fp16['loss_scale']
            entries.append(Entry('fp16.loss_scale', APPROXIMATE, 'optim_wrapper.loss_scale',
                                 'AmpOptimWrapper: ' + _AMP_REASON))
        else:
            wrapper.setdefault('loss_scale', 512.)
            entries.append(Entry('fp16', APPROXIMATE, 'optim_wrapper.type', 'AmpOptimWrapper with '
                                 'loss_scale=512.0 (v1 defaults to a static 512, v2 to dynamic): '
                                 + _AMP_REASON))
    elif amp and 'loss_scale' not in wrapper:
        wrapper['loss_scale'] = 512.  # v1's default is a static 512; v2's would be 'dynamic'
    if wrapper:
        frag['optim_wrapper'] = wrapper
    return frag, entries
