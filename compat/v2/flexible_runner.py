"""``FlexibleRunner``: the v2 runner whose environment, model preparation and checkpoint I/O belong to a
strategy (:mod:`compat.v2.strategies`). Loops, hooks, logging, schedules and load-or-resume are
:class:`~compat.v2.runner_base.RunnerCore`'s, shared with :class:`~compat.v2.runner.Runner`.

Kept from mmengine: the model stays a config until the first ``train``/``val``/``test``; the strategy
initialises, wraps, compiles and loads *before* ``before_run``; checkpoint meta carries ``mmengine``.
Fixed (mmengine crashes or drops values): a missing ``env_cfg``, ``cfg.compile`` (honoured), the meta
epoch/iter a hook passes (kept), ``val()``/``test()`` before ``train()``, bare state dicts.
"""
import copy
import os.path as osp
import warnings
from typing import Any, Dict, List, Optional, Union

from torch import nn

from legacy_runner.config import Config

from .logging import set_current_logger
from .loops import BaseLoop
from .registry import RUNNERS, set_default_scope
from .runner_base import RunnerCore
from .strategies import BaseStrategy, build_strategy, infer_launcher

FLEX_KEYS = ('model', 'work_dir', 'experiment_name', 'train_dataloader', 'val_dataloader', 'test_dataloader',
             'train_cfg', 'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler',
             'val_evaluator', 'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor',
             'load_from', 'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
             'default_scope', 'randomness', 'strategy', 'compile')
# Runner keys FlexibleRunner does not read (mmengine ignores them silently; we warn)
RUNNER_ONLY_KEYS = ('model_wrapper_cfg', 'find_unused_parameters', 'sync_bn', 'activation_checkpointing',
                    'efficient_conv_bn_eval')


