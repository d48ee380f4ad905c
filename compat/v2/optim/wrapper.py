"""OptimWrapper / AmpOptimWrapper / OptimWrapperDict with mmengine's semantics.

Gradient accumulation follows mmengine's remainder rule: with ``accumulative_counts=a`` and
``max_iters=I``, losses are divided by ``a`` except in the last ``I % a`` iterations, where they are
divided by ``I % a``; the optimizer steps when ``count % a == 0`` or ``count == I``.
"""
import contextlib
import logging
from typing import Any, Dict, Iterator, List, Optional, Union

import torch
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.utils import clip_grad_norm_, clip_grad_value_

from legacy_runner.loss_checks import check_grad_norm

from ..logging import MessageHub, print_log
from ..registry import OPTIM_WRAPPERS

_NULL = contextlib.nullcontext()


class BaseOptimWrapper:
    """Marker base class (``isinstance`` checks in schedulers and builders)."""


@OPTIM_WRAPPERS.register_module()
class OptimWrapper(BaseOptimWrapper):
    """Wraps an optimizer: loss scaling for accumulation, backward, clipping, step, zero_grad.

    Args:
        optimizer: a torch optimizer.
        accumulative_counts: update the parameters every this many iterations.
        clip_grad: ``dict(type='norm'|'value', **kwargs of clip_grad_norm_/clip_grad_value_)``.
    """

    # a dynamic loss scaler skips the steps with overflowing gradients: no reason to stop there
    _overflow_expected = False

    def __init__(self, optimizer: torch.optim.Optimizer, accumulative_counts: int = 1,
                 clip_grad: Optional[Dict] = None) -> None:
        assert accumulative_counts > 0, '_accumulative_counts at least greater than or equal to 1'
        self._accumulative_counts = accumulative_counts
        assert isinstance(optimizer, torch.optim.Optimizer), \
            f'optimizer must be a `torch.optim.Optimizer` instance, but got {type(optimizer)}'
        self.optimizer = optimizer
        self.clip_grad_kwargs: Optional[Dict] = None
        if clip_grad is not None:
            assert isinstance(clip_grad, dict) and clip_grad, (
                'If `clip_grad` is not None, it should be a `dict` which is the arguments of '
                '`torch.nn.utils.clip_grad_norm_` or clip_grad_value_`.')
            clip_grad = dict(clip_grad)
            clip_type = clip_grad.pop('type', 'norm')
            if clip_type == 'norm':
                self.clip_func, self.grad_name = clip_grad_norm_, 'grad_norm'
            elif clip_type == 'value':
                self.clip_func, self.grad_name = clip_grad_value_, 'grad_value'
            else:
                raise ValueError('type of clip_grad should be "norm" or "value" but got '
                                 f'{clip_type}')
            assert clip_grad, ('`clip_grad` should contain other arguments besides `type`. The '
                               'arguments should match with the `torch.nn.utils.clip_grad_norm_` '
                               'or clip_grad_value_`')
            self.clip_grad_kwargs = clip_grad
        self.message_hub = MessageHub.get_current_instance()
        self._inner_count = 0
        self._max_counts = -1
        self._remainder_counts = -1
        # With several groups the optimizer defaults become a pseudo group that schedulers also
        # drive and that is logged as ``base_lr`` (mmengine).
        self.base_param_settings: Optional[Dict[str, Any]] = None
        if len(optimizer.param_groups) > 1:
            self.base_param_settings = {'params': torch.tensor([0.0], dtype=torch.float),
                                        **optimizer.defaults}

    # -- the training step -------------------------------------------------------------------
    def update_params(self, loss: torch.Tensor, step_kwargs: Optional[Dict] = None,
                      zero_kwargs: Optional[Dict] = None) -> None:
        """scale_loss -> backward -> (step -> zero_grad when an update is due)."""
        self.backward(self.scale_loss(loss))
        if self.should_update():
            self.step(**(step_kwargs or {}))
            self.zero_grad(**(zero_kwargs or {}))

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        loss.backward(**kwargs)
        self._inner_count += 1

    def zero_grad(self, **kwargs: Any) -> None:
        self.optimizer.zero_grad(**kwargs)

    def step(self, **kwargs: Any) -> None:
        if self.clip_grad_kwargs:
            self._clip_grad()
        self.optimizer.step(**kwargs)

    def _clip_grad(self) -> None:
        params = [p for group in self.optimizer.param_groups for p in group['params']
                  if p.requires_grad and p.grad is not None]
        if params:
            grad = self.clip_func(params, **self.clip_grad_kwargs)
            if not self._overflow_expected:
                check_grad_norm(grad, self.grad_name)  # before the step: the weights stay finite
            if grad is not None:  # clip_grad_value_ returns None, so grad_value is never logged
                self.message_hub.update_scalar(f'train/{self.grad_name}', float(grad))

    def scale_loss(self, loss: torch.Tensor) -> torch.Tensor:
        acc = self._accumulative_counts
        if acc == 1:
            return loss  # mmengine divides by 1: same values, one tensor op saved on the hot path
        if self._max_counts == -1:
            factor = acc
        elif self._inner_count < self._max_counts - self._remainder_counts:
            factor = acc
        else:
            factor = self._remainder_counts
            assert factor > 0, ('loss_factor should be larger than zero! This error could happened '
                                'when initialize_iter_status called with an error `init_counts` or '
                                '`max_counts`')
        return loss / factor

    def should_update(self) -> bool:
        return self._inner_count % self._accumulative_counts == 0 or self._inner_count == self._max_counts

    def should_sync(self) -> bool:
        nxt = self._inner_count + 1
        return nxt % self._accumulative_counts == 0 or nxt == self._max_counts

    def optim_context(self, model: torch.nn.Module) -> Any:
        """``model.no_sync()`` while accumulating under DDP, else a no-op context."""
        if not self.should_sync() and hasattr(model, 'no_sync'):
            return model.no_sync()
        return _NULL

    def initialize_count_status(self, model: torch.nn.Module, init_counts: int, max_counts: int) -> None:
        """Set the counters for accumulation (called by ``Runner.train`` before the loop)."""
        self._inner_count = init_counts
        self._max_counts = max_counts
        # an exact resume (continuation record) has put the window's gradients back: nothing lost
        holds_grads = any(p.grad is not None for p in model.parameters())
        if self._inner_count % self._accumulative_counts != 0 and not holds_grads:
            print_log('Resumed iteration number is not divisible by `_accumulative_counts` in '
                      '`GradientCumulativeOptimizerHook`, which means the gradient of some '
                      'iterations is lost and the result may be influenced slightly.',
                      level=logging.WARNING)
        if self._accumulative_counts > 1 and any(isinstance(m, _BatchNorm) for m in model.modules()):
            print_log('Gradient accumulative may slightly decrease performance because the model '
                      'has BatchNorm layers.', level=logging.WARNING)
        self._remainder_counts = self._max_counts % self._accumulative_counts

    # -- groups, values, state ---------------------------------------------------------------
    @property
    def param_groups(self) -> List[Dict]:
        if self.base_param_settings is not None:
            return self.optimizer.param_groups + [self.base_param_settings]
        return self.optimizer.param_groups

    @property
    def defaults(self) -> Dict:
        return self.optimizer.defaults

    @property
    def inner_count(self) -> int:
        return self._inner_count

    def get_lr(self) -> Dict[str, List[float]]:
        res: Dict[str, List[float]] = {}
        if self.base_param_settings is not None:
            res['base_lr'] = [self.base_param_settings['lr']]
        res['lr'] = [group['lr'] for group in self.optimizer.param_groups]
        return res

    def get_momentum(self) -> Dict[str, List[float]]:
        momentum = []
        for group in self.optimizer.param_groups:
            if 'momentum' in group:
                momentum.append(group['momentum'])
            elif 'betas' in group:
                momentum.append(group['betas'][0])
            else:
                momentum.append(0)
        return dict(momentum=momentum)

    def state_dict(self) -> Dict:
        state = self.optimizer.state_dict()
        if self.base_param_settings is not None:
            state['base_param_settings'] = self.base_param_settings
        return state

    def load_state_dict(self, state_dict: Dict) -> None:
        base = state_dict.pop('base_param_settings', None)
        if base is not None:
            self.base_param_settings = base
        self.optimizer.load_state_dict(state_dict)

    def __repr__(self) -> str:
        return f'Type: {type(self).__name__}\n_accumulative_counts: {self._accumulative_counts}\n' \
               f'optimizer: \n{self.optimizer!r}\n'


