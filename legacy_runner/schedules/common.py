"""Helpers shared by the v1 policies and the v2 schedulers (mmcv's public helper names).

Pure Python on purpose: the converter and the plot commands import this without torch.
"""
import math
import numbers
from typing import Any, List, Sequence

INF = int(1e9)  # mmengine's "no end" sentinel for a scheduler's ``end``


def annealing_cos(start: float, end: float, factor: float, weight: float = 1.) -> float:
    """Cosine anneal from ``weight*start + (1-weight)*end`` to ``end`` as ``factor`` goes 0 -> 1."""
    # Operation order follows mmcv so results are bit-identical with the recorded runs.
    cos_out = math.cos(math.pi * factor) + 1
    return end + 0.5 * weight * (start - end) * cos_out


def annealing_cos_array(start: float, end: float, factor: Any) -> Any:
    """:func:`annealing_cos` (weight 1) over a numpy array of factors, same operation order."""
    import numpy as np  # only the converter's long-span measurement comes here
    cos_out = np.cos(math.pi * factor) + 1
    return end + 0.5 * (start - end) * cos_out


def annealing_linear(start: float, end: float, factor: float) -> float:
    """Linear anneal from ``start`` to ``end`` as ``factor`` goes 0 -> 1."""
    return start + (end - start) * factor


def get_position_from_periods(iteration: int, cumulative_periods: Sequence[int]) -> int:
    """Index of the first cumulative period boundary strictly greater than ``iteration``.

    ``cumulative_periods=[100, 200, 300, 400]``: 50 -> 0, 210 -> 2, 300 -> 3.
    Raises ValueError past the last boundary (mmcv 1.x behaviour).
    """
    for i, period in enumerate(cumulative_periods):
        if iteration < period:
            return i
    raise ValueError(f'Current iteration {iteration} exceeds '
                     f'cumulative_periods {cumulative_periods}')


def cumulative(periods: Sequence[int]) -> List[int]:
    """Running sums of ``periods`` (``[2, 4] -> [2, 6]``)."""
    out: List[int] = []
    total = 0
    for p in periods:
        total += p
        out.append(total)
    return out


def format_param(name: str, optim: Any, param: Any) -> list:
    """Expand a scalar / per-group list / per-optimizer dict into one value per param group.

    ``optim`` only needs ``param_groups``; an int is accepted too (the number of groups), so
    callers without an optimizer (converter, traces) can use the same rule.
    """
    n_groups = optim if isinstance(optim, int) else len(optim.param_groups)
    if isinstance(param, numbers.Number):
        return [param] * n_groups
    if isinstance(param, (list, tuple)):  # one value per param group
        if len(param) != n_groups:
            raise ValueError(f'expected {n_groups} values for {name}, got {len(param)}')
        return list(param)
    # one entry per optimizer (dict optimizers)
    if name not in param:
        raise KeyError(f'{name} is not found in {param.keys()}')
    entry = param[name]
    # mmcv returns the entry as is, so a scalar per optimizer later fails to iterate; expand it.
    return [entry] * n_groups if isinstance(entry, numbers.Number) else entry
