"""Optimizer hooks: backward + (clip) + step after every train iteration, with mmcv 1.x ordering.

The fp16 hooks use ``torch.amp.GradScaler``. Without CUDA the scaler lives on the CPU: the
forward runs in bfloat16 (see ``fp16_utils.auto_fp16``), which needs no scaling, but the scaler
still runs so that its state (saved in ``runner.meta['fp16']['loss_scaler']``) keeps the CUDA
format and checkpoints move between machines. Scales are powers of two, so scaling and unscaling
are exact and do not change the float32 gradients.
"""
import logging
from typing import Any, Dict, Iterable, Optional, Set, Union

import torch
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils import clip_grad_norm_

from ..fp16_utils import wrap_fp16_model
from ..loss_checks import NonFiniteLoss, check_grad_norm
from .hook import HOOKS, Hook


def _clip_grads(grad_clip: Dict, params: Iterable[torch.nn.Parameter]) -> Optional[torch.Tensor]:
    params = [p for p in params if p.requires_grad and p.grad is not None]
    if len(params) > 0:
        return clip_grad_norm_(params, **grad_clip)
    return None


def _params_in_graph(loss: torch.Tensor) -> Set[int]:
    """ids of the leaf tensors reachable from ``loss.grad_fn`` (iterative: graphs can be deep)."""
    found: Set[int] = set()
    visited: Set[Any] = set()
    stack = [loss.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or fn in visited:
            continue
        visited.add(fn)
        if hasattr(fn, 'variable'):
            found.add(id(fn.variable))
        stack.extend(parent for parent, _ in (fn.next_functions or ()))
    return found


@HOOKS.register_module()
class OptimizerHook(Hook):
    """``zero_grad``; ``loss.backward()``; optional gradient clipping; ``step``.

    Args:
        grad_clip: kwargs of ``clip_grad_norm_`` (e.g. ``dict(max_norm=35, norm_type=2)``); the
            pre-clip norm is logged as ``grad_norm``.
        detect_anomalous_params: log (at ERROR) every trainable parameter that is not in the
            loss graph. Slow; for debugging only.
    """

    # a dynamic loss scaler skips the steps with overflowing gradients: no reason to stop there
    _overflow_expected = False

    def __init__(self, grad_clip: Optional[Dict] = None, detect_anomalous_params: bool = False) -> None:
        self.grad_clip = grad_clip
        self.detect_anomalous_params = detect_anomalous_params

    def clip_grads(self, params: Iterable[torch.nn.Parameter]) -> Optional[torch.Tensor]:
        return _clip_grads(self.grad_clip, params)

    def _clip_and_log(self, runner: Any) -> None:
        if self.grad_clip is None:
            return
        grad_norm = self.clip_grads(runner.model.parameters())
        if not self._overflow_expected:
            try:
                check_grad_norm(grad_norm)
            except NonFiniteLoss as e:  # before the step: the weights stay finite
                raise e.at(runner.iter + 1, runner.epoch + 1) from None
        if grad_norm is not None:
            runner.log_buffer.update({'grad_norm': float(grad_norm)}, runner.outputs['num_samples'])

    def after_train_iter(self, runner: Any) -> None:
        runner.optimizer.zero_grad()
        if self.detect_anomalous_params:
            self.detect_anomalous_parameters(runner.outputs['loss'], runner)
        runner.outputs['loss'].backward()
        self._clip_and_log(runner)
        runner.optimizer.step()

    def detect_anomalous_parameters(self, loss: torch.Tensor, runner: Any) -> None:
        in_graph = _params_in_graph(loss)
        for name, param in runner.model.named_parameters():
            if param.requires_grad and id(param) not in in_graph:
                runner.logger.log(
                    level=logging.ERROR,
                    msg=f'{name} with shape {param.size()} is not in the computational graph \n')


def _has_batch_norm(module: torch.nn.Module) -> bool:
    return any(isinstance(m, _BatchNorm) for m in module.modules())


@HOOKS.register_module()
class GradientCumulativeOptimizerHook(OptimizerHook):
    """Accumulate gradients over ``cumulative_iters`` iterations before each step.

    The loss is divided by ``cumulative_iters``; in the trailing ``max_iters % cumulative_iters``
    iterations (which cannot fill a window) it is divided by that remainder instead.
    """

    def __init__(self, cumulative_iters: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        assert isinstance(cumulative_iters, int) and cumulative_iters > 0, \
            f'cumulative_iters only accepts positive int, but got {type(cumulative_iters)} instead.'
        self.cumulative_iters = cumulative_iters
        self.divisible_iters = 0
        self.remainder_iters = 0
        self.initialized = False

    def has_batch_norm(self, module: torch.nn.Module) -> bool:
        return _has_batch_norm(module)

    def _init(self, runner: Any) -> None:
        # an exact resume (continuation record) restores the window's gradients: nothing is lost
        if runner.iter % self.cumulative_iters != 0 and not getattr(runner, '_grads_restored', False):
            runner.logger.warning(
                'Resume iter number is not divisible by cumulative_iters in '
                'GradientCumulativeOptimizerHook, which means the gradient of some iters is lost '
                'and the result may be influenced slightly.')
        if self.has_batch_norm(runner.model) and self.cumulative_iters > 1:
            runner.logger.warning('GradientCumulativeOptimizerHook may slightly decrease performance '
                                  'if the model has BatchNorm layers.')
        self.divisible_iters = runner.max_iters // self.cumulative_iters * self.cumulative_iters
        self.remainder_iters = runner.max_iters - self.divisible_iters
        self.initialized = True

    def _get_loss_factor(self, runner: Any) -> int:
        if runner.iter < runner.max_iters - self.remainder_iters:
            return self.cumulative_iters
        loss_factor = self.remainder_iters
        runner.logger.warning(
            f'Loss will be divided by {loss_factor} in the last {self.remainder_iters} iterations '
            f'because they are not enough for {self.cumulative_iters} cumulative_iters.')
        assert loss_factor > 0
        return loss_factor

    def _at_boundary(self, runner: Any) -> bool:
        return self.every_n_iters(runner, self.cumulative_iters) or self.is_last_iter(runner)

    def after_train_iter(self, runner: Any) -> None:
        if not self.initialized:
            self._init(runner)
        loss = runner.outputs['loss'] / self._get_loss_factor(runner)
        loss.backward()
        if self._at_boundary(runner):
            self._clip_and_log(runner)
            runner.optimizer.step()
            runner.optimizer.zero_grad()


def make_grad_scaler(**kwargs: Any) -> 'torch.amp.GradScaler':
    """A GradScaler on CUDA when available, else an (enabled) CPU scaler with the same state format."""
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    return torch.amp.GradScaler(device, **kwargs)


@HOOKS.register_module()
class Fp16OptimizerHook(OptimizerHook):
    """Mixed-precision optimizer hook (mmcv's torch>=1.6 branch, on ``torch.amp``).

    Args:
        grad_clip: as in OptimizerHook (clipping happens on unscaled gradients).
        coalesce, bucket_size_mb, distributed: accepted and stored, unused (as in mmcv).
        loss_scale: ``'dynamic'`` (GradScaler defaults), a **float** (static scale, re-applied
            after every step), or a dict of GradScaler kwargs. Anything else, including an int,
            raises ValueError.
    """

    _overflow_expected = True

    def __init__(self, grad_clip: Optional[Dict] = None, coalesce: bool = True, bucket_size_mb: int = -1,
                 loss_scale: Union[float, str, Dict] = 512., distributed: bool = True) -> None:
        # Like mmcv, OptimizerHook.__init__ is not called.
        self.grad_clip = grad_clip
        self.coalesce = coalesce
        self.bucket_size_mb = bucket_size_mb
        self.distributed = distributed
        self._scale_update_param: Optional[float] = None
        if loss_scale == 'dynamic':
            self.loss_scaler = make_grad_scaler()
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            self.loss_scaler = make_grad_scaler(init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = make_grad_scaler(**loss_scale)
        else:
            raise ValueError(f'loss_scale must be of type float, dict, or "dynamic", got {loss_scale}')

    def before_run(self, runner: Any) -> None:
        """Enable fp16 on the model and restore the scaler state from ``runner.meta``."""
        wrap_fp16_model(runner.model)
        # runner.meta must be a dict here (None raises, as in mmcv 1.7.2).
        if 'fp16' in runner.meta and 'loss_scaler' in runner.meta['fp16']:
            self.loss_scaler.load_state_dict(runner.meta['fp16']['loss_scaler'])

    def copy_grads_to_fp32(self, fp16_net: torch.nn.Module, fp32_weights: Iterable[torch.Tensor]) -> None:
        """Copy the model's gradients onto a master fp32 weight list (kept for API parity)."""
        for fp32_param, fp16_param in zip(fp32_weights, fp16_net.parameters()):
            if fp16_param.grad is None:
                continue
            if fp32_param.grad is None:
                fp32_param.grad = torch.empty_like(fp32_param.data)
            fp32_param.grad.copy_(fp16_param.grad)

    def copy_params_to_fp16(self, fp16_net: torch.nn.Module, fp32_weights: Iterable[torch.Tensor]) -> None:
        """Copy master fp32 weights back into the model (kept for API parity)."""
        for fp16_param, fp32_param in zip(fp16_net.parameters(), fp32_weights):
            fp16_param.data.copy_(fp32_param.data)

    def _step_and_save(self, runner: Any) -> None:
        """unscale, [clip], step, update the scale and store its state in ``runner.meta``."""
        self.loss_scaler.unscale_(runner.optimizer)
        self._clip_and_log(runner)
        self.loss_scaler.step(runner.optimizer)
        self.loss_scaler.update(self._scale_update_param)
        runner.meta.setdefault('fp16', {})['loss_scaler'] = self.loss_scaler.state_dict()

    def after_train_iter(self, runner: Any) -> None:
        runner.model.zero_grad()
        runner.optimizer.zero_grad()
        self.loss_scaler.scale(runner.outputs['loss']).backward()
        self._step_and_save(runner)


@HOOKS.register_module()
class GradientCumulativeFp16OptimizerHook(GradientCumulativeOptimizerHook, Fp16OptimizerHook):
    """Gradient accumulation on top of Fp16OptimizerHook; kwargs other than
    ``cumulative_iters`` go to Fp16OptimizerHook."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def after_train_iter(self, runner: Any) -> None:
        if not self.initialized:
            self._init(runner)
        loss = runner.outputs['loss'] / self._get_loss_factor(runner)
        self.loss_scaler.scale(loss).backward()
        if self._at_boundary(runner):
            self._step_and_save(runner)
            runner.model.zero_grad()
            runner.optimizer.zero_grad()
