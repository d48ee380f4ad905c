"""mmcv 1.x mixed-precision helpers on ``torch.autocast``.

mmcv's torch>=1.6 branch casts float32 inputs to ``torch.half`` and runs the decorated method under
CUDA autocast. Here the low-precision type follows the module's device: ``half`` + CUDA autocast
for a CUDA module, ``bfloat16`` + CPU autocast otherwise (CPU autocast does not support fp16 well,
and bf16 needs no loss scaling).
"""
import functools
import math
from collections import abc
from inspect import getfullargspec
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

import numpy as np
import torch
import torch.nn as nn


def cast_tensor_type(inputs: Any, src_type: torch.dtype, dst_type: torch.dtype) -> Any:
    """Recursively cast tensors of dtype ``src_type`` to ``dst_type``.

    Modules, strings and ndarrays are returned untouched; mappings and iterables are rebuilt
    with the same type.
    """
    if isinstance(inputs, nn.Module):
        return inputs
    if isinstance(inputs, torch.Tensor):
        return inputs.to(dst_type) if inputs.dtype == src_type else inputs
    if isinstance(inputs, (str, np.ndarray)):
        return inputs
    if isinstance(inputs, abc.Mapping):
        return type(inputs)({k: cast_tensor_type(v, src_type, dst_type) for k, v in inputs.items()})
    if isinstance(inputs, abc.Iterable):
        return type(inputs)(cast_tensor_type(item, src_type, dst_type) for item in inputs)
    return inputs


def amp_device_and_dtype(module: Optional[nn.Module] = None) -> Tuple[str, torch.dtype]:
    """``('cuda', torch.half)`` for a module living on CUDA, else ``('cpu', torch.bfloat16)``.

    A module without parameters or buffers follows ``torch.cuda.is_available()``.
    """
    tensor = None
    if module is not None:
        tensor = next(iter(module.parameters()), None)
        if tensor is None:
            tensor = next(iter(module.buffers()), None)
    on_cuda = tensor.is_cuda if tensor is not None else torch.cuda.is_available()
    return ('cuda', torch.half) if on_cuda else ('cpu', torch.bfloat16)


def _cast_call_args(func: Callable, args: Tuple, kwargs: Dict, names: Optional[Iterable[str]],
                    src: torch.dtype, dst: torch.dtype) -> Tuple[list, dict]:
    arg_names = getfullargspec(func).args
    names = arg_names if names is None else names
    new_args = [cast_tensor_type(a, src, dst) if n in names else a for n, a in zip(arg_names, args)]
    # mmcv silently drops positional arguments beyond the named ones; pass them through instead.
    new_args.extend(args[len(arg_names):])
    new_kwargs = {k: cast_tensor_type(v, src, dst) if k in names else v for k, v in kwargs.items()}
    return new_args, new_kwargs


def auto_fp16(apply_to: Optional[Iterable[str]] = None, out_fp32: bool = False,
              supported_types: Tuple[type, ...] = (nn.Module, )) -> Callable:
    """Decorate a module method to run in low precision when ``self.fp16_enabled`` is True.

    Float32 tensors among the ``apply_to`` arguments (all arguments when None) are cast to the
    low-precision type and the method runs under autocast; ``out_fp32`` casts outputs back.
    """

    def decorator(old_func: Callable) -> Callable:

        @functools.wraps(old_func)
        def new_func(*args: Any, **kwargs: Any) -> Any:
            if not isinstance(args[0], supported_types):
                raise TypeError('@auto_fp16 can only be used to decorate the method of those '
                                f'classes {supported_types}')
            if not getattr(args[0], 'fp16_enabled', False):
                return old_func(*args, **kwargs)
            device, low = amp_device_and_dtype(args[0])
            new_args, new_kwargs = _cast_call_args(old_func, args, kwargs, apply_to, torch.float, low)
            with torch.autocast(device, dtype=low, enabled=True):
                output = old_func(*new_args, **new_kwargs)
            if out_fp32:
                output = cast_tensor_type(output, low, torch.float)
            return output

        return new_func

    return decorator


