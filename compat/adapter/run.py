"""Run a config of either format on either runtime (what ``python -m legacy_runner train|test`` calls).

``--runtime auto`` runs a v1 config on the legacy runtime and a v2 config on the v2 runtime;
``--runtime v2`` converts a v1 config in memory (printing the report summary) and runs it on v2.
Only this module looks at the format; the runtimes receive a config of their own format.
"""
import argparse
import copy
import os
import os.path as osp
from typing import Any, Dict, Optional, Tuple

from legacy_runner import workdir_lock
from legacy_runner.config import Config
from legacy_runner.errors import ConfigError, checkpoint_input, load_config
from legacy_runner.loss_checks import set_allow_nonfinite

from .detect import detect_format
from .registries import install, install_on_demand

# The v2 runtime needs the bridges and the registry links (installed when a run resolves to it);
# a v1 run links only if its config names a model legacy MODELS does not know (a v1/v2 mix).
install_on_demand()

RUNTIMES = ('auto', 'v1', 'v2')
_V2_ONLY_HOOKS = ('V1DatasetBinderHook', 'LegacyCheckpointHook')


def convert_in_memory(cfg: Config, echo: bool = True) -> Tuple[Config, str]:
    """The v2 twin of a merged v1 config, and the report's summary line (printed when ``echo``)."""
    from compat.convert import ConversionError, convert_dict
    from compat.convert.report import summary_line
    try:
        result = convert_dict(cfg.to_dict(), filename=cfg.filename)
    except ConversionError as e:
        raise ConfigError(f'cannot convert to v2: {e}') from e
    summary = summary_line(result.entries)
    if echo and int(os.environ.get('RANK', '0')) == 0:  # once per job, not once per process
        print(f'converted {cfg.filename or "<config>"} to v2 in memory: {summary}', flush=True)
    return Config(result.v2, filename=cfg.filename), summary


def with_bridge_hooks(cfg: Config) -> Config:
    """Add the adapter's hooks to a v2 config: V1DatasetMetric binding and v1-checkpoint resume."""
    install()  # the hooks, and the v1 models/datasets a v2 config may name, come with the links
    hooks = list(cfg.get('custom_hooks') or [])
    names = {h.get('type') if isinstance(h, dict) else type(h).__name__ for h in hooks}
    for name in _V2_ONLY_HOOKS:
        if name not in names:
            hooks.append(dict(type=name))
    cfg.custom_hooks = hooks
    return cfg


def resolve(cfg: Config, runtime: str = 'auto') -> Tuple[str, Config]:
    """(runtime to use, config in that runtime's format). Raises ConfigError for impossible choices."""
    if runtime not in RUNTIMES:
        raise ConfigError(f'--runtime must be one of {RUNTIMES}, got {runtime!r}')
    fmt = detect_format(cfg)
    if runtime == 'auto':
        runtime = fmt
    if fmt == 'v2' and runtime == 'v1':
        raise ConfigError(f'{cfg.filename}: a v2 (mmengine-style) config cannot run on the legacy runtime '
                          '(use --runtime auto or v2)')
    if fmt == 'v1' and runtime == 'v2':
        cfg, _ = convert_in_memory(cfg)
    if runtime == 'v2':
        cfg = with_bridge_hooks(cfg)
    return runtime, cfg


def _v2_train_cfg(cfg: Config, args: argparse.Namespace) -> Dict[str, Any]:
    """Map the 1.x train command line onto the v2 config / train_from_cfg arguments."""
    if getattr(args, 'seed', None) is not None or getattr(args, 'deterministic', False):
        randomness = dict(cfg.get('randomness') or {})
        if args.seed is not None:
            randomness['seed'] = args.seed
        if args.deterministic:
            randomness['deterministic'] = True
        if getattr(args, 'diff_seed', False):
            randomness['diff_rank_seed'] = True
        cfg.randomness = randomness
    if getattr(args, 'no_validate', False):
        for key in ('val_dataloader', 'val_cfg', 'val_evaluator'):
            cfg[key] = None
    resume: Any = None
    if getattr(args, 'resume_from', None):
        resume = args.resume_from
    elif getattr(args, 'auto_resume', False):
        resume = True
    return dict(work_dir=args.work_dir, resume=resume, launcher=getattr(args, 'launcher', None))


