"""The generic 1.x training and testing flow (what mmdet/mmcls ``tools/train.py``,
``tools/test.py`` and ``apis/train.py`` did), on top of the legacy_runner pieces.

Config sub-dicts handed to hooks, runners and builders are always copies: the loaded ``cfg`` is
only changed where mmdet changed it on purpose (``work_dir``, ``gpu_ids``, ``seed``, ``device``...).
Bad config input is raised as :class:`~legacy_runner.errors.ConfigError` naming the file and key.
"""
import copy
import glob
import os
import os.path as osp
import re
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from . import workdir_lock
from .builder import build_dataloader, build_dataset, build_model
from .config import Config
from .dist import get_dist_info, init_dist
from .errors import (
    ConfigError,
    check_checkpoint_file,
    checkpoint_input,
    config_section,
    load_config,
    torn_checkpoint,
    unprintable_config,
)
from .hooks.preemption import PreemptionHook
from .preflight import check_registry_types, check_train_values
from .utils.logging import get_logger
from .utils.misc import mkdir_or_exist

# EvalHook arguments that mean nothing to dataset.evaluate (dropped by the test flow).
_EVAL_HOOK_KEYS = ('interval', 'tmpdir', 'start', 'gpu_collect', 'save_best', 'rule', 'by_epoch',
                   'dynamic_intervals', 'greater_keys', 'less_keys', 'out_dir', 'file_client_args',
                   'broadcast_bn_buffer')
_FP16_HOOK_TYPES = (None, 'OptimizerHook', 'Fp16OptimizerHook', 'GradientCumulativeOptimizerHook',
                    'GradientCumulativeFp16OptimizerHook')


def init_random_seed(seed: Optional[int] = None, device: str = 'cpu') -> int:
    """``seed`` if given, else a random one drawn on rank 0 and broadcast to every rank."""
    if seed is not None:
        return seed
    rank, world_size = get_dist_info()
    seed = int(np.random.randint(2**31))
    if world_size == 1:
        return seed
    import torch.distributed as dist
    buf = torch.tensor(seed if rank == 0 else 0, dtype=torch.int64, device=device)
    dist.broadcast(buf, src=0)
    return int(buf.item())


def find_latest_checkpoint(path: str, suffix: str = 'pth') -> Optional[str]:
    """``latest.{suffix}`` in ``path`` if present, else the ``epoch_N``/``iter_N`` file with the largest N."""
    if not osp.isdir(path):
        return None
    latest = osp.join(path, f'latest.{suffix}')
    pattern = re.compile(rf'^(?:epoch|iter)_(\d+)\.{re.escape(suffix)}$')
    numbered: List[Tuple[int, str]] = []
    for ckpt in glob.glob(osp.join(path, f'*.{suffix}')):
        m = pattern.match(osp.basename(ckpt))
        if m:
            numbered.append((int(m.group(1)), ckpt))
    candidates = ([latest] if osp.exists(latest) else []) + [c for _, c in sorted(numbered, reverse=True)]
    # a write cut short (a kill or a full disk during the save) is passed over for the one before
    for ckpt in candidates:
        if not torn_checkpoint(ckpt):
            if ckpt != candidates[0]:
                get_logger('legacy_runner').warning(
                    f'{candidates[0]} looks truncated (an interrupted write?); resuming from the newest '
                    f'complete checkpoint instead: {ckpt}')
            return ckpt
    return candidates[0] if candidates else None  # all torn: loading it reports the file


def loader_args(cfg: Config, phase: str) -> Dict[str, Any]:
    """DataLoader arguments for 'train', 'val' or 'test' as later mmdet 2.x resolved them.

    Lowest to highest precedence: mmdet's defaults, ``data.samples_per_gpu`` /
    ``data.workers_per_gpu`` / ``data.persistent_workers`` (train; workers also for val/test),
    ``data.{val,test}.samples_per_gpu``, then the ``data.{phase}_dataloader`` dict.
    """
    data = cfg.data
    if phase == 'train':
        args: Dict[str, Any] = dict(samples_per_gpu=2, workers_per_gpu=2, persistent_workers=False)
        for key in ('samples_per_gpu', 'workers_per_gpu', 'persistent_workers'):
            if key in data:
                args[key] = data[key]
    else:
        args = dict(samples_per_gpu=1, workers_per_gpu=2, shuffle=False, persistent_workers=False)
        if 'workers_per_gpu' in data:
            args['workers_per_gpu'] = data['workers_per_gpu']
        ds_cfgs = data.get(phase)
        ds_cfgs = ds_cfgs if isinstance(ds_cfgs, (list, tuple)) else [ds_cfgs or {}]
        sizes = [c['samples_per_gpu'] for c in ds_cfgs if 'samples_per_gpu' in c]
        if sizes:
            args['samples_per_gpu'] = max(sizes)
    override = data.get(f'{phase}_dataloader') or {}
    if phase == 'train' and 'samples_per_gpu' in data and 'samples_per_gpu' in override:
        raise ConfigError(f'{cfg.filename}: data.samples_per_gpu and data.train_dataloader.'
                          'samples_per_gpu are both set; keep only data.train_dataloader')
    args.update(copy.deepcopy(dict(override)))
    return args