def force_fp32(apply_to: Optional[Iterable[str]] = None, out_fp16: bool = False) -> Callable:
    """Decorate a module method to run in float32 (autocast off) when ``self.fp16_enabled``."""

    def decorator(old_func: Callable) -> Callable:

        @functools.wraps(old_func)
        def new_func(*args: Any, **kwargs: Any) -> Any:
            if not isinstance(args[0], nn.Module):
                raise TypeError('@force_fp32 can only be used to decorate the method of nn.Module')
            if not getattr(args[0], 'fp16_enabled', False):
                return old_func(*args, **kwargs)
            device, low = amp_device_and_dtype(args[0])
            new_args, new_kwargs = _cast_call_args(old_func, args, kwargs, apply_to, low, torch.float)
            with torch.autocast(device, dtype=low, enabled=False):
                output = old_func(*new_args, **new_kwargs)
            if out_fp16:
                output = cast_tensor_type(output, torch.float, low)
            return output

        return new_func

    return decorator


def wrap_fp16_model(model: nn.Module) -> None:
    """Turn on ``fp16_enabled`` for every submodule that declares the attribute.

    Weights stay float32 (torch>=1.6 behaviour); ``auto_fp16`` methods do the casting.
    """
    for m in model.modules():
        if hasattr(m, 'fp16_enabled'):
            m.fp16_enabled = True


def patch_forward_method(func: Callable, src_type: torch.dtype, dst_type: torch.dtype,
                         convert_output: bool = True) -> Callable:
    """Wrap ``func`` so its tensor inputs are cast src_type -> dst_type (and the output back)."""

    def new_forward(*args: Any, **kwargs: Any) -> Any:
        output = func(*cast_tensor_type(args, src_type, dst_type),
                      **cast_tensor_type(kwargs, src_type, dst_type))
        if convert_output:
            output = cast_tensor_type(output, dst_type, src_type)
        return output

    return new_forward


def patch_norm_fp32(module: nn.Module) -> nn.Module:
    """Keep batch/group norm layers in float32 inside a half-precision model (mmcv's recursion):
    their weights become float32 and GroupNorm's forward casts half inputs to float and back."""
    if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.GroupNorm)):
        module.float()
        if isinstance(module, nn.GroupNorm):
            module.forward = patch_forward_method(module.forward, torch.half, torch.float)
    for child in module.children():
        patch_norm_fp32(child)
    return module


class LossScaler:
    """The legacy (pre-torch-1.6) mmcv loss scaler, kept for code that imports it.

    Args:
        init_scale: initial scale.
        mode: 'dynamic' (shrink on overflow, grow after ``scale_window`` clean steps) or 'static'.
        scale_factor: growth/shrink factor.
        scale_window: clean iterations between two growths.
    """

    def __init__(self, init_scale: float = 2**32, mode: str = 'dynamic', scale_factor: float = 2.,
                 scale_window: int = 1000) -> None:
        assert mode in ('dynamic', 'static'), 'mode can only be dynamic or static'
        self.cur_scale = init_scale
        self.cur_iter = 0
        self.mode = mode
        self.last_overflow_iter = -1
        self.scale_factor = scale_factor
        self.scale_window = scale_window

    def has_overflow(self, params: Iterable[torch.Tensor]) -> bool:
        """True if any gradient has inf/nan (always False in static mode)."""
        if self.mode != 'dynamic':
            return False
        return any(p.grad is not None and self._has_inf_or_nan(p.grad.data) for p in params)

    @staticmethod
    def _has_inf_or_nan(x: torch.Tensor) -> bool:
        total = float(x.float().sum())
        return not math.isfinite(total)

    def update_scale(self, overflow: bool) -> None:
        if self.mode != 'dynamic':
            return
        if overflow:
            self.cur_scale = max(self.cur_scale / self.scale_factor, 1)
            self.last_overflow_iter = self.cur_iter
        elif (self.cur_iter - self.last_overflow_iter) % self.scale_window == 0:
            self.cur_scale *= self.scale_factor
        self.cur_iter += 1

    def state_dict(self) -> Dict[str, Any]:
        return dict(cur_scale=self.cur_scale, cur_iter=self.cur_iter, mode=self.mode,
                    last_overflow_iter=self.last_overflow_iter, scale_factor=self.scale_factor,
                    scale_window=self.scale_window)

    def load_state_dict(self, state_dict: Dict[str, Any]) -> None:
        for key in ('cur_scale', 'cur_iter', 'mode', 'last_overflow_iter', 'scale_factor',
                    'scale_window'):
            setattr(self, key, state_dict[key])

    @property
    def loss_scale(self) -> float:
        return self.cur_scale
