"""Averaged models used by EMAHook: BaseAveragedModel, ExponentialMovingAverage,
MomentumAnnealingEMA, StochasticWeightAverage (mmengine names, registered in MODELS)."""
import logging
from copy import deepcopy
from typing import Any, Optional

import torch
from torch import Tensor, nn

from .logging import print_log
from .registry import MODELS


class BaseAveragedModel(nn.Module):
    """A frozen copy of ``model`` whose float parameters (and buffers with ``update_buffers``) are
    averaged by ``avg_func`` every ``interval`` calls of ``update_parameters``."""

    def __init__(self, model: nn.Module, interval: int = 1, device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__()
        self.module = deepcopy(model).requires_grad_(False)
        self.interval = interval
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer('steps', torch.tensor(0, dtype=torch.long, device=device))
        self.update_buffers = update_buffers
        # the tensors that are averaged: state_dict entries share storage with the module
        self.avg_parameters = self.module.state_dict() if update_buffers else dict(
            self.module.named_parameters())

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        raise NotImplementedError

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def update_parameters(self, model: nn.Module) -> None:
        src = model.state_dict() if self.update_buffers else dict(model.named_parameters())
        if self.steps == 0:
            for name, avg in self.avg_parameters.items():
                avg.data.copy_(src[name].data)
        elif self.steps % self.interval == 0:
            for name, avg in self.avg_parameters.items():
                if avg.dtype.is_floating_point:
                    self.avg_func(avg.data, src[name].data.to(avg.device), self.steps)
        if not self.update_buffers:
            # buffers (e.g. BN statistics) simply follow the source model
            for b_avg, b_src in zip(self.module.buffers(), model.buffers()):
                b_avg.data.copy_(b_src.data.to(b_avg.device))
        self.steps += 1


@MODELS.register_module()
class StochasticWeightAverage(BaseAveragedModel):
    """Running mean: ``avg += (src - avg) / (steps // interval + 1)``."""

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.add_(source_param - averaged_param, alpha=1 / float(steps // self.interval + 1))


@MODELS.register_module()
class ExponentialMovingAverage(BaseAveragedModel):
    """``avg = (1 - momentum) * avg + momentum * src`` (momentum weights the *new* value)."""

    def __init__(self, model: nn.Module, momentum: float = 0.0002, interval: int = 1,
                 device: Optional[torch.device] = None, update_buffers: bool = False) -> None:
        super().__init__(model, interval, device, update_buffers)
        assert 0.0 < momentum < 1.0, f'momentum must be in range (0.0, 1.0)but got {momentum}'
        if momentum > 0.5:
            print_log('The value of momentum in EMA is usually a small number,which is different '
                      'from the conventional notion of momentum but similar to the notion in '
                      'Pytorch\'s batch norm, which means the ema model will be updated with '
                      '`(1-momentum) * ema + momentum * param`.', level=logging.WARNING)
        self.momentum = momentum

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, self.momentum)


@MODELS.register_module()
class MomentumAnnealingEMA(ExponentialMovingAverage):
    """EMA whose momentum starts high and anneals: ``max(momentum, gamma / (gamma + steps))``."""

    def __init__(self, model: nn.Module, momentum: float = 0.0002, gamma: int = 100, interval: int = 1,
                 device: Optional[torch.device] = None, update_buffers: bool = False) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        assert gamma > 0, f'gamma must be greater than 0, but got {gamma}'
        self.gamma = gamma

    def avg_func(self, averaged_param: Tensor, source_param: Tensor, steps: int) -> None:
        momentum = max(self.momentum, self.gamma / (self.gamma + self.steps.item()))
        averaged_param.lerp_(source_param, momentum)