def _dataset_cfg(cfg_section: Any) -> Any:
    """A copy of a dataset config without the loader-only ``samples_per_gpu`` key."""
    section = copy.deepcopy(cfg_section)
    for c in section if isinstance(section, (list, tuple)) else [section]:
        if isinstance(c, dict):
            c.pop('samples_per_gpu', None)
    return section


def _optimizer_hook(cfg: Config, distributed: bool) -> Any:
    """The optimizer_config for register_training_hooks: a copy, or an fp16 hook instance."""
    from .hooks.optimizer import Fp16OptimizerHook, GradientCumulativeFp16OptimizerHook, OptimizerHook

    opt_cfg = copy.deepcopy(cfg.get('optimizer_config'))
    fp16_cfg = cfg.get('fp16')
    if fp16_cfg is not None:
        opt_args = dict(opt_cfg or {})
        opt_type = opt_args.pop('type', None)
        if opt_type not in _FP16_HOOK_TYPES:
            raise ConfigError(f'{cfg.filename}: optimizer_config.type: {opt_type!r} cannot be combined '
                              f'with fp16 (use one of {[t for t in _FP16_HOOK_TYPES if t]})')
        fp16_args = dict(copy.deepcopy(fp16_cfg))
        hook_cls = (GradientCumulativeFp16OptimizerHook if 'cumulative_iters' in opt_args
                    else Fp16OptimizerHook)
        with config_section(cfg.filename, 'fp16'):
            return hook_cls(**opt_args, **fp16_args, distributed=distributed)
    if distributed and opt_cfg is not None and 'type' not in opt_cfg:
        return OptimizerHook(**opt_cfg)
    return opt_cfg


def _wrap_model(model: torch.nn.Module, cfg: Config, distributed: bool) -> torch.nn.Module:
    from .parallel import MMDataParallel, MMDistributedDataParallel

    if distributed:
        device_ids = [int(os.environ.get('LOCAL_RANK', 0))] if torch.cuda.is_available() else None
        if device_ids:
            model = model.cuda(device_ids[0])
        with warnings.catch_warnings():
            # mmdet passes broadcast_buffers=False on purpose; recent torch flags it as deprecated.
            warnings.filterwarnings('ignore', message='`broadcast_buffers` is deprecated',
                                    category=FutureWarning)
            return MMDistributedDataParallel(
                model, device_ids=device_ids, broadcast_buffers=False,
                find_unused_parameters=cfg.get('find_unused_parameters', False))
    if torch.cuda.is_available():
        gpu_ids = list(cfg.get('gpu_ids', [0]))
        return MMDataParallel(model.cuda(gpu_ids[0]), device_ids=gpu_ids)
    return MMDataParallel(model)


def _runner_cfg(cfg: Config) -> Dict[str, Any]:
    if 'runner' not in cfg:
        if 'total_epochs' not in cfg:
            raise ConfigError(f'{cfg.filename}: runner: missing (set runner=dict(type=..., max_epochs=...))')
        warnings.warn('config is now expected to have a `runner` section, please set `runner` in your '
                      'config.', UserWarning)
        return dict(type='EpochBasedRunner', max_epochs=cfg.total_epochs)
    runner_cfg = copy.deepcopy(dict(cfg.runner))
    if 'total_epochs' in cfg and cfg.total_epochs != runner_cfg.get('max_epochs'):
        raise ConfigError(f'{cfg.filename}: total_epochs={cfg.total_epochs} disagrees with '
                          f'runner.max_epochs={runner_cfg.get("max_epochs")}')
    return runner_cfg



def _refuse_empty(dataset: Any, fname: Optional[str], key: str) -> None:
    """An empty dataset as one line naming its own config key (its sampler or loader would fail
    with a message about another section, or the loop would run no iteration)."""
    try:
        empty = len(dataset) == 0
    except TypeError:  # an iterable dataset: no length to check
        return
    if empty:
        raise ConfigError(f'{fname or "<config>"}: {key}: the dataset is empty (0 samples)')


