"""Test-only hooks, loaded into training subprocesses through ``custom_imports``.

- ``KillAtIter``: the process kills itself with SIGKILL (no cleanup, like an OOM kill or a lost
  node) right after training iteration ``at`` (1-based count of finished iterations);
  ``signum=SIGTERM`` instead sends the polite signal a cluster sends before preemption;
  ``rank=r`` limits it to the process of that distributed rank (the others carry on).
- ``KillDuringSave``: the next checkpoint write dies half-way through (SIGKILL from inside
  ``torch.save`` after part of the file is written).
- ``DumpWeights``: writes the final weights of the unwrapped model to ``path`` after training.

Each exists for the legacy runtime (``V1*``) and the v2 runtime (``V2*``).
"""
import os
import signal
from typing import Any, Optional

import torch

from compat.v2.hooks.hook import Hook as V2Hook
from compat.v2.registry import HOOKS as V2_HOOKS
from legacy_runner.dist import get_dist_info
from legacy_runner.hooks import HOOKS as V1_HOOKS
from legacy_runner.hooks import Hook as V1Hook


def _die_after(finished: int, at: int, signum: int, rank: Optional[int] = None) -> None:
    if finished == at and (rank is None or get_dist_info()[0] == rank):
        os.kill(os.getpid(), signum)


def _arm_torch_save() -> None:
    real_save = torch.save

    def torn_save(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        real_save(obj, f, *args, **kwargs)
        if hasattr(f, 'flush'):  # cut the file in half, then die before the rename
            f.flush()
            size = f.tell()
            f.truncate(size // 2)
            f.flush()
        os.kill(os.getpid(), signal.SIGKILL)

    torch.save = torn_save


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if hasattr(model, 'module') else model


def _dump(model: torch.nn.Module, path: str) -> None:
    state = {k: v.detach().clone() for k, v in _unwrap(model).state_dict().items()}
    torch.save(state, path)


@V1_HOOKS.register_module()
class V1KillAtIter(V1Hook):
    def __init__(self, at: int, signum: int = int(signal.SIGKILL), rank: Optional[int] = None) -> None:
        self.at, self.signum, self.rank = at, signum, rank

    def after_train_iter(self, runner: Any) -> None:
        _die_after(runner.iter + 1, self.at, self.signum, self.rank)


@V1_HOOKS.register_module()
class V1KillDuringSave(V1Hook):
    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner: Any) -> None:
        if runner.iter + 1 == self.at:
            _arm_torch_save()


@V1_HOOKS.register_module()
class V1DumpWeights(V1Hook):
    def __init__(self, path: str) -> None:
        self.path = path

    def after_run(self, runner: Any) -> None:
        _dump(runner.model, self.path)


@V2_HOOKS.register_module()
class V2KillAtIter(V2Hook):
    def __init__(self, at: int, signum: int = int(signal.SIGKILL), rank: Optional[int] = None) -> None:
        self.at, self.signum, self.rank = at, signum, rank

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None,
                         outputs: Any = None) -> None:
        _die_after(runner.iter + 1, self.at, self.signum, self.rank)


@V2_HOOKS.register_module()
class V2KillDuringSave(V2Hook):
    def __init__(self, at: int) -> None:
        self.at = at

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: Any = None) -> None:
        if runner.iter + 1 == self.at:
            _arm_torch_save()


@V2_HOOKS.register_module()
class V2DumpWeights(V2Hook):
    def __init__(self, path: str) -> None:
        self.path = path

    def after_train(self, runner: Any) -> None:
        _dump(runner.model, self.path)
