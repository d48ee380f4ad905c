"""Uniform quantisation of arrays into ``levels`` bins (mmcv 1.x ``mmcv.arraymisc``)."""
from typing import Union

import numpy as np


def _check_range(min_val: Union[int, float], max_val: Union[int, float], levels: int) -> None:
    if not (isinstance(levels, int) and levels > 1):
        raise ValueError(f'levels must be a positive integer, but got {levels}')
    if min_val >= max_val:
        raise ValueError(f'min_val ({min_val}) must be smaller than max_val ({max_val})')


def quantize(arr: np.ndarray,
             min_val: Union[int, float],
             max_val: Union[int, float],
             levels: int,
             dtype: type = np.int64) -> np.ndarray:
    """Map values clipped to [min_val, max_val] to bin indices 0 .. levels - 1.

    Args:
        arr (ndarray): Input array.
        min_val (int | float): Lower bound (values below are clipped).
        max_val (int | float): Upper bound (values above are clipped).
        levels (int): Number of bins (> 1).
        dtype (np.type): Type of the result.

    Returns:
        ndarray: The bin indices.
    """
    _check_range(min_val, max_val, levels)
    arr = np.clip(arr, min_val, max_val) - min_val
    return np.minimum(np.floor(levels * arr / (max_val - min_val)).astype(dtype), levels - 1)


def dequantize(arr: np.ndarray,
               min_val: Union[int, float],
               max_val: Union[int, float],
               levels: int,
               dtype: type = np.float64) -> np.ndarray:
    """Map bin indices back to the centres of their bins in [min_val, max_val].

    Args:
        arr (ndarray): Bin indices.
        min_val (int | float): Lower bound.
        max_val (int | float): Upper bound.
        levels (int): Number of bins (> 1).
        dtype (np.type): Type of the result.

    Returns:
        ndarray: The bin centres.
    """
    _check_range(min_val, max_val, levels)
    return (arr + 0.5).astype(dtype) * (max_val - min_val) / levels + min_val