def train_model(model: torch.nn.Module, datasets: Sequence[Any], cfg: Config, distributed: bool = False,
                validate: bool = False, timestamp: Optional[str] = None,
                meta: Optional[Dict[str, Any]] = None) -> Any:
    """Build loaders, optimizer, runner and hooks, resume/load, then ``runner.run``.

    ``datasets`` holds one dataset per distinct workflow mode: ``[train]`` or ``[train, val]``.
    Returns the runner (after training).
    """
    from .hooks.evaluation import DistEvalHook, EvalHook
    from .optim_builder import build_optimizer
    from .runner.builder import build_runner

    fname = cfg.filename
    logger = get_logger('legacy_runner', log_level=cfg.get('log_level', 'INFO'))
    runner_cfg = _runner_cfg(cfg)
    workflow = [tuple(flow) for flow in cfg.get('workflow', [('train', 1)])]
    train_args = loader_args(cfg, 'train')
    train_args.update(num_gpus=len(cfg.get('gpu_ids', [0])), dist=distributed, seed=cfg.get('seed'))
    loaders = {}
    for mode, ds in zip(('train', 'val'), datasets):  # 'val': the workflow's val phase, if any
        _refuse_empty(ds, fname, f'data.{mode}')
        with config_section(fname, f'data.{mode}_dataloader' if mode == 'train' else 'data.val'):
            loaders[mode] = build_dataloader(ds, **train_args)
    try:
        data_loaders = [loaders[mode] for mode, _ in workflow]
    except KeyError as e:
        raise ConfigError(f'{fname}: workflow: no dataset for phase {e.args[0]!r} in {workflow}') from e

    model = _wrap_model(model, cfg, distributed)
    with config_section(fname, 'optimizer'):
        optimizer = build_optimizer(model, copy.deepcopy(cfg.optimizer))
    with config_section(fname, 'runner'):
        runner = build_runner(runner_cfg, default_args=dict(model=model, optimizer=optimizer,
                                                            work_dir=cfg.work_dir, logger=logger,
                                                            meta=meta))
    runner.timestamp = timestamp  # so that {timestamp}.log.json matches {timestamp}.log

    optimizer_config = _optimizer_hook(cfg, distributed)
    with config_section(fname, 'lr_config/optimizer_config/checkpoint_config/log_config/'
                               'momentum_config/custom_hooks'):
        runner.register_training_hooks(copy.deepcopy(cfg.get('lr_config')), optimizer_config,
                                       copy.deepcopy(cfg.get('checkpoint_config')),
                                       copy.deepcopy(cfg.get('log_config')),
                                       copy.deepcopy(cfg.get('momentum_config')),
                                       custom_hooks_config=copy.deepcopy(cfg.get('custom_hooks')))
    if distributed and runner_cfg['type'] != 'IterBasedRunner':
        from .hooks.sampler_seed import DistSamplerSeedHook
        runner.register_hook(DistSamplerSeedHook())

    if validate:
        with config_section(fname, 'data.val'):
            val_dataset = build_dataset(_dataset_cfg(cfg.data.val), dict(test_mode=True))
        val_args = loader_args(cfg, 'val')
        val_args['dist'] = distributed
        _refuse_empty(val_dataset, fname, 'data.val')
        with config_section(fname, 'data.val_dataloader'):
            val_loader = build_dataloader(val_dataset, **val_args)
        eval_cfg = copy.deepcopy(dict(cfg.get('evaluation') or {}))
        eval_cfg['by_epoch'] = runner_cfg['type'] != 'IterBasedRunner'
        eval_hook = DistEvalHook if distributed else EvalHook
        with config_section(fname, 'evaluation'):
            runner.register_hook(eval_hook(val_loader, **eval_cfg), priority='LOW')

    resume_from = cfg.get('resume_from')
    if resume_from is None and cfg.get('auto_resume'):
        resume_from = find_latest_checkpoint(cfg.work_dir)
    if resume_from:
        with checkpoint_input(resume_from, 'resume_from checkpoint'):
            runner.resume(resume_from)
    elif cfg.get('load_from'):
        with checkpoint_input(cfg.load_from, 'load_from checkpoint'):
            runner.load_checkpoint(cfg.load_from)
    # SIGTERM/SIGINT: checkpoint at the next iteration boundary, then a clean stop
    preemption = PreemptionHook()
    runner.register_hook(preemption, priority='LOWEST')
    try:
        runner.run(data_loaders, workflow)
    finally:
        preemption.uninstall()
    return runner