def _v1_checkpoint_args(args: argparse.Namespace) -> None:
    """Point the legacy runtime at legacy-layout copies of v2 checkpoints (resume_from / load_from).

    Read with the core loader: a v1 file does not import the v2 runtime; a v2 file does (its message
    hub needs the v2 classes, which the safe loader's provider imports)."""
    from legacy_runner.safe_load import torch_load
    cfg = load_config(args.config, args.cfg_options)
    work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        './work_dirs', osp.splitext(osp.basename(args.config))[0])
    for attr, key in (('resume_from', 'resume_from'), (None, 'load_from')):
        path = getattr(args, attr) if attr else None
        path = path or cfg.get(key)
        if not path or not osp.isfile(path):
            continue
        with checkpoint_input(path, f'{key} checkpoint'):
            is_v2 = 'message_hub' in torch_load(path, map_location='cpu')
        if not is_v2:
            continue
        from .checkpoints import v2_to_v1_file
        converted = v2_to_v1_file(path, work_dir)
        if attr and getattr(args, attr):
            setattr(args, attr, converted)
        else:
            args.cfg_options = dict(args.cfg_options or {}, **{key: converted})


def _v2_preflight(cfg: Config, training: bool, checkpoint: Any = None,
                  what: str = 'checkpoint') -> None:
    """Fail as one line before the v2 runner starts: unknown registry types (with suggestions),
    bad intervals, loops and phases (compat.v2.preflight), and a checkpoint file that is missing
    or cannot be read."""
    from compat.v2.preflight import check_v2_config
    check_v2_config(cfg, training=training)  # testing builds no train loop, optimizer or scheduler
    if isinstance(checkpoint, str):
        from .checkpoints import load_any_checkpoint
        with checkpoint_input(checkpoint, what):
            load_any_checkpoint(checkpoint)


def train(args: argparse.Namespace) -> Any:
    """The ``train`` command on the chosen runtime; returns the runner."""
    cfg = load_config(args.config, args.cfg_options)
    set_allow_nonfinite(bool(getattr(args, 'allow_nonfinite', False) or cfg.get('allow_nonfinite', False)))
    # the runtimes lock the work dir where they create it; released here on every way out
    workdir_lock.enable(not getattr(args, 'no_work_dir_lock', False) and cfg.get('work_dir_lock', True))
    try:
        runtime, cfg = resolve(cfg, getattr(args, 'runtime', 'auto') or 'auto')
        if runtime == 'v1':
            from legacy_runner.train import run_train
            _v1_checkpoint_args(args)
            return run_train(args)
        from compat.v2.api import train_from_cfg
        kwargs = _v2_train_cfg(cfg, args)
        _v2_preflight(cfg, True, kwargs['resume'], 'resume_from checkpoint')
        return train_from_cfg(cfg, **kwargs)
    finally:
        workdir_lock.release_all()
        workdir_lock.enable(False)


def test(args: argparse.Namespace) -> Optional[Dict[str, Any]]:
    """The ``test`` command on the chosen runtime; returns the metrics."""
    cfg = load_config(args.config, args.cfg_options)
    runtime, cfg = resolve(cfg, getattr(args, 'runtime', 'auto') or 'auto')
    if runtime == 'v1':
        if not args.eval and not args.out:
            raise ConfigError('test: specify at least one of --eval METRIC or --out FILE')
        from legacy_runner.train import run_test
        return run_test(args)
    if getattr(args, 'out', None):
        raise ConfigError('test: --out is not supported on the v2 runtime (metrics are printed)')
    if args.eval:
        for key in ('test_evaluator', ):
            evaluator = copy.deepcopy(cfg.get(key))
            if isinstance(evaluator, dict) and evaluator.get('type') == 'V1DatasetMetric':
                evaluator['metric'] = args.eval if len(args.eval) > 1 else args.eval[0]
                cfg[key] = evaluator
    _v2_preflight(cfg, False, args.checkpoint)
    from compat.v2.api import test_from_cfg
    metrics = test_from_cfg(cfg, checkpoint=args.checkpoint, work_dir=args.work_dir,
                            launcher=getattr(args, 'launcher', None))
    print(metrics)
    return metrics