def _amp_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


@OPTIM_WRAPPERS.register_module()
class AmpOptimWrapper(OptimWrapper):
    """Mixed precision: autocast around forward and a GradScaler around backward/step.

    Unlike mmengine (which refuses CPU), without CUDA this autocasts to bfloat16 on the CPU (the
    default ``dtype`` there) and scales with ``torch.amp.GradScaler('cpu')``, so fp16 configs run.

    Args:
        loss_scale: 'dynamic', a float (static scale) or GradScaler kwargs; an int is a TypeError.
        dtype: autocast dtype: None (float16 on CUDA, bfloat16 on CPU), a name or a torch.dtype.
        use_fsdp: accepted for compatibility (FSDP is not supported).
    """

    valid_dtypes = ('float16', 'bfloat16', 'float32', 'float64')
    _overflow_expected = True

    def __init__(self,
                 loss_scale: Union[str, float, Dict] = 'dynamic',
                 dtype: Union[None, str, torch.dtype] = None,
                 use_fsdp: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.device_type = _amp_device()
        self._scale_update_param: Optional[float] = None
        if loss_scale == 'dynamic':
            self.loss_scaler = torch.amp.GradScaler(self.device_type)
        elif isinstance(loss_scale, float):
            self._scale_update_param = loss_scale
            self.loss_scaler = torch.amp.GradScaler(self.device_type, init_scale=loss_scale)
        elif isinstance(loss_scale, dict):
            self.loss_scaler = torch.amp.GradScaler(self.device_type, **loss_scale)
        else:
            raise TypeError(f'loss_scale must be of type float, dict, or "dynamic", but got {loss_scale}')
        if isinstance(dtype, str):
            assert dtype in self.valid_dtypes, f'dtype should be any of {self.valid_dtypes}, got {dtype}'
            dtype = getattr(torch, dtype)
        assert dtype is None or isinstance(dtype, torch.dtype), \
            f'dtype should be None or instance of torch.dtype, got {dtype}'
        self.cast_dtype = dtype if dtype is not None else (
            torch.float16 if self.device_type == 'cuda' else torch.bfloat16)

    def backward(self, loss: torch.Tensor, **kwargs: Any) -> None:
        self.loss_scaler.scale(loss).backward(**kwargs)
        self._inner_count += 1

    def step(self, **kwargs: Any) -> None:
        if self.clip_grad_kwargs:
            self.loss_scaler.unscale_(self.optimizer)
            self._clip_grad()
        self.loss_scaler.step(self.optimizer, **kwargs)
        self.loss_scaler.update(self._scale_update_param)

    def state_dict(self) -> Dict:
        state = super().state_dict()
        state['loss_scaler'] = self.loss_scaler.state_dict()
        return state

    def load_state_dict(self, state_dict: Dict) -> None:
        if 'loss_scaler' in state_dict:
            self.loss_scaler.load_state_dict(state_dict.pop('loss_scaler'))
        super().load_state_dict(state_dict)

    @contextlib.contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast(self.device_type, dtype=self.cast_dtype):
            yield


class OptimWrapperDict(BaseOptimWrapper):
    """Several named OptimWrappers (GAN-style models step them themselves)."""

    def __init__(self, **optim_wrapper_dict: OptimWrapper) -> None:
        for key, value in optim_wrapper_dict.items():
            assert isinstance(value, OptimWrapper), \
                f'`OptimWrapperDict` only accept OptimWrapper instance, but got {key}: {type(value)}'
        self.optim_wrappers = optim_wrapper_dict

    def update_params(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError('`update_params` should be called by each optimizer separately`')

    def backward(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError('`backward` should be called by each optimizer separately`')

    def step(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError('`step` should be called by each optimizer separately`')

    def optim_context(self, model: torch.nn.Module) -> Any:
        raise NotImplementedError('`optim_context` should be called by each optimizer separately')

    def zero_grad(self, **kwargs: Any) -> None:
        for wrapper in self.optim_wrappers.values():
            wrapper.zero_grad(**kwargs)

    def initialize_count_status(self, model: torch.nn.Module, cur_iter: int, max_iters: int) -> None:
        """A no-op: each wrapper is driven by the model."""

    @property
    def param_groups(self) -> Dict[str, List[Dict]]:
        return {name: w.param_groups for name, w in self.optim_wrappers.items()}

    def get_lr(self) -> Dict[str, List[float]]:
        return {f'{name}.{k}': v for name, w in self.optim_wrappers.items() for k, v in w.get_lr().items()}

    def get_momentum(self) -> Dict[str, List[float]]:
        return {f'{name}.momentum': w.get_momentum()['momentum'] for name, w in self.optim_wrappers.items()}

    def state_dict(self) -> Dict[str, Dict]:
        return {name: w.state_dict() for name, w in self.optim_wrappers.items()}

    def load_state_dict(self, state_dict: Dict[str, Dict]) -> None:
        for name, state in state_dict.items():
            assert name in self.optim_wrappers, \
                f'Mismatched `state_dict`! cannot found {name} in OptimWrapperDict'
            self.optim_wrappers[name].load_state_dict(state)

    def items(self) -> Any:
        return self.optim_wrappers.items()

    def values(self) -> Any:
        return self.optim_wrappers.values()

    def keys(self) -> Any:
        return self.optim_wrappers.keys()

    def __getitem__(self, key: str) -> OptimWrapper:
        assert key in self.optim_wrappers, f'Cannot find {key} in OptimWrapperDict'
        return self.optim_wrappers[key]

    def __contains__(self, key: str) -> bool:
        return key in self.optim_wrappers

    def __len__(self) -> int:
        return len(self.optim_wrappers)

    def __repr__(self) -> str:
        return ''.join(f'name: {k}\n{v!r}' for k, v in self.optim_wrappers.items())
