"""Helpers of the receptive-field search: dilation expansion, padding, json output."""
from typing import Any

import numpy as np

from ...utils.fileio import dump


def write_to_json(config: dict, filename: str) -> None:
    """Write ``config`` to ``filename`` as json."""
    with open(filename, 'w', encoding='utf-8') as f:
        dump(config, f, file_format='json')


def expand_rates(dilation: Any, config: dict) -> list:
    """Candidate (dh, dw) dilations around ``dilation``: ``num_branches // 2`` smaller ones
    (``(1 - exp_rate) * d``), the current one when ``num_branches`` is odd, and as many larger
    ones (``(1 + exp_rate) * d``), each clipped to [mmin, mmax]; duplicates removed, order kept."""
    exp_rate = config['exp_rate']

    def scaled(factor: float) -> tuple:
        return tuple(np.clip(int(round(factor * d)), config['mmin'], config['mmax']).item()
                     for d in dilation[:2])

    large_rates = [scaled(1 + exp_rate) for _ in range(config['num_branches'] // 2)]
    small_rates = [scaled(1 - exp_rate) for _ in range(config['num_branches'] // 2)]
    small_rates.reverse()
    if config['num_branches'] % 2 == 0:
        rate_list = small_rates + large_rates
    else:
        rate_list = small_rates + [dilation] + large_rates
    unique_rate_list = list(set(rate_list))
    unique_rate_list.sort(key=rate_list.index)
    return unique_rate_list


def get_single_padding(kernel_size: int, stride: int = 1, dilation: int = 1) -> int:
    """The padding that keeps the output at ``ceil(in / stride)`` for an odd kernel."""
    return ((stride - 1) + dilation * (kernel_size - 1)) // 2

__all__ = ['expand_rates', 'get_single_padding', 'write_to_json']
