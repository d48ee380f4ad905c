"""CheckpointHook (mmcv 1.7.2): periodic checkpoints, ``hook_msgs.last_ckpt``, max_keep_ckpts.

Only the local disk is supported as storage ('HardDiskBackend' in messages, as mmcv names it);
other ``file_client_args`` backends raise a ValueError at construction.
"""
import os
import os.path as osp
import re
from typing import Any, Dict, Optional

from ..dist import allreduce_params, master_only
from .hook import HOOKS, Hook

_BACKEND_NAME = 'HardDiskBackend'


def _check_local(file_client_args: Optional[Dict], path: Optional[str]) -> None:
    backend = (file_client_args or {}).get('backend', 'disk')
    if backend not in ('disk', _BACKEND_NAME) or (path and re.match(r'[a-zA-Z0-9+.-]+://', path)):
        raise ValueError(f'only local-disk storage is supported, got backend {backend!r} '
                         f'and path {path!r}')


def resolve_out_dir(out_dir: Optional[str], work_dir: str) -> str:
    """mmcv's rule: default to work_dir; a different root gets work_dir's basename appended."""
    if not out_dir:
        return work_dir
    if out_dir != work_dir:
        return osp.join(out_dir, osp.basename(work_dir.rstrip(osp.sep)))
    return out_dir


@HOOKS.register_module()
class CheckpointHook(Hook):
    """Save a checkpoint every ``interval`` epochs (``by_epoch``) or iterations.

    Args:
        interval: period; -1 saves only at the end when ``save_last``.
        by_epoch: count epochs (after_train_epoch) or iterations (after_train_iter).
        save_optimizer: include the optimizer state.
        out_dir: target root; defaults to ``runner.work_dir``. Another root gets the work dir's
            basename appended.
        max_keep_ckpts: keep only this many recent files (walking back by ``interval`` and
            stopping at the first missing file); <= 0 keeps all.
        save_last: always save the last epoch/iteration.
        sync_buffer: all-reduce model buffers before saving.
        file_client_args: only None or a 'disk' backend.
        **kwargs: forwarded to ``runner.save_checkpoint`` (``meta``, ``filename_tmpl``,
            ``create_symlink``).
    """

    def __init__(self, interval: int = -1, by_epoch: bool = True, save_optimizer: bool = True,
                 out_dir: Optional[str] = None, max_keep_ckpts: int = -1, save_last: bool = True,
                 sync_buffer: bool = False, file_client_args: Optional[Dict] = None,
                 **kwargs: Any) -> None:
        self.interval = interval
        self.by_epoch = by_epoch
        self.save_optimizer = save_optimizer
        self.out_dir = out_dir
        self.max_keep_ckpts = max_keep_ckpts
        self.save_last = save_last
        self.args = kwargs
        self.sync_buffer = sync_buffer
        _check_local(file_client_args, out_dir)
        self.file_client_args = file_client_args

    def before_run(self, runner: Any) -> None:
        self.out_dir = resolve_out_dir(self.out_dir, runner.work_dir)
        runner.logger.info('Checkpoints will be saved to %s by %s.', self.out_dir, _BACKEND_NAME)
        # The local disk allows symlinks, so an explicit create_symlink is kept as given.
        self.args.setdefault('create_symlink', True)

    def after_train_epoch(self, runner: Any) -> None:
        if not self.by_epoch:
            return
        if self.every_n_epochs(runner, self.interval) or (self.save_last and self.is_last_epoch(runner)):
            runner.logger.info('Saving checkpoint at %d epochs', runner.epoch + 1)
            self._sync_and_save(runner)

    def after_train_iter(self, runner: Any) -> None:
        if self.by_epoch:
            return
        if self.every_n_iters(runner, self.interval) or (self.save_last and self.is_last_iter(runner)):
            runner.logger.info('Saving checkpoint at %d iterations', runner.iter + 1)
            self._sync_and_save(runner)

    def _sync_and_save(self, runner: Any) -> None:
        if self.sync_buffer:
            allreduce_params(runner.model.buffers())
        gather = getattr(runner, 'gather_continuation', None)  # every rank's RNG for the record
        if gather is not None:
            gather()
        self._save_checkpoint(runner)

    @master_only
    def _save_checkpoint(self, runner: Any) -> None:
        runner.save_checkpoint(self.out_dir, save_optimizer=self.save_optimizer, **self.args)
        if self.by_epoch:
            default_tmpl, current = 'epoch_{}.pth', runner.epoch + 1
        else:
            default_tmpl, current = 'iter_{}.pth', runner.iter + 1
        filename_tmpl = self.args.get('filename_tmpl', default_tmpl)
        # Set after saving, so each file's own hook_msgs.last_ckpt names the previous file.
        if runner.meta is not None:
            runner.meta.setdefault('hook_msgs', dict())
            runner.meta['hook_msgs']['last_ckpt'] = osp.join(self.out_dir, filename_tmpl.format(current))
        if self.max_keep_ckpts > 0:
            for step in range(current - self.max_keep_ckpts * self.interval, 0, -self.interval):
                path = osp.join(self.out_dir, filename_tmpl.format(step))
                if not osp.isfile(path):
                    break
                os.remove(path)

