"""EpochBasedRunner (and its deprecated alias Runner) with mmcv 1.7.2 counters and hook order."""
import warnings
from typing import Any, Dict, List, Optional, Tuple

import torch

from .base_runner import BaseRunner
from .builder import RUNNERS


@RUNNERS.register_module()
class EpochBasedRunner(BaseRunner):
    """Runs whole epochs per workflow entry; ``('val', n)`` runs n full val epochs.

    Only 'train' entries check ``max_epochs``, so a val epoch still runs after the last train
    epoch, exactly as in mmcv.
    """

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
        for i, data_batch in enumerate(self.data_loader):
            self.data_batch = data_batch
            self._inner_iter = i
            self.call_hook('before_train_iter')
            self.run_iter(data_batch, train_mode=True, **kwargs)
            self.call_hook('after_train_iter')
            del self.data_batch
            self._iter += 1
        self.call_hook('after_train_epoch')
        self._epoch += 1

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
        self.call_hook('before_run')
        while self.epoch < self._max_epochs:
            for i, (mode, epochs) in enumerate(workflow):
                if not isinstance(mode, str):
                    raise TypeError(f'mode in workflow must be a str, but got {type(mode)}')
                if not hasattr(self, mode):
                    raise ValueError(f'runner has no method named "{mode}" to run an epoch')
                epoch_runner = getattr(self, mode)
                for _ in range(epochs):
                    if mode == 'train' and self.epoch >= self._max_epochs:
                        break
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
