"""EpochBasedRunner (and its deprecated alias Runner) with mmcv 1.7.2 counters and hook order."""
import warnings
from typing import Any, Dict, List, Optional, Tuple

import torch

from .. import continuation
from .base_runner import BaseRunner
from .builder import RUNNERS


@RUNNERS.register_module()
class EpochBasedRunner(BaseRunner):
    """Runs whole epochs per workflow entry; ``('val', n)`` runs n full val epochs.

    Only 'train' entries check ``max_epochs``, so a val epoch still runs after the last train
    epoch, exactly as in mmcv.
    """

    loop_kind = 'epoch'

    def run_iter(self, data_batch: Any, train_mode: bool, **kwargs: Any) -> None:
        if self.batch_processor is not None:
            outputs = self.batch_processor(self.model, data_batch, train_mode=train_mode, **kwargs)
        elif train_mode:
            outputs = self.model.train_step(data_batch, self.optimizer, **kwargs)
        else:
            outputs = self.model.val_step(data_batch, self.optimizer, **kwargs)
        self._store_outputs(outputs, '"batch_processor()" or "model.train_step()" '
                                     'and "model.val_step()" must return a dict')

    def train(self, data_loader: Any, **kwargs: Any) -> None:
        self.model.train()
        self.mode = 'train'
        self.data_loader = data_loader
        self._max_iters = self._max_epochs * len(self.data_loader)
        self.call_hook('before_train_epoch')
        batches = self._begin_train_pass(data_loader)
        for i, data_batch in enumerate(batches, start=batches.consumed):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_train_iter')
            self.run_iter(data_batch, train_mode=True, **kwargs)
            self._save_point = 'iter'
            self.call_hook('after_train_iter')
            self._save_point = None
            del self.data_batch
            self._iter += 1
        self._train_pass = None
        self._save_point = 'epoch'
        self.call_hook('after_train_epoch')
        self._save_point = None
        self._epoch += 1

    def _begin_train_pass(self, data_loader: Any) -> continuation.ResumablePass:
        # Re-enters the interrupted epoch after a resume from a mid-epoch checkpoint.
        record = self._continuation if self._continuation and self._continuation['in_epoch'] else None
        batches = continuation.ResumablePass(data_loader, record and record['pass'])
        if record is not None:
            self._continue(self._take_continuation())
        self._train_pass = batches
        return batches

    def _record_position(self) -> Dict[str, Any]:
        entry, done = self._workflow_pos
        if self._save_point == 'iter':  # inside an epoch: the pass is re-entered on resume
            return dict(epoch=self.epoch, iter=self.iter + 1, inner_iter=self.inner_iter + 1,
                        workflow=(entry, done), in_epoch=True, **{'pass': self._train_pass.state_dict()})
        return dict(epoch=self.epoch + 1, iter=self.iter, inner_iter=0, workflow=(entry, done + 1),
                    in_epoch=False)

    @torch.no_grad()
    def val(self, data_loader: Any, **kwargs: Any) -> None:
        # kwargs are accepted but not passed to val_step (mmcv parity).
        self.model.eval()
        self.mode = 'val'
        self.data_loader = data_loader
        self.call_hook('before_val_epoch')
        for i, data_batch in enumerate(self.data_loader):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_val_iter')
            self.run_iter(data_batch, train_mode=False)
            self.call_hook('after_val_iter')
            del self.data_batch
        self.call_hook('after_val_epoch')

    def run(self, data_loaders: List[Any], workflow: List[Tuple[str, int]],
            max_epochs: Optional[int] = None, **kwargs: Any) -> None:
        """Run ``workflow`` (e.g. ``[('train', 2), ('val', 1)]``) until ``max_epochs`` train epochs."""
        self._check_run_args(data_loaders, workflow)
        if max_epochs is not None:
            warnings.warn('setting max_epochs in run is deprecated, '
                          'please set max_epochs in runner_config', DeprecationWarning)
            self._max_epochs = max_epochs
        assert self._max_epochs is not None, 'max_epochs must be specified during instantiation'

        for i, (mode, _) in enumerate(workflow):
            if mode == 'train':
                self._max_iters = self._max_epochs * len(data_loaders[i])
                break

        self._start_run(workflow, 'workflow: %s, max: %d epochs', self._max_epochs)
        self._check_continuation(data_loaders, workflow)
        self.call_hook('before_run')
        start = self._continuation['workflow'] if self._continuation else None
        if self._continuation and not self._continuation['in_epoch']:
            self._continue(self._take_continuation())
        while self.epoch < self._max_epochs:
            for i, (mode, epochs) in enumerate(workflow):
                if not isinstance(mode, str):
                    raise TypeError(f'mode in workflow must be a str, but got {type(mode)}')
                if not hasattr(self, mode):
                    raise ValueError(f'runner has no method named "{mode}" to run an epoch')
                epoch_runner = getattr(self, mode)
                first = 0
                if start is not None:  # continuing: skip to where the checkpoint was taken
                    if i < start[0]:
                        continue
                    first, start = start[1], None
                for done in range(first, epochs):
                    if mode == 'train' and self.epoch >= self._max_epochs:
                        break
                    self._workflow_pos = (i, done)
                    epoch_runner(data_loaders[i], **kwargs)
        self.call_hook('after_run')

    def save_checkpoint(self, out_dir: str, filename_tmpl: str = 'epoch_{}.pth',
                        save_optimizer: bool = True, meta: Optional[Dict] = None,
                        create_symlink: bool = True) -> None:
        """Save ``epoch_{epoch+1}.pth`` with meta ``epoch=epoch+1``, ``iter=iter``."""
        self._save_checkpoint(out_dir, filename_tmpl.format(self.epoch + 1), save_optimizer, meta,
                              create_symlink)


@RUNNERS.register_module()
class Runner(EpochBasedRunner):
    """Deprecated name of EpochBasedRunner."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warnings.warn('Runner was deprecated, please use EpochBasedRunner instead',
                      DeprecationWarning)
        super().__init__(*args, **kwargs)
