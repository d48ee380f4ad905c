"""The v1 ``Hook`` base class, its stage mapping and the ``HOOKS`` registry.

Core, not v1 runtime: library pieces define v1 hooks against it (mmcv puts ``RFSearchHook`` in
``mmcv.cnn``) without loading the runner and its hooks. ``legacy_runner.hooks.hook`` re-exports it.
"""
from typing import List

from .protocols import V1RunnerLike
from .registry import Registry
from .utils.priority import triggered_stages

HOOKS = Registry('hook')

# the generic methods and the mode-specific stages that forward to them
GENERIC_STAGES = {
    'before_epoch': ('before_train_epoch', 'before_val_epoch'),
    'after_epoch': ('after_train_epoch', 'after_val_epoch'),
    'before_iter': ('before_train_iter', 'before_val_iter'),
    'after_iter': ('after_train_iter', 'after_val_iter'),
}


class Hook:
    """Base class of mmcv 1.x hooks; every stage is a no-op by default.

    The train/val epoch and iter stages forward to ``before_epoch``/``after_epoch``/
    ``before_iter``/``after_iter`` so a subclass can handle both modes in one method.
    """

    stages = ('before_run', 'before_train_epoch', 'before_train_iter', 'after_train_iter',
              'after_train_epoch', 'before_val_epoch', 'before_val_iter', 'after_val_iter',
              'after_val_epoch', 'after_run')

    def before_run(self, runner: V1RunnerLike) -> None:
        pass

    def after_run(self, runner: V1RunnerLike) -> None:
        pass

    def before_epoch(self, runner: V1RunnerLike) -> None:
        pass

    def after_epoch(self, runner: V1RunnerLike) -> None:
        pass

    def before_iter(self, runner: V1RunnerLike) -> None:
        pass

    def after_iter(self, runner: V1RunnerLike) -> None:
        pass

    def before_train_epoch(self, runner: V1RunnerLike) -> None:
        self.before_epoch(runner)

    def before_val_epoch(self, runner: V1RunnerLike) -> None:
        self.before_epoch(runner)

    def after_train_epoch(self, runner: V1RunnerLike) -> None:
        self.after_epoch(runner)

    def after_val_epoch(self, runner: V1RunnerLike) -> None:
        self.after_epoch(runner)

    def before_train_iter(self, runner: V1RunnerLike) -> None:
        self.before_iter(runner)

    def before_val_iter(self, runner: V1RunnerLike) -> None:
        self.before_iter(runner)

    def after_train_iter(self, runner: V1RunnerLike) -> None:
        self.after_iter(runner)

    def after_val_iter(self, runner: V1RunnerLike) -> None:
        self.after_iter(runner)

    def every_n_epochs(self, runner: V1RunnerLike, n: int) -> bool:
        return (runner.epoch + 1) % n == 0 if n > 0 else False

    def every_n_inner_iters(self, runner: V1RunnerLike, n: int) -> bool:
        return (runner.inner_iter + 1) % n == 0 if n > 0 else False

    def every_n_iters(self, runner: V1RunnerLike, n: int) -> bool:
        return (runner.iter + 1) % n == 0 if n > 0 else False

    def end_of_epoch(self, runner: V1RunnerLike) -> bool:
        return runner.inner_iter + 1 == len(runner.data_loader)

    def is_last_epoch(self, runner: V1RunnerLike) -> bool:
        return runner.epoch + 1 == runner._max_epochs

    def is_last_iter(self, runner: V1RunnerLike) -> bool:
        return runner.iter + 1 == runner._max_iters

    def get_triggered_stages(self) -> List[str]:
        """Stages this hook's class overrides, in ``Hook.stages`` order (a generic method such as
        ``before_epoch`` covers the mode-specific stages that forward to it)."""
        return triggered_stages(self, Hook, Hook.stages, GENERIC_STAGES)
