"""Searchable convolutions of RF-Next (arXiv:2206.06637): a conv evaluated at several dilation
rates whose outputs are mixed by learnt branch weights."""
import copy
from typing import Tuple

import numpy as np
import torch
from torch import Tensor, nn

from ...base_module import BaseModule
from ...utils.logging import get_logger
from .utils import expand_rates, get_single_padding

logger = get_logger('mmcv')


class BaseConvRFSearchOp(BaseModule):
    """Wraps ``op_layer`` with the search ``global_config``."""

    def __init__(self, op_layer: nn.Module, global_config: dict) -> None:
        super().__init__()
        self.op_layer = op_layer
        self.global_config = global_config

    def normlize(self, weights: nn.Parameter) -> Tensor:
        """``|w| / sum(|w|)``."""
        abs_weights = torch.abs(weights)
        return abs_weights / torch.sum(abs_weights)


class Conv2dRFSearchOp(BaseConvRFSearchOp):
    """A Conv2d run at ``num_branches`` dilation rates around its own, mixed by
    ``branch_weights`` (all ``init_alphas`` at the start).

    ``global_config`` needs 'init_alphas', 'num_branches' (2 or 3), 'exp_rate', 'mmin' and 'mmax'.
    Kernel axes of size 1 or of even size keep their dilation.
    """

    def __init__(self, op_layer: nn.Module, global_config: dict, verbose: bool = True) -> None:
        super().__init__(op_layer, global_config)
        assert global_config is not None, 'global_config is None'
        self.num_branches = global_config['num_branches']
        assert self.num_branches in [2, 3]
        self.verbose = verbose
        self.dilation_rates = self._rates_for(op_layer.dilation)
        self.branch_weights = nn.Parameter(torch.Tensor(self.num_branches))
        if self.verbose:
            logger.info(f'Expand as {self.dilation_rates}')
        nn.init.constant_(self.branch_weights, global_config['init_alphas'])

    def _rates_for(self, dilation: Tuple[int, int]) -> list:
        rates = expand_rates(dilation, self.global_config)
        kernel = self.op_layer.kernel_size
        if kernel[0] == 1 or kernel[0] % 2 == 0:
            rates = [(dilation[0], r[1]) for r in rates]
        if kernel[1] == 1 or kernel[1] % 2 == 0:
            rates = [(r[0], dilation[1]) for r in rates]
        return rates

    def forward(self, input: Tensor) -> Tensor:
        norm_w = self.normlize(self.branch_weights[:len(self.dilation_rates)])

        def branch(rate: Tuple[int, int]) -> Tensor:
            return nn.functional.conv2d(input, weight=self.op_layer.weight, bias=self.op_layer.bias,
                                        stride=self.op_layer.stride, padding=self.get_padding(rate),
                                        dilation=rate, groups=self.op_layer.groups)

        if len(self.dilation_rates) == 1:
            return branch(self.dilation_rates[0])
        output = branch(self.dilation_rates[0]) * norm_w[0]
        for i in range(1, len(self.dilation_rates)):
            output += branch(self.dilation_rates[i]) * norm_w[i]
        return output

    def estimate_rates(self) -> None:
        """Set the conv's dilation to the branch-weighted mean rate (clipped to [mmin, mmax])."""
        norm_w = self.normlize(self.branch_weights[:len(self.dilation_rates)])
        if self.verbose:
            logger.info(f'Estimate dilation {self.dilation_rates} with weight '
                        f'{norm_w.detach().cpu().numpy().tolist()}.')
        sum0, sum1, w_sum = 0., 0., 0.
        for i, rate in enumerate(self.dilation_rates):
            sum0 += norm_w[i].item() * rate[0]
            sum1 += norm_w[i].item() * rate[1]
            w_sum += norm_w[i].item()
        estimated = tuple(
            np.clip(int(round(s / w_sum)), self.global_config['mmin'], self.global_config['mmax']).item()
            for s in (sum0, sum1))
        self.op_layer.dilation = estimated
        self.op_layer.padding = self.get_padding(self.op_layer.dilation)
        self.dilation_rates = [estimated]
        if self.verbose:
            logger.info(f'Estimate as {estimated}')

    def expand_rates(self) -> None:
        """New candidate rates around the current dilation; branch weights reset."""
        self.dilation_rates = copy.deepcopy(self._rates_for(self.op_layer.dilation))
        if self.verbose:
            logger.info(f'Expand as {self.dilation_rates}')
        nn.init.constant_(self.branch_weights, self.global_config['init_alphas'])

    def get_padding(self, dilation: Tuple[int, int]) -> Tuple[int, int]:
        """Padding keeping the output size for ``dilation``."""
        k, s = self.op_layer.kernel_size, self.op_layer.stride
        return (get_single_padding(k[0], s[0], dilation[0]), get_single_padding(k[1], s[1], dilation[1]))

__all__ = ['BaseConvRFSearchOp', 'Conv2dRFSearchOp']
