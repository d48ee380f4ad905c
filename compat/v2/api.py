"""Entry points for the command line: build a v2 Runner from a config and train / test.

These mirror mmengine's ``tools/train.py`` / ``tools/test.py`` flow (work_dir precedence, resume
modes, ``--amp``, ``--auto-scale-lr``), so ``python -m legacy_runner train <v2 config>`` can call
:func:`train_from_cfg` directly.
"""
import copy
import os.path as osp
from typing import Any, Dict, Optional, Union

from legacy_runner.config import Config
from legacy_runner.errors import checkpoint_input
from legacy_runner.utils.misc import import_modules_from_strings

from .hooks import PreemptionHook
from .registry import RUNNERS
from .runner_base import section_errors


def _load(cfg: Union[str, Config, Dict], cfg_options: Optional[Dict]) -> Config:
    from . import examples  # noqa: F401  (the embedded example's types resolve in every config, as in v1)
    if isinstance(cfg, str):
        cfg = Config.fromfile(cfg)  # imports ``custom_imports`` itself
    else:
        if not isinstance(cfg, Config):
            cfg = Config(dict(cfg))
        if cfg.get('custom_imports'):
            import_modules_from_strings(**cfg.custom_imports)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def _set_work_dir(cfg: Config, work_dir: Optional[str]) -> None:
    # command line > config > ./work_dirs/<config stem>
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        stem = osp.splitext(osp.basename(cfg.filename))[0] if cfg.filename else 'default'
        cfg.work_dir = osp.join('./work_dirs', stem)


def build_runner_from_cfg(cfg: Union[Config, Dict], registry: Any) -> Any:
    """``RUNNERS.build(cfg)`` (mmengine's tools/train.py): ``runner_type`` (a name or a class, default
    ``'Runner'``) chooses the class, then ``cls.from_cfg(cfg)``; an unknown name is a KeyError."""
    cfg = copy.deepcopy(cfg if isinstance(cfg, Config) else Config(dict(cfg)))
    cfg.pop('_scope_', None)
    runner_type = cfg.get('runner_type', 'Runner')
    runner_cls = registry.get(runner_type) if isinstance(runner_type, str) else runner_type
    if runner_cls is None:
        raise KeyError(f'{runner_type} is not in the mmengine::runner registry.')
    return runner_cls.from_cfg(cfg)


def build_runner(cfg: Config) -> Any:
    """``RUNNERS.build(cfg)`` when the config names a ``runner_type``, else ``Runner.from_cfg``."""
    from .runner import Runner
    if 'runner_type' in cfg:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def train_from_cfg(cfg: Union[str, Config, Dict],
                   work_dir: Optional[str] = None,
                   resume: Union[bool, str, None] = None,
                   load_from: Optional[str] = None,
                   amp: bool = False,
                   auto_scale_lr: bool = False,
                   launcher: Optional[str] = None,
                   cfg_options: Optional[Dict] = None) -> Any:
    """Train a v2 (mmengine-style) config; returns the Runner (``runner.model`` is trained).

    Args:
        cfg: a config path, Config or dict.
        work_dir: overrides ``cfg.work_dir`` (default ``./work_dirs/<config stem>``).
        resume: ``True``/``'auto'`` resumes from ``work_dir/last_checkpoint``; a path resumes that file.
        load_from: weights to start from (no counters/optimizer).
        amp: switch ``optim_wrapper`` to ``AmpOptimWrapper`` (bfloat16 on CPU).
        auto_scale_lr: enable ``cfg.auto_scale_lr``.
        launcher: 'none' | 'pytorch' | 'slurm' | 'mpi' (default: the config's, else 'none').
        cfg_options: ``{'a.b': v}`` overrides merged into the config.
    """
    cfg = _load(cfg, cfg_options)
    _set_work_dir(cfg, work_dir)
    if load_from is not None:
        cfg.load_from = load_from
    if resume is True or resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif isinstance(resume, str):
        cfg.resume = True
        cfg.load_from = resume
    if amp:
        wrapper_type = cfg.optim_wrapper.get('type', 'OptimWrapper')
        if wrapper_type == 'OptimWrapper':
            cfg.optim_wrapper.type = 'AmpOptimWrapper'
            cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if auto_scale_lr:
        if 'auto_scale_lr' not in cfg or 'base_batch_size' not in cfg.auto_scale_lr:
            raise RuntimeError('Can not find "auto_scale_lr" or "auto_scale_lr.base_batch_size" in your '
                               'configuration file.')
        cfg.auto_scale_lr.enable = True
    if launcher is not None:
        cfg.launcher = launcher
    # the command line: a failing build step or resume checkpoint is one error line naming the config
    # section or the file, SIGTERM/SIGINT stop cleanly
    with section_errors():
        runner = build_runner(cfg)
        runner.checkpoint_input_guard = checkpoint_input
        preemption = PreemptionHook()
        runner.register_hook(preemption, 'LOWEST')
        try:
            runner.train()
        finally:
            preemption.signal.uninstall()
    return runner


def test_from_cfg(cfg: Union[str, Config, Dict],
                  checkpoint: Optional[str] = None,
                  work_dir: Optional[str] = None,
                  launcher: Optional[str] = None,
                  cfg_options: Optional[Dict] = None) -> Dict[str, Any]:
    """Evaluate ``checkpoint`` (or ``cfg.load_from``) with the config's test loop; returns the metrics."""
    cfg = _load(cfg, cfg_options)
    _set_work_dir(cfg, work_dir)
    if checkpoint is not None:
        cfg.load_from = checkpoint
    if launcher is not None:
        cfg.launcher = launcher
    with section_errors():
        return build_runner(cfg).test()


RUNNERS.build_func = build_runner_from_cfg
