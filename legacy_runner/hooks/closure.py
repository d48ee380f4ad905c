"""ClosureHook: run an arbitrary ``fn(runner)`` at one stage."""
from typing import Any, Callable

from .hook import HOOKS, Hook


@HOOKS.register_module()
class ClosureHook(Hook):
    """Replace the stage method ``fn_name`` of this instance with ``fn``.

    ``fn`` is set on the instance, so ``get_triggered_stages()`` reports no stage (as in mmcv).
    """

    def __init__(self, fn_name: str, fn: Callable[[Any], None]) -> None:
        assert hasattr(self, fn_name)
        assert callable(fn)
        setattr(self, fn_name, fn)
