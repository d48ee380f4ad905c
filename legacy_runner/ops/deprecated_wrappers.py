"""Old ``mmcv.ops`` homes of the empty-tensor-safe wrappers; they warn and are the
``mmcv.cnn.bricks.wrappers`` classes otherwise."""
import warnings
from typing import Any

from ..cnn.bricks.wrappers import Conv2d, ConvTranspose2d, Linear, MaxPool2d


def _warn(name: str) -> None:
    warnings.warn(f'Importing {name} wrapper from "mmcv.ops" will be deprecated in the future. '
                  'Please import them from "mmcv.cnn" instead')


class Conv2d_deprecated(Conv2d):  # noqa: N801  (mmcv's name)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _warn('Conv2d')


class ConvTranspose2d_deprecated(ConvTranspose2d):  # noqa: N801

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _warn('ConvTranspose2d')


class MaxPool2d_deprecated(MaxPool2d):  # noqa: N801

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _warn('MaxPool2d')


class Linear_deprecated(Linear):  # noqa: N801

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _warn('Linear')


__all__ = ['Conv2d_deprecated', 'ConvTranspose2d_deprecated', 'Linear_deprecated', 'MaxPool2d_deprecated']
