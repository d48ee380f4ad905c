"""PreemptionHook: SIGTERM/SIGINT -> a checkpoint at the next iteration boundary, then a clean stop.

Registered by :func:`compat.v2.api.train_from_cfg` (the command line), not a default hook: a
library user keeps Python's own signal handling. Runs last in ``after_train_iter`` (after the
CheckpointHook and the logger), so the file it writes holds the finished iteration and a
continuation record (:mod:`legacy_runner.continuation`); ``--auto-resume`` continues from it.
"""
import os.path as osp
from typing import Any, Optional

import torch

from legacy_runner.continuation import Preempted, PreemptionSignal
from legacy_runner.dist import get_dist_info

from ..registry import HOOKS
from .checkpoint_hook import CheckpointHook, write_last_checkpoint
from .hook import DATA_BATCH, Hook


@HOOKS.register_module()
class PreemptionHook(Hook):
    """Install :class:`PreemptionSignal` for the training loop; when any rank got a signal, save
    ``iter_N.pth`` (named as a by-iteration CheckpointHook would), point ``last_checkpoint`` at it
    and raise :class:`Preempted` on every rank (rank 0 writes)."""

    priority = 'LOWEST'

    def __init__(self) -> None:
        self.signal = PreemptionSignal()

    def before_train(self, runner: Any) -> None:
        self.signal.install()

    def after_train(self, runner: Any) -> None:
        self.signal.uninstall()

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        signum = self.signal.agreed()
        if not signum:
            return
        path = self._save(runner)
        self.signal.stopped(get_dist_info()[1])
        raise Preempted(signum, path, runner.iter + 1)

    @staticmethod
    def _save(runner: Any) -> str:
        ckpt_hook = next((h for h in runner.hooks if isinstance(h, CheckpointHook)), None)
        out_dir = getattr(ckpt_hook, 'out_dir', None) or runner.work_dir
        step = runner.iter + 1
        by_iter_tmpl = ckpt_hook is not None and not ckpt_hook.by_epoch
        name = ckpt_hook.filename_tmpl.format(step) if by_iter_tmpl else f'iter_{step}.pth'
        path = osp.join(out_dir, name)
        if by_iter_tmpl and ckpt_hook.last_ckpt == path:
            # the CheckpointHook saved this very iteration a moment ago. Decided from state every
            # rank shares, not from the file system: a rank that does not see rank 0's file yet
            # (another node, NFS caching) would enter save_checkpoint's gather alone and hang
            return path
        runner.logger.info(f'Saving checkpoint at {step} iterations (preempted)')
        runner.message_hub.update_info('last_ckpt', path)
        runner.save_checkpoint(out_dir, name, meta=dict(epoch=runner.epoch, iter=step), by_epoch=False)
        rank, world_size = get_dist_info()
        if rank == 0:
            write_last_checkpoint(runner.work_dir, path)
        if world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.barrier()
        return path
