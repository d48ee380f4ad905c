"""The v2 ``Runner``: a small object that wires components built by small builder functions.

Training control lives in the loops (:mod:`compat.v2.loops`); hooks are dispatched through
per-stage lists precomputed at registration. Construction follows mmengine's order and keys
(``Runner.from_cfg`` reads mmengine's top-level keys), but unknown top-level keys are reported in
a warning instead of being silently ignored.
"""
import copy
import os
import os.path as osp
import time
import warnings
from typing import Any, Dict, List, Optional, Union

from torch import nn

from legacy_runner.checkpoint import weights_to_cpu
from legacy_runner.config import Config
from legacy_runner.utils.env import collect_env

from . import builders
from .checkpoint import find_latest_checkpoint, load_checkpoint_file, load_model_weights, save_checkpoint_file
from .data import build_dataloader
from .hooks import Hook
from .log_processor import LogProcessor
from .logging import MessageHub, build_logger, set_current_logger
from .loops import BaseLoop, build_eval_loop, build_train_loop
from .model import is_model_wrapper
from .optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper
from .registry import LOG_PROCESSORS, RUNNERS, set_default_scope
from .scheduler import build_param_schedulers
from .version import mmengine_version
from .visualization import build_visualizer

# keys mmengine reads from ``runner.cfg`` later rather than as constructor arguments
CFG_ONLY_KEYS = ('model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile',
                 'activation_checkpointing', 'efficient_conv_bn_eval', 'runner_type', 'gpu_ids',
                 'custom_imports')
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
               'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
               'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume',
               'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
               'randomness', 'experiment_name')


def _has_built_schedulers(schedulers: Any) -> bool:
    """True when ``schedulers`` (any accepted ``param_scheduler`` shape) holds a built scheduler."""
    if schedulers is None or (isinstance(schedulers, dict) and 'type' in schedulers):
        return False
    if isinstance(schedulers, dict):
        return any(_has_built_schedulers(v) for v in schedulers.values())
    if isinstance(schedulers, (list, tuple)):
        return any(_has_built_schedulers(v) for v in schedulers)
    return True


