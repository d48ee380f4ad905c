"""EMAHook: exponential moving average of the model parameters, stored as ``ema_*`` buffers."""
from typing import Any, Dict, Optional

from ..parallel import is_module_wrapper
from .hook import HOOKS, Hook


@HOOKS.register_module()
class EMAHook(Hook):
    r"""Keep ``ema = (1 - m) * ema + m * param`` for every parameter, every ``interval`` iterations.

    ``m = min(momentum ** interval, (1 + iter) / (warm_up + iter))``. Raising the momentum to the
    power of ``interval`` is mmcv's (mathematically questionable) rule, kept for parity. The EMA
    weights and the live weights are swapped at every train-epoch boundary, so hooks running after
    an epoch (eval, checkpoint) see the EMA weights when this hook has a higher priority.

    Args:
        momentum: EMA update rate, in (0, 1).
        interval: update every ``interval`` iterations (positive int).
        warm_up: iterations over which the rate ramps up from ``1/warm_up``.
        resume_from: checkpoint passed to ``runner.resume`` in ``before_run``.
    """

    def __init__(self, momentum: float = 0.0002, interval: int = 1, warm_up: int = 100,
                 resume_from: Optional[str] = None) -> None:
        assert isinstance(interval, int) and interval > 0
        self.warm_up = warm_up
        self.interval = interval
        assert 0 < momentum < 1
        self.momentum = momentum**interval
        self.checkpoint = resume_from

    def before_run(self, runner: Any) -> None:
        """Register an ``ema_<name>`` buffer per parameter (so EMA weights land in checkpoints)."""
        model = runner.model.module if is_module_wrapper(runner.model) else runner.model
        self.param_ema_buffer: Dict[str, str] = {}
        self.model_parameters = dict(model.named_parameters(recurse=True))
        for name, value in self.model_parameters.items():
            # buffer names cannot contain '.'
            buffer_name = f"ema_{name.replace('.', '_')}"
            self.param_ema_buffer[name] = buffer_name
            model.register_buffer(buffer_name, value.data.clone())
        self.model_buffers = dict(model.named_buffers(recurse=True))
        if self.checkpoint is not None:
            runner.resume(self.checkpoint)

    def after_train_iter(self, runner: Any) -> None:
        curr_step = runner.iter
        # warm up the rate: early weights are unstable
        momentum = min(self.momentum, (1 + curr_step) / (self.warm_up + curr_step))
        if curr_step % self.interval != 0:
            return
        for name, parameter in self.model_parameters.items():
            ema = self.model_buffers[self.param_ema_buffer[name]]
            # mmcv used the removed add_(scalar, tensor) overload; alpha= is the same operation.
            ema.mul_(1 - momentum).add_(parameter.data, alpha=momentum)

    def after_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def before_train_epoch(self, runner: Any) -> None:
        self._swap_ema_parameters()

    def _swap_ema_parameters(self) -> None:
        for name, value in self.model_parameters.items():
            temp = value.data.clone()
            ema = self.model_buffers[self.param_ema_buffer[name]]
            value.data.copy_(ema.data)
            ema.data.copy_(temp)
