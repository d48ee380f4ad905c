"""Check every registry ``type`` a training config names before anything is built or written.

A typo then fails in a second, as one line naming the file and the key (``model.type``,
``lr_config.policy``, ``data.train.datasets[1].type`` ...), instead of after the work dir, the log
file and maybe the datasets were created.
"""
from typing import Any, Iterable, Tuple

from .errors import ConfigError, check_metric_names
from .errors import check_positive_int as _check_interval
from .registry import _suggest

_DATASET_WRAPPERS = {'ConcatDataset': 'datasets', 'RepeatDataset': 'dataset'}


def _policy_type(policy: str, suffix: str) -> str:
    # register_training_hooks' rule: only all-lowercase policies are title-cased.
    return (policy.title() if policy == policy.lower() else policy) + suffix


def _dataset_types(cfg: Any, key: str) -> Iterable[Tuple[str, str]]:
    """``(key, type)`` for a dataset config and, recursively, the datasets it wraps."""
    if isinstance(cfg, (list, tuple)):
        for i, item in enumerate(cfg):
            yield from _dataset_types(item, f'{key}[{i}]')
        return
    if not isinstance(cfg, dict) or not isinstance(cfg.get('type'), str):
        return
    kind = cfg['type']
    if kind in _DATASET_WRAPPERS:
        inner = _DATASET_WRAPPERS[kind]
        yield from _dataset_types(cfg.get(inner), f'{key}.{inner}')
    else:
        yield f'{key}.type', kind
    for i, step in enumerate(cfg.get('pipeline') or []):
        if isinstance(step, dict) and isinstance(step.get('type'), str):
            yield f'{key}.pipeline[{i}].type', f'pipeline:{step["type"]}'


def _hook_types(cfg: Any) -> Iterable[Tuple[str, str]]:
    for section, suffix in (('lr_config', 'LrUpdaterHook'), ('momentum_config', 'MomentumUpdaterHook')):
        sub = cfg.get(section)
        if isinstance(sub, dict) and isinstance(sub.get('policy'), str):
            yield f'{section}.policy={sub["policy"]!r}', _policy_type(sub['policy'], suffix)
    for section in ('optimizer_config', 'checkpoint_config'):
        sub = cfg.get(section)
        if isinstance(sub, dict) and isinstance(sub.get('type'), str):
            yield f'{section}.type', sub['type']
    log_cfg = cfg.get('log_config')
    if isinstance(log_cfg, dict):
        for i, hook in enumerate(log_cfg.get('hooks') or []):
            if isinstance(hook, dict) and isinstance(hook.get('type'), str):
                yield f'log_config.hooks[{i}].type', hook['type']
    custom = cfg.get('custom_hooks') or []
    for i, hook in enumerate(custom if isinstance(custom, (list, tuple)) else [custom]):
        if isinstance(hook, dict) and isinstance(hook.get('type'), str):
            yield f'custom_hooks[{i}].type', hook['type']


def check_registry_types(cfg: Any, phases: Tuple[str, ...] = ('train', 'val')) -> None:
    """Raise ConfigError for the first ``type`` that its registry does not know.

    ``phases`` are the ``data`` sections to check ('train', 'val', 'test'). Model, runner,
    optimizer and hook types are checked when their sections exist.
    """
    from .builder import DATASETS, MODELS, PIPELINES
    from .hooks import HOOKS
    from .optim_builder import OPTIMIZER_BUILDERS, OPTIMIZERS
    from .runner import epoch_based_runner, iter_based_runner  # noqa: F401
    from .runner.builder import RUNNERS, build_runner  # noqa: F401 (importing registers the runners)

    checks = []
    model = cfg.get('model')
    if isinstance(model, dict) and isinstance(model.get('type'), str):
        checks.append(('model.type', model['type'], MODELS))
    data = cfg.get('data') or {}
    for phase in phases:
        for key, kind in _dataset_types(data.get(phase), f'data.{phase}'):
            if kind.startswith('pipeline:'):
                checks.append((key, kind[len('pipeline:'):], PIPELINES))
            else:
                checks.append((key, kind, DATASETS))
    if 'train' in phases:
        runner = cfg.get('runner')
        if isinstance(runner, dict) and isinstance(runner.get('type'), str):
            checks.append(('runner.type', runner['type'], RUNNERS))
        optimizer = cfg.get('optimizer')
        if isinstance(optimizer, dict):
            if isinstance(optimizer.get('type'), str):
                checks.append(('optimizer.type', optimizer['type'], OPTIMIZERS))
            if isinstance(optimizer.get('constructor'), str):
                checks.append(('optimizer.constructor', optimizer['constructor'], OPTIMIZER_BUILDERS))
        checks.extend((key, kind, HOOKS) for key, kind in _hook_types(cfg))
    for key, kind, registry in checks:
        if registry.get(kind) is None:
            raise ConfigError(f'{cfg.filename}: {key}: {kind!r} is not in the {registry.name} registry.'
                              f'{_suggest(kind, registry)}')


_WARMUPS = (None, 'constant', 'linear', 'exp')
_WORKFLOW_MODES = ('train', 'val')


