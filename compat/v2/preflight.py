"""Check a v2 (mmengine-style) config before the v2 runner builds anything (bad input).

Each problem the runner would only hit after the work dir, the logger and maybe the datasets were
created -- an unknown registry type, an interval that divides by zero, a loop without a length, a
phase whose dataloader/loop/evaluator are half set -- fails here as one ConfigError line naming the
file and the key. What mmengine accepts stays accepted: ``type`` given as a class or function,
dotted or ``custom_imports`` types (registered later, when the runner imports them), ``by_epoch``
instead of a loop type, ``CheckpointHook(interval=-1)`` (no periodic checkpoints), a dict of
schedulers per optimizer, optimizer wrapper instances.
"""
from typing import Any, Iterable, List, Tuple

from legacy_runner.errors import ConfigError, check_metric_names
from legacy_runner.errors import check_positive_int as _check_interval
from legacy_runner.registry import _suggest

# (default loop type, the length argument it requires)
_TRAIN_LOOPS = {'EpochBasedTrainLoop': 'max_epochs', 'IterBasedTrainLoop': 'max_iters'}
_DEFAULT_CONSTRUCTOR = 'DefaultOptimWrapperConstructor'
# the phases the runner checks at construction: all three set, or all three None
_PHASES = (('train_dataloader', 'train_cfg', 'optim_wrapper'),
           ('val_dataloader', 'val_cfg', 'val_evaluator'),
           ('test_dataloader', 'test_cfg', 'test_evaluator'))


def check_v2_config(cfg: Any, training: bool = True) -> None:
    """Raise ConfigError (``<file>: <key>: ...``) for the first problem found in ``cfg``.

    ``training=False`` (the ``test`` command) skips what only training builds: ``train_cfg``'s loop,
    ``optim_wrapper`` and ``param_scheduler``.
    """
    from . import api, examples  # noqa: F401  (importing them fills the registries)
    from . import registry as reg

    fname = cfg.filename or '<config>'
    lookups: List[Tuple[str, Any, Any]] = []  # (key, type, registry)
    model = cfg.get('model')
    if isinstance(model, dict):
        lookups.append(('model.type', model.get('type'), reg.MODELS))
    lookups.extend((key, kind, reg.HOOKS) for key, kind in _hook_types(cfg))
    for key in ('val_cfg', 'test_cfg'):
        loop = cfg.get(key)
        if isinstance(loop, dict):
            lookups.append((f'{key}.type', loop.get('type'), reg.LOOPS))
    if training:
        loop = cfg.get('train_cfg')
        if isinstance(loop, dict):
            lookups.append(('train_cfg.type', loop.get('type'), reg.LOOPS))
        for key, kind, which in _optim_types(cfg.get('optim_wrapper')):
            registry = {'constructor': reg.OPTIM_WRAPPER_CONSTRUCTORS, 'wrapper': reg.OPTIM_WRAPPERS,
                        'optimizer': reg.OPTIMIZERS}[which]
            lookups.append((key, kind, registry))
        lookups.extend((key, kind, reg.PARAM_SCHEDULERS)
                       for key, kind in _scheduler_types(cfg.get('param_scheduler'), 'param_scheduler'))

    late_types = bool(cfg.get('custom_imports'))
    for key, kind, registry in lookups:
        if kind is not None and not isinstance(kind, str) and not callable(kind):
            raise ConfigError(f'{fname}: {key}: expected a registered type name or a class, got {kind!r}')
        # a class given as type needs no lookup; dotted and custom_imports types register later
        if not isinstance(kind, str) or '.' in kind or late_types:
            continue
        if registry.get(kind) is None:
            raise ConfigError(f'{fname}: {key}: {kind!r} is not in the {registry.name} registry.'
                              f'{_suggest(kind, registry)}')

    _check_hook_intervals(cfg, fname)
    if training:
        _check_train_loop(cfg.get('train_cfg'), fname)
    for phase in ('train', 'val', 'test') if training else ('test', ):
        loader = cfg.get(f'{phase}_dataloader')
        size = loader.get('batch_size', 1) if isinstance(loader, dict) else 1
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size <= 0):
            raise ConfigError(f'{fname}: {phase}_dataloader.batch_size: must be a positive int, got {size!r}')
    _check_phases(cfg, fname)
    for key in ('val_evaluator', 'test_evaluator') if training else ('test_evaluator', ):
        evaluator = cfg.get(key)
        metrics = evaluator if isinstance(evaluator, (list, tuple)) else [evaluator]
        for i, metric in enumerate(metrics):
            if isinstance(metric, dict) and 'metric' in metric:
                where = key if metrics is not evaluator else f'{key}[{i}]'
                check_metric_names(metric['metric'], f'{where}.metric', fname)


def _hook_types(cfg: Any) -> Iterable[Tuple[str, Any]]:
    default_hooks = cfg.get('default_hooks')
    if isinstance(default_hooks, dict):
        for name, hook in default_hooks.items():
            if isinstance(hook, dict):
                yield f'default_hooks.{name}.type', hook.get('type')
    custom_hooks = cfg.get('custom_hooks')
    if isinstance(custom_hooks, (list, tuple)):
        for i, hook in enumerate(custom_hooks):
            if isinstance(hook, dict):
                yield f'custom_hooks[{i}].type', hook.get('type')


