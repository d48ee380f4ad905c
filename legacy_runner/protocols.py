"""Typed contracts for the runner surface that hooks and loops read.

Structural types (``typing.Protocol``): no runner inherits them, a runner satisfies them by having
the members. Hooks annotate ``runner`` with one of these instead of ``Any`` so that a type checker
sees which members they rely on; nothing here changes what a runner is or does.

- :class:`RunnerLike`: what both runtimes offer (v1 ``BaseRunner``, v2 ``Runner``/``FlexibleRunner``).
- :class:`V1RunnerLike`: the v1 runner as mmcv 1.x hooks see it (``inner_iter``, ``optimizer``, ...).
- :class:`V2RunnerLike`: the v2 runner as mmengine-style hooks see it (``train_loop``, ``message_hub``).
- :class:`TrainLoopLike`: the public counters of a v2 training loop.

All members are read-only properties here, so a plain attribute satisfies them as well as a property.
``runtime_checkable`` lets tests check a live runner with ``isinstance`` (presence of the members only).
"""
import logging
from typing import Any, List, Optional, Protocol, runtime_checkable


@runtime_checkable
class RunnerLike(Protocol):
    """Members every runner has: position, length, model, output folder, logger, process rank."""

    @property
    def epoch(self) -> int:
        """Completed training epochs."""
        ...

    @property
    def iter(self) -> int:
        """Completed training iterations."""
        ...

    @property
    def max_epochs(self) -> Optional[int]:
        """Planned epochs (None in a v1 run planned by iterations)."""
        ...

    @property
    def max_iters(self) -> Optional[int]:
        """Planned iterations (None in a v1 run planned by epochs, before training starts)."""
        ...

    @property
    def model(self) -> Any:
        """The (possibly wrapped) model."""
        ...

    @property
    def work_dir(self) -> Optional[str]:
        """Where checkpoints and logs go (None only for a v1 runner built without one)."""
        ...

    @property
    def logger(self) -> logging.Logger:
        ...

    @property
    def rank(self) -> int:
        ...

    @property
    def world_size(self) -> int:
        ...


@runtime_checkable
class V1RunnerLike(RunnerLike, Protocol):
    """The mmcv 1.x runner surface (``legacy_runner.runner.BaseRunner`` and its subclasses)."""

    @property
    def inner_iter(self) -> int:
        """Iterations completed in the current epoch."""
        ...

    @property
    def optimizer(self) -> Any:
        """An optimizer, a dict of them (GAN style), or None."""
        ...

    @property
    def meta(self) -> Optional[dict]:
        ...

    @property
    def mode(self) -> Optional[str]:
        """``'train'`` or ``'val'`` while a workflow phase runs."""
        ...

    @property
    def data_loader(self) -> Any:
        """The loader of the running phase (set when a phase starts)."""
        ...

    @property
    def hooks(self) -> List[Any]:
        ...

    # mmcv's Hook.is_last_epoch/is_last_iter read the private lengths, so the contract names them
    @property
    def _max_epochs(self) -> Optional[int]:
        ...

    @property
    def _max_iters(self) -> Optional[int]:
        ...


@runtime_checkable
class TrainLoopLike(Protocol):
    """Public counters of a v2 training loop (``EpochBasedTrainLoop``/``IterBasedTrainLoop``)."""

    @property
    def epoch(self) -> int:
        ...

    @property
    def iter(self) -> int:
        ...

    @property
    def max_epochs(self) -> int:
        ...

    @property
    def max_iters(self) -> int:
        ...


@runtime_checkable
class V2RunnerLike(RunnerLike, Protocol):
    """The mmengine-style runner surface (``compat.v2.Runner`` and ``FlexibleRunner``)."""

    @property
    def train_loop(self) -> Any:
        """The training loop (see :class:`TrainLoopLike`), built on first access."""
        ...

    @property
    def message_hub(self) -> Any:
        ...

    @property
    def timestamp(self) -> str:
        ...


__all__ = ['RunnerLike', 'TrainLoopLike', 'V1RunnerLike', 'V2RunnerLike']
