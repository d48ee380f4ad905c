"""``mmcv.runner.hooks.hook``: the ``Hook`` base class and ``HOOKS`` live in the core
(``legacy_runner.hook_base``) so that library pieces can subclass them; this keeps mmcv's path."""
from ..hook_base import HOOKS, Hook

__all__ = ['HOOKS', 'Hook']