def _optim_types(optim_wrapper: Any) -> Iterable[Tuple[str, Any, str]]:
    """``(key, type, 'constructor'|'wrapper'|'optimizer')`` of an ``optim_wrapper`` config."""
    if not isinstance(optim_wrapper, dict):
        return
    constructor = optim_wrapper.get('constructor', _DEFAULT_CONSTRUCTOR)
    if 'constructor' in optim_wrapper:
        yield 'optim_wrapper.constructor', constructor, 'constructor'
    if constructor == _DEFAULT_CONSTRUCTOR:
        if 'optimizer' in optim_wrapper:
            yield from _one_wrapper(optim_wrapper, 'optim_wrapper')
        return
    # another constructor (MultiOptimWrapperConstructor): one wrapper config per sub-model
    for name, sub in optim_wrapper.items():
        if isinstance(sub, dict) and 'optimizer' in sub:
            yield from _one_wrapper(sub, f'optim_wrapper.{name}')


def _one_wrapper(wrapper: Any, key: str) -> Iterable[Tuple[str, Any, str]]:
    if 'type' in wrapper:  # the constructor defaults it to OptimWrapper
        yield f'{key}.type', wrapper['type'], 'wrapper'
    optimizer = wrapper.get('optimizer')
    if isinstance(optimizer, dict):  # not an already-built torch optimizer
        yield f'{key}.optimizer.type', optimizer.get('type'), 'optimizer'


def _scheduler_types(scheduler: Any, key: str) -> Iterable[Tuple[str, Any]]:
    """A scheduler dict, a list of them, or ``{optimizer name: either}``; instances are skipped."""
    if isinstance(scheduler, (list, tuple)):
        for i, item in enumerate(scheduler):
            if isinstance(item, dict):
                yield f'{key}[{i}].type', item.get('type')
    elif isinstance(scheduler, dict):
        if 'type' in scheduler:
            yield f'{key}.type', scheduler['type']
        else:
            for name, sub in scheduler.items():
                yield from _scheduler_types(sub, f'{key}.{name}')


def _check_hook_intervals(cfg: Any, fname: str) -> None:
    default_hooks = cfg.get('default_hooks')
    if not isinstance(default_hooks, dict):
        return
    logger = default_hooks.get('logger')
    if isinstance(logger, dict) and logger.get('type') == 'LoggerHook' and 'interval' in logger:
        _check_interval(logger['interval'], 'default_hooks.logger.interval', fname)
    checkpoint = default_hooks.get('checkpoint')
    if isinstance(checkpoint, dict) and checkpoint.get('type') == 'CheckpointHook' \
            and 'interval' in checkpoint:
        interval = checkpoint['interval']
        # -1 is CheckpointHook's default: no periodic checkpoint, only the last/best ones
        if isinstance(interval, bool) or not isinstance(interval, int) or interval == 0 or interval < -1:
            raise ConfigError(f'{fname}: default_hooks.checkpoint.interval: must be a positive int '
                              f'(or -1: only the last and best checkpoints), got {interval!r}')


def _check_train_loop(loop: Any, fname: str) -> None:
    if not isinstance(loop, dict):
        return
    if 'type' in loop and 'by_epoch' in loop:
        raise ConfigError(f'{fname}: train_cfg: give either type={loop["type"]!r} or '
                          f'by_epoch={loop["by_epoch"]!r}, not both')
    if 'type' in loop:
        kind = loop['type']
        if kind not in _TRAIN_LOOPS:  # a custom loop (or a class): its arguments are its own
            return
        how = f'type={kind!r}'
    else:  # the runner picks the loop by by_epoch (missing: iteration based)
        kind = 'EpochBasedTrainLoop' if loop.get('by_epoch') else 'IterBasedTrainLoop'
        how = f'by_epoch={loop.get("by_epoch")!r}'
    needed = _TRAIN_LOOPS[kind]
    for key in ('max_epochs', 'max_iters'):
        value = loop.get(key)
        if key in loop and (isinstance(value, bool) or not isinstance(value, int) or value <= 0):
            raise ConfigError(f'{fname}: train_cfg.{key}: must be a positive int, got {value!r}')
    if 'max_epochs' not in loop and 'max_iters' not in loop:
        raise ConfigError(f'{fname}: train_cfg: sets neither max_epochs nor max_iters '
                          f'({kind} needs {needed}), got {dict(loop)!r}')
    if needed not in loop:
        other = 'max_iters' if needed == 'max_epochs' else 'max_epochs'
        fix = "by_epoch=True or type='EpochBasedTrainLoop'" if other == 'max_epochs' else \
            "by_epoch=False or type='IterBasedTrainLoop'"
        raise ConfigError(f'{fname}: train_cfg.{needed}: missing: {how} runs {kind}, which needs '
                          f'{needed} (got {other}={loop[other]!r}; for that use {fix})')
    if 'val_interval' in loop:
        _check_interval(loop['val_interval'], 'train_cfg.val_interval', fname)


def _check_phases(cfg: Any, fname: str) -> None:
    for names in _PHASES:
        present = [n for n in names if cfg.get(n) is not None]
        if present and len(present) < len(names):
            missing = [n for n in names if n not in present]
            verb = 'is' if len(present) == 1 else 'are'
            raise ConfigError(f'{fname}: {missing[0]}: missing, but {" and ".join(present)} {verb} set '
                              f'({", ".join(names)} go together: set all of them or none)')