def _check_workflow(cfg: Any, fname: str) -> None:
    workflow = cfg.get('workflow', [('train', 1)])
    if not isinstance(workflow, (list, tuple)) or not workflow:
        raise ConfigError(f'{fname}: workflow: expected a non-empty list of (phase, epochs) tuples, '
                          f'got {workflow!r}')
    for i, flow in enumerate(workflow):
        if not (isinstance(flow, (list, tuple)) and len(flow) == 2):
            raise ConfigError(f'{fname}: workflow[{i}]: expected a (phase, epochs) tuple such as '
                              f"('train', 1), got {flow!r}")
        mode, epochs = flow
        if mode not in _WORKFLOW_MODES:
            raise ConfigError(f'{fname}: workflow[{i}]: unknown phase {mode!r} in {tuple(flow)!r} '
                              f'(expected one of {list(_WORKFLOW_MODES)}){_close(mode, _WORKFLOW_MODES)}')
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= 0:
            raise ConfigError(f'{fname}: workflow[{i}]: the number of epochs must be a positive int, '
                              f'got {tuple(flow)!r}')
        if mode == 'val' and not (cfg.get('data') or {}).get('val'):
            raise ConfigError(f"{fname}: data.val: missing, but the workflow has a {tuple(flow)!r} "
                              'phase (add data.val or drop the phase)')
    if not any(flow[0] == 'train' for flow in workflow):
        # mmcv counts epochs in train phases only: without one, its run loop never ends
        raise ConfigError(f"{fname}: workflow: {[tuple(f) for f in workflow]!r} has no 'train' phase, so "
                          "training would never end (add ('train', 1), or evaluate a checkpoint with "
                          'the test command)')


def _check_runner_length(cfg: Any, fname: str) -> None:
    # mmcv compared whatever it got: a string failed deep in the loop, inf never ended, 1.5 ran 2
    if 'runner' not in cfg:
        return
    runner = cfg.get('runner')
    if not isinstance(runner, dict):
        raise ConfigError(f'{fname}: runner: expected a dict such as dict(type=\'EpochBasedRunner\', '
                          f'max_epochs=12), got {runner!r}')
    for key in ('max_epochs', 'max_iters'):
        value = runner.get(key)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f'{fname}: runner.{key}: must be an int, got {value!r}')
        if value <= 0:  # mmcv trains nothing and exits 0: kept, but said
            import warnings
            warnings.warn(f'{fname}: runner.{key}={value}: nothing will be trained', UserWarning)


def _close(name: Any, choices: Tuple[str, ...]) -> str:
    import difflib
    close = difflib.get_close_matches(str(name), choices, n=1, cutoff=0.5)
    return f' Did you mean: {close[0]}?' if close else ''


def _check_warmup(sub: Any, section: str, fname: str) -> None:
    if not isinstance(sub, dict):
        return
    warmup = sub.get('warmup')
    if warmup not in _WARMUPS:
        raise ConfigError(f'{fname}: {section}.warmup: {warmup!r} is not a warmup type '
                          f'(expected one of {list(_WARMUPS)})')
    if warmup is None:
        return
    iters = sub.get('warmup_iters', 0)
    if isinstance(iters, bool) or not isinstance(iters, (int, float)) or iters <= 0:
        raise ConfigError(f'{fname}: {section}.warmup_iters: must be > 0 when warmup={warmup!r}, '
                          f'got {iters!r}')
    default_ratio = 0.1 if section == 'lr_config' else 0.9
    ratio = sub.get('warmup_ratio', default_ratio)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio <= 1:
        raise ConfigError(f'{fname}: {section}.warmup_ratio: must be in (0, 1], got {ratio!r}')




def check_train_values(cfg: Any, validate: bool = True) -> None:
    """Raise ConfigError for values mmcv would reject (or mis-run) only once training starts: the
    workflow entries and the data split each phase needs, warmup settings, and the logging and
    evaluation intervals. ``checkpoint_config.interval`` <= 0 stays legal (v1: -1 = last only)."""
    fname = cfg.filename or '<config>'
    _check_workflow(cfg, fname)
    _check_runner_length(cfg, fname)
    for section in ('lr_config', 'momentum_config'):
        _check_warmup(cfg.get(section), section, fname)
    log_cfg = cfg.get('log_config')
    if isinstance(log_cfg, dict):
        if 'interval' in log_cfg:
            _check_interval(log_cfg['interval'], 'log_config.interval', fname)
        for i, hook in enumerate(log_cfg.get('hooks') or []):
            if isinstance(hook, dict) and 'interval' in hook:
                _check_interval(hook['interval'], f'log_config.hooks[{i}].interval', fname)
    evaluation = cfg.get('evaluation')
    if validate and isinstance(evaluation, dict) and 'interval' in evaluation:
        _check_interval(evaluation['interval'], 'evaluation.interval', fname)
    optimizer_config = cfg.get('optimizer_config')
    grad_clip = optimizer_config.get('grad_clip') if isinstance(optimizer_config, dict) else None
    if grad_clip is not None and not isinstance(grad_clip, dict):  # clip_grad_norm_(**grad_clip)
        raise ConfigError(f'{fname}: optimizer_config.grad_clip: expected None or a dict of '
                          f'clip_grad_norm_ arguments (e.g. dict(max_norm=35)), got {grad_clip!r}')
    if validate and isinstance(evaluation, dict) and 'metric' in evaluation:
        check_metric_names(evaluation['metric'], 'evaluation.metric', fname)