@RUNNERS.register_module()
class Runner:
    """mmengine-compatible Runner. Every argument accepts a built object or a config dict."""

    def __init__(self,
                 model: Union[nn.Module, Dict],
                 work_dir: str,
                 train_dataloader: Any = None,
                 val_dataloader: Any = None,
                 test_dataloader: Any = None,
                 train_cfg: Optional[Dict] = None,
                 val_cfg: Optional[Dict] = None,
                 test_cfg: Optional[Dict] = None,
                 auto_scale_lr: Optional[Dict] = None,
                 optim_wrapper: Any = None,
                 param_scheduler: Any = None,
                 val_evaluator: Any = None,
                 test_evaluator: Any = None,
                 default_hooks: Optional[Dict] = None,
                 custom_hooks: Optional[List] = None,
                 data_preprocessor: Any = None,
                 load_from: Optional[str] = None,
                 resume: bool = False,
                 launcher: str = 'none',
                 env_cfg: Optional[Dict] = None,
                 log_processor: Optional[Dict] = None,
                 log_level: str = 'INFO',
                 visualizer: Any = None,
                 default_scope: Optional[str] = 'mmengine',
                 randomness: Optional[Dict] = None,
                 experiment_name: Optional[str] = None,
                 cfg: Any = None,
                 **extra: Any) -> None:
        self.cfg = cfg if isinstance(cfg, Config) else Config(dict(cfg) if cfg else {})
        self._extra = extra  # cfg-only keys passed as kwargs (Runner(**cfg)), plus unknown ones
        unknown = sorted(k for k in extra if k not in CFG_ONLY_KEYS)
        builders.check_triple('train', [train_dataloader, train_cfg, optim_wrapper],
                              ['train_dataloader', 'train_cfg', 'optim_wrapper'])
        builders.check_triple('val', [val_dataloader, val_cfg, val_evaluator],
                              ['val_dataloader', 'val_cfg', 'val_evaluator'])
        builders.check_triple('test', [test_dataloader, test_cfg, test_evaluator],
                              ['test_dataloader', 'test_cfg', 'test_evaluator'])
        if param_scheduler is not None and optim_wrapper is None:
            raise ValueError('param_scheduler should be None when optim_wrapper is None, '
                             f'but got {param_scheduler}')
        builders.check_scheduler_shape(param_scheduler)
        self._work_dir = work_dir  # kept as given: mmengine logs and stores the relative path
        os.makedirs(work_dir, exist_ok=True)
        self._train_dataloader, self._train_loop = train_dataloader, train_cfg
        self._val_dataloader, self._val_evaluator, self._val_loop = val_dataloader, val_evaluator, val_cfg
        self._test_dataloader, self._test_evaluator = test_dataloader, test_evaluator
        self._test_loop = test_cfg
        self.optim_wrapper = optim_wrapper
        self.auto_scale_lr = auto_scale_lr
        self.param_schedulers = param_scheduler
        self._load_from, self._resume, self._has_loaded = load_from, resume, False
        self._launcher = launcher
        env_cfg = dict(dist_cfg=dict(backend='nccl')) if env_cfg is None else dict(env_cfg)
        self._distributed, self._rank, self._world_size, self._timestamp = builders.setup_env(
            env_cfg, launcher)
        self._randomness_cfg = dict(seed=None) if randomness is None else dict(randomness)
        self._seed = builders.set_randomness(**self._randomness_cfg)
        stem = osp.splitext(osp.basename(self.cfg.filename))[0] if self.cfg.filename else None
        name = experiment_name or stem
        self._experiment_name = f'{name}_{self._timestamp}' if name else self._timestamp
        self._log_dir = osp.join(work_dir, self._timestamp)
        os.makedirs(self._log_dir, exist_ok=True)
        self.default_scope = default_scope
        set_default_scope(default_scope)
        self.log_processor = self._build_log_processor(log_processor)
        self.logger = build_logger('mmengine', osp.join(self._log_dir, f'{self._timestamp}.log'), log_level)
        set_current_logger(self.logger)
        self._log_env(env_cfg)
        unsupported = [k for k in ('compile', 'activation_checkpointing', 'efficient_conv_bn_eval')
                       if self._cfg_get(k)]
        if unsupported:
            self.logger.warning(f'Not supported by this runtime and ignored: {", ".join(unsupported)}')
        if unknown:
            msg = (f'Runner ignores these top-level config keys (mmengine would ignore them silently): '
                   f'{", ".join(unknown)}')
            warnings.warn(msg)
            self.logger.warning(msg)
        self.message_hub = MessageHub.create_current(self._experiment_name)
        self.visualizer = build_visualizer(visualizer, self._experiment_name, self._log_dir)
        if len(self.cfg):
            self.visualizer.add_config(self.cfg)
        self.model = builders.wrap_model(
            builders.build_model(model, data_preprocessor), self._distributed, self.logger,
            self._cfg_get('model_wrapper_cfg'), bool(self._cfg_get('find_unused_parameters', False)),
            self._cfg_get('sync_bn'))
        self._hooks: List[Hook] = []
        self._dispatch: Dict[str, List[Any]] = builders.stage_dispatch([])
        self.register_hooks(default_hooks, custom_hooks)
        self.logger.info(f'Hooks will be executed in the following order:\n{self.get_hooks_info()}')
        self.dump_config()

    @classmethod
    def from_cfg(cls, cfg: Union[Config, Dict]) -> 'Runner':
        """Build from a config (deep-copied) holding mmengine's top-level keys."""
        cfg = copy.deepcopy(cfg if isinstance(cfg, Config) else Config(dict(cfg)))
        kwargs = {k: cfg[k] for k in RUNNER_KEYS if k in cfg}
        extra = {k: cfg[k] for k in cfg if k not in RUNNER_KEYS}
        return cls(**kwargs, **extra, cfg=cfg)

    def _cfg_get(self, key: str, default: Any = None) -> Any:
        return self._extra.get(key, self.cfg.get(key, default))

    # -- simple properties -------------------------------------------------------------------
    experiment_name = property(lambda self: self._experiment_name)
    work_dir = property(lambda self: self._work_dir)
    log_dir = property(lambda self: self._log_dir)
    timestamp = property(lambda self: self._timestamp)
    seed = property(lambda self: self._seed)
    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world_size)
    distributed = property(lambda self: self._distributed)
    launcher = property(lambda self: self._launcher)
    hooks = property(lambda self: self._hooks)

    @property
    def cfg_text(self) -> str:
        """``cfg.pretty_text`` ('\\n' for an empty config), formatted once: it goes into every checkpoint."""
        text = self.__dict__.get('_cfg_text')
        if text is None:
            text = self._cfg_text = self.cfg.pretty_text if len(self.cfg) else '\n'
        return text

    @property
    def epoch(self) -> int:
        loop = self._train_loop
        return loop._epoch if isinstance(loop, BaseLoop) else 0

    @property
    def iter(self) -> int:
        loop = self._train_loop
        return loop._iter if isinstance(loop, BaseLoop) else 0

    @property
    def max_epochs(self) -> int:
        return self._train_loop.max_epochs if isinstance(self._train_loop, BaseLoop) else 0

    @property
    def max_iters(self) -> int:
        return self._train_loop.max_iters if isinstance(self._train_loop, BaseLoop) else 0

    # -- lazily built loops ------------------------------------------------------------------
    @property
    def train_loop(self) -> BaseLoop:
        if isinstance(self._train_loop, BaseLoop) or self._train_loop is None:
            return self._train_loop
        self._train_loop = build_train_loop(self, self._train_loop)
        return self._train_loop

    @property
    def val_loop(self) -> Optional[BaseLoop]:
        if isinstance(self._val_loop, BaseLoop) or self._val_loop is None:
            return self._val_loop
        self._val_loop = build_eval_loop(self, self._val_loop, 'val')
        return self._val_loop

    @property
    def test_loop(self) -> Optional[BaseLoop]:
        if isinstance(self._test_loop, BaseLoop) or self._test_loop is None:
            return self._test_loop
        self._test_loop = build_eval_loop(self, self._test_loop, 'test')
        return self._test_loop

    train_dataloader = property(lambda self: self.train_loop.dataloader)
    val_dataloader = property(lambda self: self.val_loop.dataloader)
    test_dataloader = property(lambda self: self.test_loop.dataloader)
    val_evaluator = property(lambda self: self.val_loop.evaluator)
    test_evaluator = property(lambda self: self.test_loop.evaluator)

    build_dataloader = staticmethod(build_dataloader)

    def _build_log_processor(self, log_processor: Any) -> LogProcessor:
        if isinstance(log_processor, LogProcessor):
            return log_processor
        cfg = dict(log_processor or {})
        return LOG_PROCESSORS.build(cfg) if 'type' in cfg else LogProcessor(**cfg)

    # -- hooks -------------------------------------------------------------------------------
    def register_hook(self, hook: Union[Hook, Dict], priority: Any = None) -> None:
        builders.insert_hook(self._hooks, builders.make_hook(hook, priority))
        self._dispatch = builders.stage_dispatch(self._hooks)

    def register_hooks(self,
                       default_hooks: Optional[Dict] = None,
                       custom_hooks: Optional[List] = None) -> None:
        for hook in builders.merge_default_hooks(default_hooks):
            self.register_hook(hook)
        for hook in custom_hooks or []:
            self.register_hook(hook)

    def get_hooks_info(self) -> str:
        return builders.hooks_info(self._hooks)

    def call_hook(self, fn_name: str, **kwargs: Any) -> None:
        """Call ``fn_name`` on every hook that acts on that stage, in priority order."""
        for fn in self._dispatch[fn_name]:
            try:
                fn(self, **kwargs)
            except TypeError as e:
                raise TypeError(f'{e} in {fn.__self__}') from e

    # -- training, validation, test ----------------------------------------------------------
    def _unwrapped(self) -> nn.Module:
        return self.model.module if is_model_wrapper(self.model) else self.model

    def train(self) -> nn.Module:
        model = self._unwrapped()
        if not hasattr(model, 'train_step'):
            raise RuntimeError('If you want to train your model, please make sure your model has '
                               'implemented `train_step`.')
        if self._val_loop is not None and not hasattr(model, 'val_step'):
            raise RuntimeError('If you want to validate your model, please make sure your model has '
                               'implemented `val_step`.')
        if self._train_loop is None:
            raise RuntimeError('`self._train_loop` should not be None when calling train method. Please '
                               'provide `train_dataloader`, `train_cfg`, `optimizer` and `param_scheduler` '
                               'arguments when initializing runner.')
        loop = self.train_loop
        self.optim_wrapper = build_optim_wrapper(self.model, self.optim_wrapper)
        # a wrapper built before this runner would log grad norms to another hub
        for wrapper in (self.optim_wrapper.values() if isinstance(self.optim_wrapper, OptimWrapperDict)
                        else [self.optim_wrapper]):
            wrapper.message_hub = self.message_hub
        self.scale_lr(self.optim_wrapper, self.auto_scale_lr)
        if self.param_schedulers is not None:
            self.param_schedulers = build_param_schedulers(self.optim_wrapper, self.param_schedulers,
                                                           loop.max_epochs, loop.max_iters,
                                                           len(loop.dataloader))
        _ = self.val_loop
        self.call_hook('before_run')
        self._init_model_weights()
        self.load_or_resume()
        self.optim_wrapper.initialize_count_status(self.model, loop.iter, loop.max_iters)
        model = loop.run()
        self.call_hook('after_run')
        return model

    def val(self) -> Dict[str, Any]:
        """Run the val loop once (``before_run`` → load/resume → loop → ``after_run``); returns metrics."""
        return self._evaluate('val')

    def test(self) -> Dict[str, Any]:
        """Run the test loop once; returns its metrics. ``init_weights`` is not called (mmengine)."""
        return self._evaluate('test')

    def _evaluate(self, mode: str) -> Dict[str, Any]:
        if getattr(self, f'_{mode}_loop') is None:
            raise RuntimeError(f'`self._{mode}_loop` should not be None when calling {mode} method. Please '
                               f'provide `{mode}_dataloader`, `{mode}_cfg` and `{mode}_evaluator` arguments '
                               'when initializing runner.')
        loop = getattr(self, f'{mode}_loop')
        self.call_hook('before_run')
        self.load_or_resume()
        metrics = loop.run()
        self.call_hook('after_run')
        return metrics

    def _init_model_weights(self) -> None:
        model = self._unwrapped()
        if hasattr(model, 'init_weights'):
            model.init_weights()
        if self._distributed:
            import torch.distributed as dist
            for tensor in model.state_dict().values():
                dist.broadcast(tensor, src=0)

    def scale_lr(self, optim_wrapper: Any, auto_scale_lr: Optional[Dict] = None) -> None:
        """Linear LR scaling by ``world_size * batch_size / base_batch_size`` (real groups only)."""
        if not auto_scale_lr or not auto_scale_lr.get('enable', False):
            return
        assert 'base_batch_size' in auto_scale_lr and isinstance(auto_scale_lr['base_batch_size'], int), (
            'Lack of `base_batch_size` in `auto_scale_lr`.')
        loader = self._train_dataloader
        batch_size = loader['batch_size'] if isinstance(loader, dict) else loader.batch_size
        real = self._world_size * batch_size
        ratio = float(real) / float(auto_scale_lr['base_batch_size'])
        self.logger.info(
            f'LR is set based on batch size of {auto_scale_lr["base_batch_size"]} and the current '
            f'batch size is {real}. Scaling the original LR by {ratio}.')
        if _has_built_schedulers(self.param_schedulers):
            raise RuntimeError('`scale_lr` should be called before building ParamScheduler because '
                               'ParamScheduler will store initial lr from optimizer wrappers')
        wrappers = optim_wrapper.values() if isinstance(optim_wrapper, OptimWrapperDict) else [optim_wrapper]
        for wrapper in wrappers:
            for group in wrapper.optimizer.param_groups:
                group['lr'] = group['lr'] * ratio

    # -- checkpoints -------------------------------------------------------------------------
    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[Dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[Dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[Dict] = None) -> None:
        """Write ``{meta, state_dict, message_hub, optimizer, param_schedulers}`` (rank 0, atomically)."""
        if meta is None:
            meta = {}
        elif not isinstance(meta, dict):
            raise TypeError(f'meta should be a dict or None, but got {type(meta)}')
        if self._rank != 0:
            return
        meta.setdefault('epoch', self.epoch + 1 if by_epoch else self.epoch)
        meta.setdefault('iter', self.iter if by_epoch else self.iter + 1)
        meta.update(cfg=self.cfg_text,
                    seed=self.seed,
                    experiment_name=self.experiment_name,
                    time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
                    mmengine_version=mmengine_version)
        if isinstance(self._train_loop, BaseLoop) and hasattr(self.train_dataloader.dataset, 'metainfo'):
            meta['dataset_meta'] = self.train_dataloader.dataset.metainfo
        checkpoint: Dict[str, Any] = {
            'meta': meta,
            'state_dict': weights_to_cpu(self._unwrapped().state_dict()),  # no non-persistent buffers
            'message_hub': self.message_hub.state_dict()}
        if save_optimizer and isinstance(self.optim_wrapper, (OptimWrapper, OptimWrapperDict)):
            checkpoint['optimizer'] = self.optim_wrapper.state_dict()
        if save_param_scheduler and self.param_schedulers is None:
            self.logger.warning('`save_param_scheduler` is True but `self.param_schedulers` is None, so skip '
                                'saving parameter schedulers')
        elif save_param_scheduler and self.param_schedulers:
            if isinstance(self.param_schedulers, dict):
                checkpoint['param_schedulers'] = {name: [s.state_dict() for s in group]
                                                  for name, group in self.param_schedulers.items()}
            else:
                checkpoint['param_schedulers'] = [s.state_dict() for s in self.param_schedulers]
        self.call_hook('before_save_checkpoint', checkpoint=checkpoint)
        save_checkpoint_file(checkpoint, osp.join(out_dir, filename))

    def load_checkpoint(self, filename: str, map_location: Any = 'cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> Dict:  # noqa: B006 (mmengine default)
        """Load model weights (hooks see the checkpoint first via ``after_load_checkpoint``)."""
        checkpoint = load_checkpoint_file(filename, map_location=map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        load_model_weights(self._unwrapped(), checkpoint, strict, revise_keys, self.logger)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    def resume(self, filename: str, resume_optimizer: bool = True, resume_param_scheduler: bool = True,
               map_location: Any = 'default') -> None:
        """Restore weights, counters, message hub, optimizer and schedulers from ``filename``."""
        if map_location == 'default':
            map_location = builders.get_device()
        checkpoint = self.load_checkpoint(filename, map_location=map_location)
        meta = checkpoint['meta']
        self.train_loop._epoch = meta['epoch']
        self.train_loop._iter = meta['iter']
        seed = meta.get('seed')
        if seed is not None and seed != self._randomness_cfg.get('seed'):
            if self._randomness_cfg.get('seed') is not None:
                self.logger.warning(f'The value of random seed in the checkpoint "{seed}" is different from '
                                    f'the value in `randomness` config "{self._randomness_cfg.get("seed")}"')
            self._randomness_cfg.update(seed=seed)
            self._seed = builders.set_randomness(**self._randomness_cfg)
        if meta.get('dataset_meta') != getattr(self.train_dataloader.dataset, 'metainfo', None):
            self.logger.warning('The dataset metainfo from the resumed checkpoint is different from the '
                                'current training dataset, please check the correctness of the checkpoint '
                                'or the training dataset.')
        self.message_hub.load_state_dict(checkpoint['message_hub'])
        if 'optimizer' in checkpoint and resume_optimizer:
            self.optim_wrapper = build_optim_wrapper(self.model, self.optim_wrapper)
            self.optim_wrapper.load_state_dict(checkpoint['optimizer'])
        if resume_param_scheduler and self.param_schedulers is None:
            self.logger.warning('`resume_param_scheduler` is True but `self.param_schedulers` is None, so '
                                'skip resuming parameter schedulers')
            resume_param_scheduler = False
        if 'param_schedulers' in checkpoint and resume_param_scheduler:
            saved = checkpoint['param_schedulers']
            if isinstance(self.param_schedulers, dict):
                for name, group in self.param_schedulers.items():
                    for scheduler, state in zip(group, saved[name]):
                        scheduler.load_state_dict(state)
            else:
                for scheduler, state in zip(self.param_schedulers, saved):
                    scheduler.load_state_dict(state)
        self._has_loaded = True
        self.logger.info(f'resumed epoch: {self.epoch}, iter: {self.iter}')

    def load_or_resume(self) -> None:
        """``resume=True``: auto-resume from ``work_dir/last_checkpoint`` (or ``load_from``)."""
        if self._has_loaded:
            return
        resume_from = None
        if self._resume and self._load_from is None:
            resume_from = find_latest_checkpoint(self.work_dir)
            self.logger.info(f'Auto resumed from the latest checkpoint {resume_from}.')
        elif self._resume:
            resume_from = self._load_from
        if resume_from is not None:
            self.resume(resume_from)
        elif self._load_from is not None:
            self.load_checkpoint(self._load_from)
        self._has_loaded = resume_from is not None or self._load_from is not None

    # -- logging helpers ---------------------------------------------------------------------
    def _log_env(self, env_cfg: Dict) -> None:
        env = collect_env()
        env['MMEngine (compat)'] = mmengine_version
        runtime = builders.runtime_env_lines(env_cfg, self._randomness_cfg, self._seed, self._launcher,
                                             self._distributed, self._world_size)
        dash = '-' * 60
        system = ''.join(f'\n    {k}: {v}' for k, v in env.items())
        rt = ''.join(f'\n    {k}: {v}' for k, v in runtime.items())
        self.logger.info(f'\n{dash}\nSystem environment:{system}\n\nRuntime environment:{rt}\n{dash}\n')
        if len(self.cfg):
            self.logger.info(f'Config:\n{self.cfg_text}')

    def dump_config(self) -> None:
        """Write the config to ``work_dir`` (rank 0): under its file name, else ``{timestamp}.py``."""
        if self._rank != 0 or not len(self.cfg):
            return
        name = osp.basename(self.cfg.filename) if self.cfg.filename else f'{self._timestamp}.py'
        self.cfg.dump(osp.join(self.work_dir, name))

    def __repr__(self) -> str:
        return f'{type(self).__name__}(experiment_name={self._experiment_name!r}, ' \
               f'work_dir={self._work_dir!r})'