@RUNNERS.register_module()
class FlexibleRunner(RunnerCore):
    """mmengine-compatible FlexibleRunner (keyword-only arguments after ``model``)."""

    def __init__(self,
                 model: Union[nn.Module, Dict],
                 *,
                 work_dir: str = 'work_dirs',
                 experiment_name: Optional[str] = None,
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
                 resume: Union[bool, str] = False,
                 launcher: Optional[str] = None,
                 env_cfg: Optional[Dict] = None,
                 strategy: Union[BaseStrategy, Dict, None] = None,
                 log_processor: Optional[Dict] = None,
                 log_level: str = 'INFO',
                 visualizer: Any = None,
                 default_scope: Optional[str] = 'mmengine',
                 randomness: Optional[Dict] = None,
                 compile: Union[bool, Dict] = False,
                 cfg: Any = None) -> None:
        self.cfg = cfg if isinstance(cfg, Config) else Config(dict(cfg) if cfg else {})
        self._extra: Dict[str, Any] = {}
        self._store_components(
            train_dataloader=train_dataloader, val_dataloader=val_dataloader,
            test_dataloader=test_dataloader, train_cfg=train_cfg, val_cfg=val_cfg, test_cfg=test_cfg,
            optim_wrapper=optim_wrapper, param_scheduler=param_scheduler, val_evaluator=val_evaluator,
            test_evaluator=test_evaluator, auto_scale_lr=auto_scale_lr, load_from=load_from,
            resume=resume)
        if not isinstance(compile, (bool, dict)):
            raise TypeError(f'compile should be a bool or dict, but got {type(compile)}')
        if isinstance(resume, str) and load_from is not None:
            raise ValueError('If resume is a str, load_from should be None, '
                             f'but got resume={resume!r}, load_from={load_from!r}')
        self._compile = compile
        launcher = launcher if launcher is not None else infer_launcher()
        stem = osp.splitext(osp.basename(self.cfg.filename))[0] if self.cfg.filename else None
        self._randomness_cfg = dict(seed=None) if randomness is None else dict(randomness)
        self.strategy = build_strategy(strategy, launcher=launcher, work_dir=work_dir,
                                       experiment_name=experiment_name or stem, auto_scale_lr=auto_scale_lr,
                                       env_cfg=env_cfg, randomness=self._randomness_cfg, log_level=log_level)
        self._sync_from_strategy()
        self.default_scope = default_scope
        set_default_scope(default_scope)
        self.log_processor = self._build_log_processor(log_processor)
        self.logger = self.strategy.logger
        set_current_logger(self.logger)
        self._log_env()
        self._build_hub_and_visualizer(visualizer)
        if isinstance(model, dict) and data_preprocessor is not None:
            model = dict(model)
            model.setdefault('data_preprocessor', data_preprocessor)
        self.model: Any = model  # built by the strategy at the first train/val/test
        self._init_hooks(default_hooks, custom_hooks)

    @classmethod
    def from_cfg(cls, cfg: Union[Config, Dict]) -> 'FlexibleRunner':
        """Build from a config (deep-copied); Runner-only keys are reported and ignored."""
        cfg = copy.deepcopy(cfg if isinstance(cfg, Config) else Config(dict(cfg)))
        ignored = [k for k in RUNNER_ONLY_KEYS if cfg.get(k) is not None]
        if ignored:
            warnings.warn(f'FlexibleRunner ignores {", ".join(ignored)}; set them in '
                          '`strategy=dict(model_wrapper=..., sync_bn=...)` instead.')
        kwargs = {k: cfg[k] for k in FLEX_KEYS if k in cfg}
        kwargs.setdefault('work_dir', 'work_dirs')
        return cls(**kwargs, cfg=cfg)

    def _sync_from_strategy(self) -> None:
        s = self.strategy
        self._work_dir, self._log_dir, self._timestamp = s.work_dir, s.log_dir, s.timestamp
        self._experiment_name, self._launcher = s.experiment_name, s.launcher
        self._distributed, self._rank, self._world_size = s.distributed, s.rank, s.world_size
        self._seed = s.seed

    def _log_env(self) -> None:
        self._log_env_tables(*self.strategy.collect_env())

    # -- training, validation, test ----------------------------------------------------------
    def _take_components(self) -> None:
        s = self.strategy
        self.model = s.model
        if s.optim_wrapper is not None:
            self.optim_wrapper = s.optim_wrapper
            self._attach_message_hub(s.optim_wrapper)
        if s.param_schedulers is not None:
            self.param_schedulers = s.param_schedulers

    def _compile_cfg(self, targets: tuple) -> Union[bool, Dict]:
        if self._compile is False:
            return False
        cfg = {} if self._compile is True else dict(self._compile)
        if 'target' not in cfg and 'targets' not in cfg:
            cfg['targets'] = targets
        return cfg

    def train(self) -> nn.Module:
        loop = self._required_train_loop()
        _ = self.val_loop
        loader = loop.dataloader
        batch_size = getattr(loader, 'batch_size', None) or getattr(loader.batch_sampler, 'batch_size', 1)
        self.strategy.prepare(self.model, optim_wrapper=self.optim_wrapper,
                              param_scheduler=self.param_schedulers,
                              compile=self._compile_cfg(('train_step', 'val_step')),
                              dispatch_kwargs=dict(epoch_length=len(loader), max_epochs=loop.max_epochs,
                                                   max_iters=loop.max_iters,
                                                   train_micro_batch_size_per_gpu=batch_size))
        self._take_components()
        self.load_or_resume()
        self.call_hook('before_run')
        model = loop.run()
        self.call_hook('after_run')
        return model

    def _evaluate(self, mode: str) -> Dict[str, Any]:
        # the strategy prepares the model (init_weights unless init_weights_for_test_or_val=False)
        loop = self._required_loop(mode)
        init = self.cfg.get('init_weights_for_test_or_val', True)
        self.strategy.prepare(self.model, compile=self._compile_cfg((f'{mode}_step',)),
                              dispatch_kwargs=dict(init_weights_for_test_or_val=init))
        self._take_components()
        self.load_or_resume()
        self.call_hook('before_run')
        metrics = loop.run()
        self.call_hook('after_run')
        return metrics

    # -- checkpoints -------------------------------------------------------------------------
    def load_or_resume(self) -> None:
        """As Runner's, and ``resume='<path>'`` resumes that checkpoint."""
        if isinstance(self._resume, str) and not self._has_loaded:
            with self._checkpoint_input(self._resume, 'resume checkpoint'):
                self.resume(self._resume)
            return
        super().load_or_resume()

    def _hook_callback(self, stage: str) -> Any:
        return lambda checkpoint: self.call_hook(stage, checkpoint=checkpoint)

    def save_checkpoint(self,
                        out_dir: str,
                        filename: str,
                        file_client_args: Optional[Dict] = None,
                        save_optimizer: bool = True,
                        save_param_scheduler: bool = True,
                        meta: Optional[Dict] = None,
                        by_epoch: bool = True,
                        backend_args: Optional[Dict] = None) -> None:
        """Assemble meta and message hub here; the strategy adds weights/optimizer/schedulers and writes."""
        meta = self._checked_meta(meta)
        record = self._continuation_record(save_optimizer)  # all ranks (gathered when distributed)
        stamp = dict(cfg=self.cfg_text, experiment_name=self.experiment_name)
        self._fill_checkpoint_meta(meta, by_epoch, stamp, record, save_param_scheduler)
        self.strategy.save_checkpoint(osp.join(out_dir, filename), save_optimizer=save_optimizer,
                                      save_param_scheduler=save_param_scheduler,
                                      extra_ckpt=dict(meta=meta, message_hub=self.message_hub.state_dict()),
                                      callback=self._hook_callback('before_save_checkpoint'))

    def load_checkpoint(self, filename: str, map_location: Any = 'cpu', strict: bool = False,
                        revise_keys: list = [(r'^module.', '')]) -> Dict:  # noqa: B006 (mmengine default)
        """Weights through the strategy (``after_load_checkpoint`` sees the checkpoint first)."""
        checkpoint = self.strategy.load_checkpoint(filename, map_location=map_location, strict=strict,
                                                   revise_keys=revise_keys,
                                                   callback=self._hook_callback('after_load_checkpoint'))
        self._has_loaded = True
        return checkpoint

    def resume(self, filename: str, resume_optimizer: bool = True, resume_param_scheduler: bool = True,
               map_location: Any = 'default') -> None:
        """Weights, optimizer, schedulers, seed, accumulation counters (strategy), then counters and hub."""
        checkpoint = self.strategy.resume(filename, resume_optimizer=resume_optimizer,
                                          resume_param_scheduler=resume_param_scheduler,
                                          map_location=map_location,
                                          callback=self._hook_callback('after_load_checkpoint'))
        self._seed = self.strategy.seed
        meta = checkpoint.get('meta', {})
        if isinstance(self._train_loop, BaseLoop):
            self._train_loop._epoch = meta.get('epoch', 0)
            self._train_loop._iter = meta.get('iter', 0)
            self._check_dataset_meta(meta)
        if 'message_hub' in checkpoint:
            self.message_hub.load_state_dict(checkpoint['message_hub'])
        self._finish_resume(meta, filename)
