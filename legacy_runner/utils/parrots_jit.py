"""``mmcv.utils.parrots_jit``: the parrots JIT decorators, which are no-ops on PyTorch."""
import os
from typing import Any, Callable, Optional

parrots_jit_option = os.getenv('PARROTS_JIT_OPTION')


def jit(func: Optional[Callable] = None, check_input: Any = None, full_shape: bool = True,
        derivate: bool = False, coderize: bool = False, optimize: bool = False) -> Callable:
    """``@jit`` / ``@jit(...)``: leaves the function as it is (parrots compiled it)."""

    def wrapper(fn: Callable) -> Callable:
        def wrapper_inner(*args: Any, **kwargs: Any) -> Any:
            return fn(*args, **kwargs)
        return wrapper_inner

    return wrapper if func is None else func


def skip_no_elena(func: Callable) -> Callable:
    """A test decorator that skipped tests without parrots' elena; runs them on PyTorch."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


__all__ = ['jit', 'parrots_jit_option', 'skip_no_elena']
