"""A minimal stand-in for the v1 runners, for hook unit tests (no real runner needed)."""
import logging
from typing import Any, List, Optional

from legacy_runner.runner.log_buffer import LogBuffer


class FakeRunner:
    """Just the attributes hooks read: model, optimizer, outputs, log_buffer, counters, meta..."""

    def __init__(self, model: Any = None, optimizer: Any = None, max_iters: Optional[int] = None,
                 max_epochs: Optional[int] = None, meta: Optional[dict] = None, data_loader: Any = None,
                 logger: Optional[logging.Logger] = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.outputs: Any = None
        self.log_buffer = LogBuffer()
        self.meta = {} if meta is None else meta
        self.data_loader = data_loader
        self.logger = logger or logging.getLogger('fake_runner')
        self.mode = 'train'
        self.work_dir = None
        self._iter = 0
        self._epoch = 0
        self._inner_iter = 0
        self._max_iters = max_iters
        self._max_epochs = max_epochs
        self.resumed: List[Any] = []

    iter = property(lambda self: self._iter)
    epoch = property(lambda self: self._epoch)
    inner_iter = property(lambda self: self._inner_iter)
    max_iters = property(lambda self: self._max_iters)
    max_epochs = property(lambda self: self._max_epochs)

    def resume(self, checkpoint: Any) -> None:
        self.resumed.append(checkpoint)

    def call_hook(self, hooks: List[Any], stage: str) -> None:
        for hook in hooks:
            getattr(hook, stage)(self)

    def train_iters(self, hooks: List[Any], batches: List[Any], start: int = 0) -> None:
        """before_run, then one train_step + after_train_iter per batch (iter counts from start)."""
        self.call_hook(hooks, 'before_run')
        for i, batch in enumerate(batches, start):
            self._iter = self._inner_iter = i
            self.outputs = self.model.train_step(batch, self.optimizer)
            self.call_hook(hooks, 'after_train_iter')
