"""EmptyCacheHook: release cached CUDA memory at chosen stages (a no-op without CUDA)."""
from typing import Any

import torch

from .hook import HOOKS, Hook


def _empty_cache() -> None:
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


@HOOKS.register_module()
class EmptyCacheHook(Hook):
    """Call ``torch.cuda.empty_cache()`` before epochs, after epochs and/or after iterations."""

    def __init__(self, before_epoch: bool = False, after_epoch: bool = True,
                 after_iter: bool = False) -> None:
        self._before_epoch = before_epoch
        self._after_epoch = after_epoch
        self._after_iter = after_iter

    def after_iter(self, runner: Any) -> None:
        if self._after_iter:
            _empty_cache()

    def before_epoch(self, runner: Any) -> None:
        if self._before_epoch:
            _empty_cache()

    def after_epoch(self, runner: Any) -> None:
        if self._after_epoch:
            _empty_cache()
