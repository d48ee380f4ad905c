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

from legacy_runner import workdir_lock
from legacy_runner.checkpoint import weights_to_cpu
from legacy_runner.config import Config

from . import builders
from .checkpoint import (
    load_checkpoint_file,
    load_model_weights,
    load_scheduler_state_dict,
    save_checkpoint_file,
    scheduler_state_dict,
)
from .compile import compile_model
from .logging import build_logger, set_current_logger
from .optim import OptimWrapper, OptimWrapperDict, build_optim_wrapper
from .registry import RUNNERS, set_default_scope
from .runner_base import RunnerCore, building
from .scheduler import build_param_schedulers
from .version import mmengine_version

# keys mmengine reads from ``runner.cfg`` later rather than as constructor arguments
CFG_ONLY_KEYS = ('model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'compile',
                 'activation_checkpointing', 'efficient_conv_bn_eval', 'runner_type', 'gpu_ids',
                 'custom_imports')
RUNNER_KEYS = ('model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
               'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
               'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from', 'resume',
               'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer', 'default_scope',
               'randomness', 'experiment_name')


@RUNNERS.register_module()
class Runner(RunnerCore):
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
        self._store_components(
            train_dataloader=train_dataloader, val_dataloader=val_dataloader,
            test_dataloader=test_dataloader, train_cfg=train_cfg, val_cfg=val_cfg, test_cfg=test_cfg,
            optim_wrapper=optim_wrapper, param_scheduler=param_scheduler, val_evaluator=val_evaluator,
            test_evaluator=test_evaluator, auto_scale_lr=auto_scale_lr, load_from=load_from,
            resume=resume)
        builders.check_scheduler_shape(param_scheduler)
        self._work_dir = work_dir  # kept as given: mmengine logs and stores the relative path
        workdir_lock.make_work_dir(work_dir)
        self._launcher = launcher
        env_cfg = dict(dist_cfg=dict(backend='nccl')) if env_cfg is None else dict(env_cfg)
        self._distributed, self._rank, self._world_size, self._timestamp = builders.setup_env(
            env_cfg, launcher)
        workdir_lock.acquire(work_dir, self._rank)  # a no-op unless the train command asked for it
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
        unsupported = [k for k in ('activation_checkpointing', 'efficient_conv_bn_eval')
                       if self._cfg_get(k)]
        if unsupported:
            self.logger.warning(f'Not supported by this runtime and ignored: {", ".join(unsupported)}')
        if unknown:
            msg = (f'Runner ignores these top-level config keys (mmengine would ignore them silently): '
                   f'{", ".join(unknown)}')
            warnings.warn(msg)
            self.logger.warning(msg)
        self._build_hub_and_visualizer(visualizer)
        with building(self.cfg.filename, 'model'):
            built = builders.build_model(model, data_preprocessor)
        self.model = builders.wrap_model(
            built, self._distributed, self.logger,
            self._cfg_get('model_wrapper_cfg'), bool(self._cfg_get('find_unused_parameters', False)),
            self._cfg_get('sync_bn'))
        self._init_hooks(default_hooks, custom_hooks)

    @classmethod
    def from_cfg(cls, cfg: Union[Config, Dict]) -> 'Runner':
        """Build from a config (deep-copied) holding mmengine's top-level keys."""
        cfg = copy.deepcopy(cfg if isinstance(cfg, Config) else Config(dict(cfg)))
        kwargs = {k: cfg[k] for k in RUNNER_KEYS if k in cfg}
        extra = {k: cfg[k] for k in cfg if k not in RUNNER_KEYS}
        return cls(**kwargs, **extra, cfg=cfg)

    # -- training, validation, test ----------------------------------------------------------
    def train(self) -> nn.Module:
        model = self._unwrapped()
        if not hasattr(model, 'train_step'):
            raise RuntimeError('If you want to train your model, please make sure your model has '
                               'implemented `train_step`.')
        if self._val_loop is not None and not hasattr(model, 'val_step'):
            raise RuntimeError('If you want to validate your model, please make sure your model has '
                               'implemented `val_step`.')
        loop = self._required_train_loop()
        with building(self.cfg.filename, 'optim_wrapper'):
            self.optim_wrapper = build_optim_wrapper(self.model, self.optim_wrapper)
        self._attach_message_hub(self.optim_wrapper)
        self.scale_lr(self.optim_wrapper, self.auto_scale_lr)
        if self.param_schedulers is not None:
            with building(self.cfg.filename, 'param_scheduler'):
                self.param_schedulers = build_param_schedulers(self.optim_wrapper, self.param_schedulers,
                                                               loop.max_epochs, loop.max_iters,
                                                               len(loop.dataloader))
        _ = self.val_loop
        self.call_hook('before_run')
        self._init_model_weights()
        self.load_or_resume()
        self.optim_wrapper.initialize_count_status(self.model, loop.iter, loop.max_iters)
        compile_model(self.model, self._cfg_get('compile'), self.logger)
        model = loop.run()
        self.call_hook('after_run')
        return model

    def _evaluate(self, mode: str) -> Dict[str, Any]:
        # before_run -> load/resume -> loop -> after_run; init_weights is not called (as mmengine)
        loop = self._required_loop(mode)
        self.call_hook('before_run')
        self.load_or_resume()
        metrics = loop.run()
        self.call_hook('after_run')
        return metrics

    def _init_model_weights(self) -> None:
        builders.init_model_weights(self._unwrapped(), self._distributed)

    def scale_lr(self, optim_wrapper: Any, auto_scale_lr: Optional[Dict] = None) -> None:
        """Linear LR scaling by ``world_size * batch_size / base_batch_size`` (real groups only)."""
        loader = self._train_dataloader
        batch_size = loader['batch_size'] if isinstance(loader, dict) else loader.batch_size
        builders.scale_lr(optim_wrapper, auto_scale_lr, self._world_size * batch_size, self.logger,
                          self.param_schedulers)

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
        meta = self._checked_meta(meta)
        record = self._continuation_record(save_optimizer)  # all ranks (gathered when distributed)
        if self._rank != 0:
            return
        stamp = dict(cfg=self.cfg_text, seed=self.seed, experiment_name=self.experiment_name,
                     time=time.strftime('%Y%m%d_%H%M%S', time.localtime()), mmengine_version=mmengine_version)
        self._fill_checkpoint_meta(meta, by_epoch, stamp, record, save_param_scheduler)
        checkpoint: Dict[str, Any] = {
            'meta': meta,
            'state_dict': weights_to_cpu(self._unwrapped().state_dict()),  # no non-persistent buffers
            'message_hub': self.message_hub.state_dict()}
        if save_optimizer and isinstance(self.optim_wrapper, (OptimWrapper, OptimWrapperDict)):
            checkpoint['optimizer'] = self.optim_wrapper.state_dict()
        if save_param_scheduler and self.param_schedulers:
            checkpoint['param_schedulers'] = scheduler_state_dict(self.param_schedulers)
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
        seed = builders.reseed_from_checkpoint(meta, self._randomness_cfg, self.logger)
        if seed is not None:
            self._seed = seed
        self._check_dataset_meta(meta)
        self.message_hub.load_state_dict(checkpoint['message_hub'])
        if 'optimizer' in checkpoint and resume_optimizer:
            self.optim_wrapper = build_optim_wrapper(self.model, self.optim_wrapper)
            self.optim_wrapper.load_state_dict(checkpoint['optimizer'])
        if resume_param_scheduler and self.param_schedulers is None:
            self.logger.warning('`resume_param_scheduler` is True but `self.param_schedulers` is None, so '
                                'skip resuming parameter schedulers')
            resume_param_scheduler = False
        if 'param_schedulers' in checkpoint and resume_param_scheduler:
            load_scheduler_state_dict(self.param_schedulers, checkpoint['param_schedulers'])
        self._finish_resume(meta, filename)

    # -- logging helpers ---------------------------------------------------------------------
    def _log_env(self, env_cfg: Dict) -> None:
        runtime = builders.runtime_env_lines(env_cfg, self._randomness_cfg, self._seed, self._launcher,
                                             self._distributed, self._world_size)
        self._log_env_tables(builders.system_env(), runtime)
