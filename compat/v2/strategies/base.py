"""``BaseStrategy``: environment, logger, model/optimizer/scheduler preparation and checkpoint I/O.

A strategy owns what differs between one device, DDP and FSDP; the FlexibleRunner keeps the loops,
hooks and logging it shares with ``Runner``. Building goes through the same small builder functions
(:mod:`compat.v2.builders`, :func:`~compat.v2.optim.build_optim_wrapper`,
:func:`~compat.v2.scheduler.build_param_schedulers`) so the numbers match ``Runner``'s.
"""
import os
import os.path as osp
import time
from collections import OrderedDict
from typing import Any, Callable, Dict, Optional, Union

from torch import nn

from legacy_runner.checkpoint import weights_to_cpu
from legacy_runner.continuation import KEY

from .. import builders
from ..checkpoint import (
    load_checkpoint_file,
    load_model_weights,
    load_scheduler_state_dict,
    save_checkpoint_file,
    scheduler_state_dict,
)
from ..compile import compile_model
from ..logging import build_logger
from ..model import is_model_wrapper
from ..optim import build_optim_wrapper
from ..scheduler import build_param_schedulers
from ..version import mmengine_version
from .sharded import is_sharded_checkpoint, read_sharded_as_full

Callback = Optional[Callable[[Dict], None]]
DEFAULT_REVISE_KEYS = [(r'^module.', '')]


