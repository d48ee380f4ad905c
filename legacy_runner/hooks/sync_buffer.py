"""SyncBuffersHook: average model buffers (e.g. BN running stats) across ranks after each epoch."""
from typing import Any

from ..dist import allreduce_params
from .hook import HOOKS, Hook


@HOOKS.register_module()
class SyncBuffersHook(Hook):
    """All-reduce (average) ``runner.model.buffers()`` after every epoch when ``distributed``."""

    def __init__(self, distributed: bool = True) -> None:
        self.distributed = distributed

    def after_epoch(self, runner: Any) -> None:
        if self.distributed:
            allreduce_params(runner.model.buffers())
