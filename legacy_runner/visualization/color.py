"""Named BGR colours and ``color_val`` (mmcv 1.x ``mmcv.visualization.color``)."""
from enum import Enum
from typing import Union

import numpy as np

from ..utils import is_str


class Color(Enum):
    """Named colours as BGR tuples (OpenCV's channel order)."""
    red = (0, 0, 255)
    green = (0, 255, 0)
    blue = (255, 0, 0)
    cyan = (255, 255, 0)
    yellow = (0, 255, 255)
    magenta = (255, 0, 255)
    white = (255, 255, 255)
    black = (0, 0, 0)


def color_val(color: Union[Color, str, tuple, int, np.ndarray]) -> tuple:
    """A BGR tuple from a Color, a colour name, a 3-tuple, a grey level or a 3-element array.

    Args:
        color (Color | str | tuple | int | ndarray): The colour; values must be in [0, 255].

    Returns:
        tuple[int]: The BGR colour.
    """
    if is_str(color):
        return Color[color].value  # type: ignore[misc]
    elif isinstance(color, Color):
        return color.value
    elif isinstance(color, tuple):
        assert len(color) == 3
        for channel in color:
            assert 0 <= channel <= 255
        return color
    elif isinstance(color, int):
        assert 0 <= color <= 255
        return color, color, color
    elif isinstance(color, np.ndarray):
        assert color.ndim == 1 and color.size == 3
        assert np.all((color >= 0) & (color <= 255))
        color = color.astype(np.uint8)
        return tuple(color)
    else:
        raise TypeError(f'Invalid type for color: {type(color)}')
