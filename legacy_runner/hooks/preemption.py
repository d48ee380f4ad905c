"""PreemptionHook: on SIGTERM/SIGINT, save a checkpoint at the next train iteration boundary and
stop with :class:`legacy_runner.preemption.Preempted` (the command line reports it on one line).

Not an mmcv hook (so not in ``HOOKS``, which holds exactly mmcv's): the ``train`` command
registers it at the lowest priority, so the checkpoint is taken after every other
``after_train_iter`` hook has run, and ``--auto-resume`` continues from the next iteration.
"""
import os.path as osp
from typing import Any

import torch.distributed as dist

from ..preemption import Preempted, PreemptionSignal
from .hook import Hook


class PreemptionHook(Hook):
    """Installs the signal handlers for the duration of ``runner.run`` (see :meth:`uninstall`)."""

    def __init__(self) -> None:
        self.signal = PreemptionSignal()

    def before_run(self, runner: Any) -> None:
        self.signal.install()

    def after_run(self, runner: Any) -> None:
        self.signal.uninstall()

    def uninstall(self) -> None:
        """For the caller of ``runner.run`` when it ends with an exception."""
        self.signal.uninstall()

    def after_val_iter(self, runner: Any) -> None:
        # a ('val', n) workflow phase can be long: stop there too; the last checkpoint (taken at
        # the end of a train epoch at the latest) is where --auto-resume continues
        signum = self.signal.agreed()
        if signum:
            self.signal.stopped(runner.world_size)
            raise Preempted(signum, None, runner.iter)

    def after_train_iter(self, runner: Any) -> None:
        signum = self.signal.agreed()
        if not signum:
            return
        done = runner.iter + 1
        path = None
        if runner.work_dir is not None:
            # iteration-named even in an epoch runner: the file holds a partial epoch
            name = f'iter_{done}.pth'
            # every rank's RNG part into the record (a collective, as in the CheckpointHook):
            # without it each rank would resume from rank 0's streams (inexact with --diff-seed)
            gather = getattr(runner, 'gather_continuation', None)
            if gather is not None:
                gather()
            if runner.rank == 0:
                runner._save_checkpoint(runner.work_dir, name, True, None, True)
            path = osp.join(runner.work_dir, name)
        if dist.is_available() and dist.is_initialized():
            dist.barrier()  # every rank leaves together, after rank 0 has written the file
        self.signal.stopped(runner.world_size)
        raise Preempted(signum, path, done)
