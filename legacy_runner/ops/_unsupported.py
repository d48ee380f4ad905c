"""Stand-ins for the mmcv.ops names that only exist as compiled kernels (rotated boxes, point
clouds, sparse convolution, ...). They import like mmcv's, so configs and ``from mmcv.ops import X``
keep working, and raise one NotImplementedError naming the op when called or constructed."""
from typing import Any, Callable, NoReturn

import torch.nn as nn


def _message(name: str) -> str:
    return (f'mmcv.ops.{name} is not available: it needs a compiled mmcv-full kernel and '
            'legacy_runner.ops is pure PyTorch (see MIGRATION.md, "mmcv.ops")')


def unsupported_function(name: str) -> Callable[..., NoReturn]:
    """A function called ``name`` that raises NotImplementedError when called."""
    def op(*args: Any, **kwargs: Any) -> NoReturn:
        raise NotImplementedError(_message(name))
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f'Not implemented here: {_message(name)}.'
    return op


def unsupported_class(name: str, base: type = nn.Module) -> type:
    """A class called ``name`` whose construction raises NotImplementedError."""
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(_message(name))
    return type(name, (base,), {'__init__': __init__,
                                '__doc__': f'Not implemented here: {_message(name)}.'})