def _gpu_ids(args: Any) -> List[int]:
    if getattr(args, 'gpus', None) is not None:
        warnings.warn('`--gpus` is deprecated because we only support single GPU mode in '
                      'non-distributed training. Use `gpus=1` now.')
        return [0]
    if getattr(args, 'gpu_ids', None) is not None:
        warnings.warn('`--gpu-ids` is deprecated, please use `--gpu-id`. Because we only support '
                      'single GPU mode in non-distributed training. Use the first GPU in `gpu_ids` now.')
        return list(args.gpu_ids[:1])
    return [getattr(args, 'gpu_id', 0)]


def _setup_dist(cfg: Config, launcher: str) -> bool:
    if launcher == 'none':
        return False
    dist_params = dict(copy.deepcopy(cfg.get('dist_params') or {}))
    with config_section(cfg.filename, 'dist_params'):
        init_dist(launcher, **dist_params)
    _, world_size = get_dist_info()
    cfg.gpu_ids = list(range(world_size))
    return True


def _import_registered_modules() -> None:
    """Register every type a config may name: all hooks, and the embedded example's dataset,
    transforms and model (registration happens on import)."""
    from . import examples, hooks  # noqa: F401


def import_option_modules(cfg: Config, cfg_options: Optional[Dict[str, Any]]) -> None:
    """Import the ``custom_imports`` that ``--cfg-options`` set or changed.

    ``Config.fromfile`` imports only the file's own ``custom_imports``, before the options are
    merged; mmdet's ``tools/train.py`` imported them again after the merge, and so does this.
    """
    if not cfg_options or not any(str(k).split('.')[0] == 'custom_imports' for k in cfg_options):
        return
    from .utils.misc import import_modules_from_strings
    custom_imports = cfg.get('custom_imports')
    if not isinstance(custom_imports, dict):
        raise ConfigError(f'{cfg.filename}: --cfg-options custom_imports must be a dict like '
                          f'custom_imports.imports="[pkg.module]", got {custom_imports!r}')
    try:
        import_modules_from_strings(**custom_imports)
    except (ImportError, TypeError) as e:
        raise ConfigError(f'{cfg.filename}: --cfg-options custom_imports: {e}') from e


def run_train(args: Any) -> Any:
    """The ``train`` command: the mmdet ``tools/train.py`` flow. Returns the runner."""
    from .seed import set_random_seed
    from .utils.env import collect_env

    _import_registered_modules()
    cfg = load_config(args.config, args.cfg_options)
    import_option_modules(cfg, args.cfg_options)
    phases = ('train', 'val') if not args.no_validate or any(
        mode == 'val' for mode, _ in cfg.get('workflow', [])) else ('train', )
    check_registry_types(cfg, phases)
    check_train_values(cfg, validate=not args.no_validate)
    for key in ('resume_from', 'load_from'):
        path = args.resume_from if key == 'resume_from' and args.resume_from else cfg.get(key)
        if path:
            check_checkpoint_file(path, f'{key} checkpoint')
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.resume_from is not None:
        cfg.resume_from = args.resume_from
    cfg.auto_resume = args.auto_resume
    cfg.gpu_ids = _gpu_ids(args)
    distributed = _setup_dist(cfg, args.launcher)
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    # Seed before building the model (its parameter init draws from the RNG, as in mmdet where
    # nothing else runs in between) and build it before any file is written, so that a bad model
    # config fails as one line with no side effects.
    seed = init_random_seed(args.seed, device=device)
    if args.diff_seed:
        seed += get_dist_info()[0]
    set_random_seed(seed, deterministic=args.deterministic)
    with config_section(cfg.filename, 'model'):
        model = build_model(copy.deepcopy(cfg.model))

    workdir_lock.make_work_dir(osp.abspath(cfg.work_dir))
    workdir_lock.acquire(cfg.work_dir, get_dist_info()[0])  # before anything is written there
    if get_dist_info()[0] == 0:  # one copy, written by rank 0 (mmdet wrote it on every rank)
        with unprintable_config(cfg.filename):
            cfg.dump(osp.join(cfg.work_dir, osp.basename(args.config)))
    timestamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
    log_file = osp.join(cfg.work_dir, f'{timestamp}.log')
    logger = get_logger('legacy_runner', log_file=log_file, log_level=cfg.get('log_level', 'INFO'))

    env_info = '\n'.join(f'{k}: {v}' for k, v in collect_env().items())
    dash_line = '-' * 60 + '\n'
    logger.info('Environment info:\n' + dash_line + env_info + '\n' + dash_line)
    meta: Dict[str, Any] = dict(env_info=env_info, config=cfg.pretty_text)
    logger.info(f'Distributed training: {distributed}')
    logger.info(f'Config:\n{cfg.pretty_text}')

    cfg.device = device
    logger.info(f'Set random seed to {seed}, deterministic: {args.deterministic}')
    cfg.seed = seed
    meta['seed'] = seed
    meta['exp_name'] = osp.basename(args.config)

    if hasattr(model, 'init_weights'):
        model.init_weights()
    with config_section(cfg.filename, 'data.train'):
        datasets = [build_dataset(_dataset_cfg(cfg.data.train))]
    if any(mode == 'val' for mode, _ in cfg.get('workflow', [])):
        # As mmdet: the val phase of the workflow computes losses, so it uses the train pipeline.
        val_cfg = _dataset_cfg(cfg.data.val)
        train_cfg = cfg.data.train[0] if isinstance(cfg.data.train, (list, tuple)) else cfg.data.train
        train_pipeline = train_cfg.get('pipeline', (train_cfg.get('dataset') or {}).get('pipeline'))
        val_cfg['pipeline'] = copy.deepcopy(train_pipeline)
        with config_section(cfg.filename, 'data.val'):
            datasets.append(build_dataset(val_cfg))
    classes = getattr(datasets[0], 'CLASSES', None)
    if cfg.get('checkpoint_config') is not None:
        from .version import __version__
        ckpt_cfg = copy.deepcopy(cfg.checkpoint_config)
        ckpt_cfg['meta'] = dict(legacy_runner_version=__version__, CLASSES=classes)
        cfg.checkpoint_config = ckpt_cfg
    model.CLASSES = classes
    return train_model(model, datasets, cfg, distributed=distributed, validate=not args.no_validate,
                       timestamp=timestamp, meta=meta)


