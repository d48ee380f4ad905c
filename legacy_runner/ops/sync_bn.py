"""Cross-process batch norm (mmcv.ops.SyncBatchNorm), registered as norm 'MMSyncBN'.

Training statistics are gathered with torch's SyncBatchNorm kernel (sums weighted by each
process's batch, i.e. mmcv's ``stats_mode='N'``); without an initialised process group, or with
one process, it is plain batch norm. Parameters, buffers and their names are mmcv's.
"""
from typing import Any, Optional

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor
from torch.nn.modules.module import Module
from torch.nn.parameter import Parameter

from ..cnn.bricks.registry import NORM_LAYERS


@NORM_LAYERS.register_module(name='MMSyncBN')
class SyncBatchNorm(Module):
    """Synchronized batch norm.

    Args:
        num_features (int): channels ``C`` of an ``(N, C, ...)`` input.
        eps (float): added to the variance.
        momentum (float | None): running-stat momentum; None = cumulative average.
        affine (bool): learnable ``weight`` and ``bias``.
        track_running_stats (bool): keep running mean/var (used in eval mode).
        group (ProcessGroup | None): processes to sync over (default: the world).
        stats_mode (str): 'default' or 'N'. Both weight each process by its batch size here;
            mmcv's 'default' averages the per-process means equally, which only differs when
            processes have different batch sizes.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True, group: Any = None,
                 stats_mode: str = 'default') -> None:
        super().__init__()
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        distributed = dist.is_available() and dist.is_initialized()
        group = (dist.group.WORLD if distributed else None) if group is None else group
        self.group = group
        self.group_size = dist.get_world_size(group) if distributed else 1
        assert stats_mode in ['default', 'N'], \
            f'"stats_mode" only accepts "default" and "N", got "{stats_mode}"'
        self.stats_mode = stats_mode
        if self.affine:
            self.weight = Parameter(torch.Tensor(num_features))
            self.bias = Parameter(torch.Tensor(num_features))
        else:
            self.register_parameter('weight', None)
            self.register_parameter('bias', None)
        if self.track_running_stats:
            self.register_buffer('running_mean', torch.zeros(num_features))
            self.register_buffer('running_var', torch.ones(num_features))
            self.register_buffer('num_batches_tracked', torch.tensor(0, dtype=torch.long))
        else:
            self.register_buffer('running_mean', None)
            self.register_buffer('running_var', None)
            self.register_buffer('num_batches_tracked', None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data.uniform_()  # mmcv's (old BN) init
            self.bias.data.zero_()

    def forward(self, input: Tensor) -> Tensor:
        assert input.dim() >= 2, f'SyncBatchNorm expected at least 2D input (got {input.dim()}D input)'
        if self.momentum is None:
            exponential_average_factor = 0.0
        else:
            exponential_average_factor = self.momentum
        if self.training and self.track_running_stats:
            if self.num_batches_tracked is not None:
                self.num_batches_tracked += 1
                if self.momentum is None:  # cumulative moving average
                    exponential_average_factor = 1.0 / float(self.num_batches_tracked)
                else:
                    exponential_average_factor = self.momentum
        if not (self.training or not self.track_running_stats):
            return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                                False, exponential_average_factor, self.eps)
        if self.group_size > 1 and dist.is_initialized():
            from torch.nn.modules._functions import SyncBatchNorm as _SyncBNFunction
            shape = input.shape
            flat = input.reshape(shape[0], shape[1], -1)
            out = _SyncBNFunction.apply(flat, self.weight, self.bias, self.running_mean,
                                        self.running_var, self.eps, exponential_average_factor,
                                        self.group, self.group_size)
            return out.reshape(shape)
        return F.batch_norm(input, self.running_mean, self.running_var, self.weight, self.bias,
                            True, exponential_average_factor, self.eps)

    def __repr__(self) -> str:
        s = self.__class__.__name__
        s += f'({self.num_features}, '
        s += f'eps={self.eps}, '
        s += f'momentum={self.momentum}, '
        s += f'affine={self.affine}, '
        s += f'track_running_stats={self.track_running_stats}, '
        s += f'group_size={self.group_size},'
        s += f'stats_mode={self.stats_mode})'
        return s


__all__ = ['SyncBatchNorm']
