"""IterBasedRunner with mmcv 1.7.2 counters, including its quirks (each one is named where it happens).

Kept on purpose: ``epoch`` is read from the IterLoader before ``next()`` (it lags one iteration
at a roll-over); checkpoint meta ``iter`` is the 0-based index of the finished iteration while
the file is named ``iter_{iter+1}``; val calls ``val_step(batch, **kwargs)`` without the
optimizer and has no epoch hooks.

Changed on purpose: ``resume(map_location='default')`` works without CUDA, and resume merges the
checkpoint's ``hook_msgs`` into ``runner.meta`` (mmcv drops them, so e.g. EvalHook's best score
and best checkpoint path are forgotten after resuming).
"""
import warnings
from typing import Any, Dict, List, Optional, Tuple, Union

import torch

from ..hooks.iter_timer import IterTimerHook
from .base_runner import BaseRunner, HookCfg
from .builder import RUNNERS
from .iter_loader import IterLoader


@RUNNERS.register_module()
class IterBasedRunner(BaseRunner):
    """Runs ``iters`` iterations per workflow entry until ``max_iters`` train iterations."""

    loop_kind = 'iter'

    _iter_loaders: List[IterLoader] = []  # those of the running workflow (replaced, never mutated)

    def train(self, data_loader: IterLoader, **kwargs: Any) -> None:
        self.model.train()
        self.mode = 'train'
        self.data_loader = data_loader
        self._epoch = data_loader.epoch
        data_batch = next(data_loader)
        self.data_batch = data_batch
        self.call_hook('before_train_iter')
        outputs = self.model.train_step(data_batch, self.optimizer, **kwargs)
        self._store_outputs(outputs, 'model.train_step() must return a dict')
        self._save_point = 'iter'
        self.call_hook('after_train_iter')
        self._save_point = None
        del self.data_batch
        self._inner_iter += 1
        self._iter += 1

    @torch.no_grad()
    def val(self, data_loader: IterLoader, **kwargs: Any) -> None:
        self.model.eval()
        self.mode = 'val'
        self.data_loader = data_loader
        data_batch = next(data_loader)
        self.data_batch = data_batch
        self.call_hook('before_val_iter')
        outputs = self.model.val_step(data_batch, **kwargs)
        self._store_outputs(outputs, 'model.val_step() must return a dict')
        self.call_hook('after_val_iter')
        del self.data_batch
        self._inner_iter += 1

    def run(self, data_loaders: List[Any], workflow: List[Tuple[str, int]],
            max_iters: Optional[int] = None, **kwargs: Any) -> None:
        """Run ``workflow`` (e.g. ``[('train', 1000), ('val', 100)]``) until ``max_iters``."""
        self._check_run_args(data_loaders, workflow)
        if max_iters is not None:
            warnings.warn('setting max_iters in run is deprecated, '
                          'please set max_iters in runner_config', DeprecationWarning)
            self._max_iters = max_iters
        assert self._max_iters is not None, 'max_iters must be specified during instantiation'

        self._start_run(workflow, 'workflow: %s, max: %d iters', self._max_iters)
        self._check_continuation(data_loaders, workflow)
        self.call_hook('before_run')
        record = self._take_continuation()
        loader_states = record['loaders'] if record else [None] * len(data_loaders)
        self._iter_loaders = [IterLoader(x, state) for x, state in zip(data_loaders, loader_states)]
        # The generic epoch hooks fire exactly once around the whole run.
        self.call_hook('before_epoch')
        start = None
        if record is not None:  # continuing: skip to where the checkpoint was taken
            self._continue(record)
            start = record['workflow']
        while self.iter < self._max_iters:
            for i, (mode, iters) in enumerate(workflow):
                self._inner_iter = 0
                if not isinstance(mode, str) or not hasattr(self, mode):
                    raise ValueError(f'runner has no method named "{mode}" to run a workflow')
                iter_runner = getattr(self, mode)
                first = 0
                if start is not None:
                    if i < start[0]:
                        continue
                    first, start = start[1], None
                    self._inner_iter = first
                for done in range(first, iters):
                    if mode == 'train' and self.iter >= self._max_iters:
                        break
                    self._workflow_pos = (i, done)
                    iter_runner(self._iter_loaders[i], **kwargs)
        self._iter_loaders = []
        self.call_hook('after_epoch')
        self.call_hook('after_run')

    def resume(self, checkpoint: str, resume_optimizer: bool = True,
               map_location: Any = 'default') -> None:
        """Restore epoch, iter (also as inner_iter), hook_msgs and the optimizer state; a
        continuation record (see BaseRunner.resume) makes the run continue exactly."""
        checkpoint_path = checkpoint
        checkpoint = self._load_for_resume(checkpoint, map_location)
        ckpt_meta = checkpoint['meta']
        self._epoch = ckpt_meta['epoch']
        self._iter = ckpt_meta['iter']
        self._inner_iter = ckpt_meta['iter']
        if ckpt_meta.get('hook_msgs'):
            if self.meta is None:
                self.meta = {}
            self.meta.setdefault('hook_msgs', {}).update(ckpt_meta['hook_msgs'])
        self._resume_optimizer(checkpoint, resume_optimizer)
        self._load_continuation(ckpt_meta, str(checkpoint_path))
        self.logger.info('resumed from epoch: %d, iter %d', self.epoch, self.iter)

    def _record_position(self) -> Dict[str, Any]:
        entry, done = self._workflow_pos
        return dict(epoch=self.epoch, iter=self.iter + 1, inner_iter=self.inner_iter + 1,
                    workflow=(entry, done + 1),
                    loaders=[loader.state_dict() for loader in self._iter_loaders])

    def save_checkpoint(self, out_dir: str, filename_tmpl: str = 'iter_{}.pth',  # type: ignore[override]
                        meta: Optional[Dict] = None, save_optimizer: bool = True,
                        create_symlink: bool = True) -> None:
        """Save ``iter_{iter+1}.pth``; note ``meta`` comes before ``save_optimizer`` here."""
        self._save_checkpoint(out_dir, filename_tmpl.format(self.iter + 1), save_optimizer, meta,
                              create_symlink)

    def register_training_hooks(self, lr_config: HookCfg, optimizer_config: HookCfg = None,  # type: ignore[override]
                                checkpoint_config: HookCfg = None, log_config: Optional[Dict] = None,
                                momentum_config: HookCfg = None,
                                custom_hooks_config: Union[None, Dict, List] = None) -> None:
        """Like BaseRunner's, with ``by_epoch=False`` defaults and always ``IterTimerHook()``.

        A Hook instance as lr_config or checkpoint_config raises AttributeError (mmcv parity).
        """
        if checkpoint_config is not None:
            checkpoint_config.setdefault('by_epoch', False)
        if lr_config is not None:
            lr_config.setdefault('by_epoch', False)
        if log_config is not None:
            for info in log_config['hooks']:
                info.setdefault('by_epoch', False)
        super().register_training_hooks(
            lr_config=lr_config, momentum_config=momentum_config, optimizer_config=optimizer_config,
            checkpoint_config=checkpoint_config, log_config=log_config, timer_config=IterTimerHook(),
            custom_hooks_config=custom_hooks_config)