class BaseStrategy:
    """Sets up the environment and logger at construction; ``prepare`` builds the training components.

    Args (keyword-only, mmengine's): work_dir, experiment_name, env_kwargs (launcher, cudnn_benchmark,
    mp_cfg, dist_cfg, resource_limit, randomness), log_kwargs (log_level), auto_scale_lr.
    """

    distributed_default = False

    def __init__(self, *, work_dir: str = 'work_dirs', experiment_name: Optional[str] = None,
                 env_kwargs: Optional[Dict] = None, log_kwargs: Optional[Dict] = None,
                 auto_scale_lr: Optional[Dict] = None) -> None:
        self._work_dir = work_dir
        os.makedirs(work_dir, exist_ok=True)
        self._env_kwargs = dict(env_kwargs or {})
        self._setup_env(**self._env_kwargs)
        self._experiment_name = f'{experiment_name}_{self._timestamp}' if experiment_name else self._timestamp
        self._log_dir = osp.join(work_dir, self._timestamp)
        os.makedirs(self._log_dir, exist_ok=True)
        log_kwargs = dict(log_kwargs or {})
        self.logger = build_logger('mmengine', osp.join(self._log_dir, f'{self._timestamp}.log'),
                                   log_kwargs.get('log_level', 'INFO'))
        self.auto_scale_lr = auto_scale_lr
        self.dispatch_kwargs: Dict[str, Any] = {}
        self.model: Optional[nn.Module] = None
        self.optim_wrapper: Any = None
        self.param_schedulers: Any = None
        self._prepared = False

    # -- environment -------------------------------------------------------------------------
    def _setup_env(self, launcher: Optional[str] = None, cudnn_benchmark: bool = False,
                   mp_cfg: Optional[Dict] = None, dist_cfg: Optional[Dict] = None, resource_limit: int = 4096,
                   randomness: Optional[Dict] = None, **_: Any) -> None:
        self._launcher = self._resolve_launcher(launcher)
        env_cfg = dict(cudnn_benchmark=cudnn_benchmark, mp_cfg=mp_cfg or {},
                       dist_cfg=self._dist_cfg(dist_cfg), resource_limit=resource_limit)
        self._distributed, self._rank, self._world_size, self._timestamp = builders.setup_env(
            env_cfg, self._launcher)
        self._randomness = dict(seed=None) if randomness is None else dict(randomness)
        self._seed = builders.set_randomness(**self._randomness)

    def _resolve_launcher(self, launcher: Optional[str]) -> str:
        return launcher or 'none'

    def _dist_cfg(self, dist_cfg: Optional[Dict]) -> Dict:
        return dict(dist_cfg or {})

    work_dir = property(lambda self: self._work_dir)
    log_dir = property(lambda self: self._log_dir)
    experiment_name = property(lambda self: self._experiment_name)
    timestamp = property(lambda self: self._timestamp)
    launcher = property(lambda self: self._launcher)
    distributed = property(lambda self: self._distributed)
    rank = property(lambda self: self._rank)
    world_size = property(lambda self: self._world_size)
    seed = property(lambda self: self._seed)
    randomness = property(lambda self: self._randomness)

    def collect_env(self) -> 'tuple[Dict, Dict]':
        """``(system_env, runtime_env)``: the runtime part prints the *configured* seed (mmengine)."""
        env = builders.system_env()
        runtime: 'OrderedDict[str, Any]' = OrderedDict(launcher=self._launcher, randomness=self._randomness)
        runtime.update({k: v for k, v in self._env_kwargs.items() if k not in ('launcher', 'randomness')})
        runtime.update(self._randomness)
        runtime['Distributed launcher'] = self._launcher
        runtime['Distributed training'] = self._distributed
        runtime['GPU number'] = self._world_size
        return env, runtime

    # -- prepare -----------------------------------------------------------------------------
    def prepare(self, model: Union[nn.Module, Dict], *, optim_wrapper: Any = None,
                param_scheduler: Any = None, compile: Union[bool, Dict] = False,
                dispatch_kwargs: Optional[Dict] = None) -> Any:
        """Build, init, wrap and compile the model, then the optim wrapper and schedulers (once).

        Returns the model, or ``[model, optim_wrapper(, schedulers)]`` when an optimizer is prepared.
        A later call only adds an optimizer/schedulers that were not prepared yet.
        """
        if dispatch_kwargs:
            self.dispatch_kwargs.update(dispatch_kwargs)
        if not self._prepared:
            model = self.build_model(model)
            if self.dispatch_kwargs.get('init_weights_for_test_or_val', True):
                builders.init_model_weights(model, self._distributed)
            model = self._wrap_model(model)
            self.model = self.compile_model(model, compile)
            self._prepared = True
        if optim_wrapper is not None and self.optim_wrapper is None:
            self.optim_wrapper = self.build_optim_wrapper(optim_wrapper, self.model)
            self._scale_lr()
            self._init_counts(0)
            if param_scheduler is not None:
                self.param_schedulers = self.build_param_scheduler(param_scheduler, self.optim_wrapper)
        if self.optim_wrapper is None:
            return self.model
        parts = [self.model, self.optim_wrapper]
        return parts + [self.param_schedulers] if self.param_schedulers is not None else parts

    def build_model(self, model: Union[nn.Module, Dict]) -> nn.Module:
        return builders.build_model(model)

    def _wrap_model(self, model: nn.Module) -> nn.Module:
        raise NotImplementedError

    def compile_model(self, model: nn.Module, compile: Union[bool, Dict] = False) -> nn.Module:
        """``torch.compile`` the named target(s) (default ``'forward'`` when called directly)."""
        return compile_model(model, compile, self.logger, default_targets=('forward',))

    def build_optim_wrapper(self, optim_wrapper: Any, model: Optional[nn.Module] = None) -> Any:
        return build_optim_wrapper(model if model is not None else self.model, optim_wrapper)

    def build_param_scheduler(self, scheduler: Any, optim_wrapper: Any) -> Any:
        """Defaults from ``dispatch_kwargs``; a config with ``end`` needs no run length."""
        kw = self.dispatch_kwargs
        return build_param_schedulers(optim_wrapper, scheduler, kw.get('max_epochs'), kw.get('max_iters'),
                                      kw.get('epoch_length'))

    def _scale_lr(self) -> None:
        batch_size = self.dispatch_kwargs.get('train_micro_batch_size_per_gpu', 1)
        builders.scale_lr(self.optim_wrapper, self.auto_scale_lr, self._world_size * batch_size, self.logger)

    def _init_counts(self, cur_iter: int) -> None:
        """Gradient-accumulation counters (every wrapper; ``max_iters`` from ``dispatch_kwargs``)."""
        if self.optim_wrapper is None:
            return
        ow = self.optim_wrapper
        wrappers = ow.values() if hasattr(ow, 'values') else [ow]
        if any(getattr(w, '_accumulative_counts', 1) > 1 for w in wrappers):
            if self.dispatch_kwargs.get('max_iters') is None:
                raise ValueError('"max_iters" must be specified in dispatch_kwargs when '
                                 'accumulative_counts > 1')
        self.optim_wrapper.initialize_count_status(self.model, cur_iter,
                                                   self.dispatch_kwargs.get('max_iters') or 0)

    def _unwrapped(self) -> nn.Module:
        return self.model.module if is_model_wrapper(self.model) else self.model

    # -- state dicts -------------------------------------------------------------------------
    def model_state_dict(self) -> Dict:
        return weights_to_cpu(self._unwrapped().state_dict())

    def optim_state_dict(self) -> Dict:
        return self.optim_wrapper.state_dict()

    def load_model_state_dict(self, state_dict: Dict, *, strict: bool = False,
                              revise_keys: list = DEFAULT_REVISE_KEYS) -> None:  # noqa: B006
        load_model_weights(self._unwrapped(), state_dict, strict, revise_keys, self.logger)

    def load_optim_state_dict(self, state_dict: Dict) -> None:
        self.optim_wrapper.load_state_dict(state_dict)

    # -- checkpoints -------------------------------------------------------------------------
    def _gather_checkpoint(self, save_optimizer: bool, save_param_scheduler: bool,
                           extra_ckpt: Optional[Dict]) -> Dict:
        checkpoint: Dict[str, Any] = dict(state_dict=self.model_state_dict())
        if save_optimizer and self.optim_wrapper is not None:
            checkpoint['optimizer'] = self.optim_state_dict()
        if save_param_scheduler and self.param_schedulers:
            checkpoint['param_schedulers'] = scheduler_state_dict(self.param_schedulers)
        extra = dict(extra_ckpt or {})
        meta = extra.setdefault('meta', {})
        meta.update(seed=self._seed, time=time.strftime('%Y%m%d_%H%M%S', time.localtime()),
                    mmengine=mmengine_version)
        if KEY in meta:  # the continuation record after mmengine's keys
            meta[KEY] = meta.pop(KEY)
        checkpoint.update(extra)
        return checkpoint

    def save_checkpoint(self, filename: str, *, save_optimizer: bool = True,
                        save_param_scheduler: bool = True, extra_ckpt: Optional[Dict] = None,
                        callback: Callback = None) -> None:
        """``{state_dict, optimizer, param_schedulers, **extra_ckpt}``; rank 0 writes one file."""
        checkpoint = self._gather_checkpoint(save_optimizer, save_param_scheduler, extra_ckpt)
        if self._rank != 0:
            return
        if callback is not None:
            callback(checkpoint)
        save_checkpoint_file(checkpoint, filename)

    def read_checkpoint(self, filename: str, map_location: Any) -> Dict:
        """A checkpoint file, or an FSDP sharded directory gathered for this (unsharded) model."""
        if is_sharded_checkpoint(filename):
            return read_sharded_as_full(filename, self._unwrapped(), map_location)
        return load_checkpoint_file(filename, map_location=map_location)

    def load_checkpoint(self, filename: str, *, map_location: Any = 'cpu', strict: bool = False,
                        revise_keys: list = DEFAULT_REVISE_KEYS,  # noqa: B006 (mmengine default)
                        callback: Callback = None) -> Dict:
        """Load weights; returns the rest of the checkpoint (``{}`` for a bare state dict)."""
        self.logger.info(f'Load checkpoint from {filename}')
        if map_location == 'default':
            map_location = builders.get_device()
        checkpoint = self.read_checkpoint(filename, map_location)
        if callback is not None:
            callback(checkpoint)
        if isinstance(checkpoint, dict) and 'state_dict' in checkpoint:
            state_dict = checkpoint.pop('state_dict')
        else:  # a bare state dict (mmengine: KeyError)
            state_dict, checkpoint = checkpoint, {}
        self.load_model_state_dict(state_dict, strict=strict, revise_keys=revise_keys)
        return checkpoint

    def resume(self, filename: str, *, resume_optimizer: bool = True, resume_param_scheduler: bool = True,
               map_location: Any = 'default', callback: Callback = None) -> Dict:
        """Weights, optimizer, schedulers, seed and accumulation counters; returns the rest."""
        self.logger.info(f'Resume checkpoint from {filename}')
        checkpoint = self.load_checkpoint(filename, map_location=map_location, callback=callback)
        optim_state = checkpoint.pop('optimizer', None)
        if resume_optimizer and optim_state is not None and self.optim_wrapper is not None:
            self.load_optim_state_dict(optim_state)
        sched_state = checkpoint.pop('param_schedulers', None)
        if resume_param_scheduler and sched_state is not None and self.param_schedulers:
            load_scheduler_state_dict(self.param_schedulers, sched_state)
        meta = checkpoint.get('meta', {})
        seed = builders.reseed_from_checkpoint(meta, self._randomness, self.logger)
        if seed is not None:
            self._seed = seed
        self._init_counts(meta.get('iter', 0))
        return checkpoint