def run_test(args: Any) -> Optional[Dict[str, Any]]:
    """The ``test`` command: load a checkpoint, run inference on data.test, evaluate.

    Returns the metric dict on rank 0 (also printed), None elsewhere or without ``--eval``.
    """
    from .checkpoint import load_checkpoint
    from .engine import multi_gpu_test, single_gpu_test
    from .fp16_utils import wrap_fp16_model
    from .utils.fileio import dump

    _import_registered_modules()
    cfg = load_config(args.config, args.cfg_options)
    import_option_modules(cfg, args.cfg_options)
    check_registry_types(cfg, ('test', ))
    check_checkpoint_file(args.checkpoint)
    distributed = _setup_dist(cfg, getattr(args, 'launcher', 'none'))

    with config_section(cfg.filename, 'data.test'):
        dataset = build_dataset(_dataset_cfg(cfg.data.test), dict(test_mode=True))
    test_args = loader_args(cfg, 'test')
    test_args['dist'] = distributed
    with config_section(cfg.filename, 'data.test_dataloader'):
        data_loader = build_dataloader(dataset, **test_args)
    with config_section(cfg.filename, 'model'):
        model = build_model(copy.deepcopy(cfg.model))
    if cfg.get('fp16') is not None:
        wrap_fp16_model(model)
    with checkpoint_input(args.checkpoint):
        checkpoint = load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.CLASSES = checkpoint.get('meta', {}).get('CLASSES', getattr(dataset, 'CLASSES', None))
    model = _wrap_model(model, cfg, distributed)
    if distributed:
        outputs = multi_gpu_test(model, data_loader, getattr(args, 'tmpdir', None),
                                 getattr(args, 'gpu_collect', False))
    else:
        outputs = single_gpu_test(model, data_loader)
    if get_dist_info()[0] != 0:
        return None
    if getattr(args, 'out', None):
        dump(outputs, args.out)
    if not args.eval:
        return None
    eval_kwargs = {k: v for k, v in copy.deepcopy(dict(cfg.get('evaluation') or {})).items()
                   if k not in _EVAL_HOOK_KEYS}
    eval_kwargs.update(metric=args.eval, **(getattr(args, 'eval_options', None) or {}))
    with config_section(cfg.filename, 'evaluation'):
        metric = dataset.evaluate(outputs, **eval_kwargs)
    print(metric)
    if getattr(args, 'work_dir', None):
        mkdir_or_exist(osp.abspath(args.work_dir))
        stamp = time.strftime('%Y%m%d_%H%M%S', time.localtime())
        dump(dict(config=args.config, checkpoint=args.checkpoint, metric=metric),
             osp.join(args.work_dir, f'eval_{stamp}.json'))
    return metric
