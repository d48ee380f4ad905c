"""Check every registry ``type`` a training config names before anything is built or written.

A typo then fails in a second, as one line naming the file and the key (``model.type``,
``lr_config.policy``, ``data.train.datasets[1].type`` ...), instead of after the work dir, the log
file and maybe the datasets were created.
"""
from typing import Any, Iterable, Tuple

from .errors import ConfigError
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
