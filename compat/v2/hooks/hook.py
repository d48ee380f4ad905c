"""mmengine's ``Hook`` base: stage methods with mmengine's signatures, and the trigger helpers.

The epoch/iter stages of the three modes forward to ``_before_epoch``/``_after_epoch``/
``_before_iter``/``_after_iter(..., mode)`` so one override can serve train, val and test.
"""
from typing import Any, Dict, Optional, Sequence

from legacy_runner.utils.priority import triggered_stages

DATA_BATCH = Optional[Any]

STAGES = ('before_run', 'after_load_checkpoint', 'before_train', 'before_train_epoch', 'before_train_iter',
          'after_train_iter', 'after_train_epoch', 'before_val', 'before_val_epoch', 'before_val_iter',
          'after_val_iter', 'after_val_epoch', 'after_val', 'before_save_checkpoint', 'after_train',
          'before_test', 'before_test_epoch', 'before_test_iter', 'after_test_iter', 'after_test_epoch',
          'after_test', 'after_run')

# the mode-generic helpers and the stages they serve
_GENERIC = {
    '_before_epoch': ('before_train_epoch', 'before_val_epoch', 'before_test_epoch'),
    '_after_epoch': ('after_train_epoch', 'after_val_epoch', 'after_test_epoch'),
    '_before_iter': ('before_train_iter', 'before_val_iter', 'before_test_iter'),
    '_after_iter': ('after_train_iter', 'after_val_iter', 'after_test_iter'),
}


class Hook:
    """Base class of v2 hooks; every stage is a no-op. ``priority`` defaults to 'NORMAL'."""

    priority: Any = 'NORMAL'
    stages = STAGES

    def before_run(self, runner: Any) -> None:
        pass

    def after_run(self, runner: Any) -> None:
        pass

    def before_train(self, runner: Any) -> None:
        pass

    def after_train(self, runner: Any) -> None:
        pass

    def before_val(self, runner: Any) -> None:
        pass

    def after_val(self, runner: Any) -> None:
        pass

    def before_test(self, runner: Any) -> None:
        pass

    def after_test(self, runner: Any) -> None:
        pass

    def before_save_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        pass

    def after_load_checkpoint(self, runner: Any, checkpoint: dict) -> None:
        pass

    def before_train_epoch(self, runner: Any) -> None:
        self._before_epoch(runner, mode='train')

    def before_val_epoch(self, runner: Any) -> None:
        self._before_epoch(runner, mode='val')

    def before_test_epoch(self, runner: Any) -> None:
        self._before_epoch(runner, mode='test')

    def after_train_epoch(self, runner: Any) -> None:
        self._after_epoch(runner, mode='train')

    def after_val_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._after_epoch(runner, mode='val')

    def after_test_epoch(self, runner: Any, metrics: Optional[Dict[str, float]] = None) -> None:
        self._after_epoch(runner, mode='test')

    def before_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='train')

    def before_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='val')

    def before_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None) -> None:
        self._before_iter(runner, batch_idx=batch_idx, data_batch=data_batch, mode='test')

    def after_train_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                         outputs: Optional[dict] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode='train')

    def after_val_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                       outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode='val')

    def after_test_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                        outputs: Optional[Sequence] = None) -> None:
        self._after_iter(runner, batch_idx=batch_idx, data_batch=data_batch, outputs=outputs, mode='test')

    def _before_epoch(self, runner: Any, mode: str = 'train') -> None:
        pass

    def _after_epoch(self, runner: Any, mode: str = 'train') -> None:
        pass

    def _before_iter(self,
                     runner: Any,
                     batch_idx: int,
                     data_batch: DATA_BATCH = None,
                     mode: str = 'train') -> None:
        pass

    def _after_iter(self, runner: Any, batch_idx: int, data_batch: DATA_BATCH = None,
                    outputs: Optional[Any] = None, mode: str = 'train') -> None:
        pass

    # -- trigger helpers ---------------------------------------------------------------------
    def every_n_epochs(self, runner: Any, n: int, start: int = 0) -> bool:
        dividend = runner.epoch + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def every_n_inner_iters(self, batch_idx: int, n: int) -> bool:
        return (batch_idx + 1) % n == 0 if n > 0 else False

    def every_n_train_iters(self, runner: Any, n: int, start: int = 0) -> bool:
        dividend = runner.iter + 1 - start
        return dividend % n == 0 if dividend >= 0 and n > 0 else False

    def end_of_epoch(self, dataloader: Any, batch_idx: int) -> bool:
        return batch_idx + 1 == len(dataloader)

    def is_last_train_epoch(self, runner: Any) -> bool:
        return runner.epoch + 1 == runner.max_epochs

    def is_last_train_iter(self, runner: Any) -> bool:
        return runner.iter + 1 == runner.max_iters

    def get_triggered_stages(self) -> list:
        """Stages this hook's class overrides (a generic ``_x`` override counts for its 3 stages)."""
        return triggered_stages(self, Hook, STAGES, _GENERIC)
