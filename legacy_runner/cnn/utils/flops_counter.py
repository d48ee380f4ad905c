"""FLOPs and parameter counting by forward hooks (mmcv 1.x ``get_model_complexity_info``).

Counting follows flops-counter.pytorch (V. Sovrasov, MIT licence) as mmcv adapted it: a
multiply-add is one FLOP, only the layer types of :func:`get_modules_mapping` are counted, and
the numbers and printed strings are mmcv's.
"""
import sys
import warnings
from functools import partial
from typing import Any, Callable, Dict, Optional, TextIO, Tuple

import numpy as np
import torch
from torch import nn

from ..bricks import wrappers as _wrappers


def get_model_complexity_info(model: nn.Module, input_shape: tuple, print_per_layer_stat: bool = True,
                              as_strings: bool = True, input_constructor: Optional[Callable] = None,
                              flush: bool = False, ost: TextIO = sys.stdout) -> tuple:
    """FLOPs and parameters of ``model`` for one input of shape ``(1, *input_shape)``.

    Args:
        model: the model.
        input_shape: input shape without the batch dimension.
        print_per_layer_stat: print the model with per-layer figures to ``ost``.
        as_strings: return '<x> GFLOPs' and '<y> M'/'k' strings instead of numbers.
        input_constructor: builds the forward's keyword arguments from ``input_shape``.
        flush: passed to ``print``. ost: where to print.

    Returns:
        ``(flops, params)`` as strings or numbers.
    """
    assert type(input_shape) is tuple
    assert len(input_shape) >= 1
    assert isinstance(model, nn.Module)
    flops_model = add_flops_counting_methods(model)
    flops_model.eval()
    flops_model.start_flops_count()
    if input_constructor:
        flops_model(**input_constructor(input_shape))
    else:
        try:
            param = next(flops_model.parameters())
            batch = torch.ones(()).new_empty((1, *input_shape), dtype=param.dtype, device=param.device)
        except StopIteration:
            # parameter-free models (a bare ReLU, a pool)
            batch = torch.ones(()).new_empty((1, *input_shape))
        flops_model(batch)
    flops_count, params_count = flops_model.compute_average_flops_cost()
    if print_per_layer_stat:
        print_model_with_flops(flops_model, flops_count, params_count, ost=ost, flush=flush)
    flops_model.stop_flops_count()
    if as_strings:
        return flops_to_string(flops_count), params_to_string(params_count)
    return flops_count, params_count


def flops_to_string(flops: float, units: Optional[str] = 'GFLOPs', precision: int = 2) -> str:
    """``flops`` in ``units`` ('GFLOPs', 'MFLOPs', 'KFLOPs'; None picks one), e.g. '0.08 GFLOPs'."""
    if units is None:
        if flops // 10**9 > 0:
            return str(round(flops / 10.**9, precision)) + ' GFLOPs'
        if flops // 10**6 > 0:
            return str(round(flops / 10.**6, precision)) + ' MFLOPs'
        if flops // 10**3 > 0:
            return str(round(flops / 10.**3, precision)) + ' KFLOPs'
        return str(flops) + ' FLOPs'
    scale = {'GFLOPs': 10.**9, 'MFLOPs': 10.**6, 'KFLOPs': 10.**3}.get(units)
    if scale is None:
        return str(flops) + ' FLOPs'
    return str(round(flops / scale, precision)) + ' ' + units


def params_to_string(num_params: float, units: Optional[str] = None, precision: int = 2) -> str:
    """A parameter count as '<x> M' / '<x> k' (None picks the unit), or the plain number."""
    if units is None:
        if num_params // 10**6 > 0:
            return str(round(num_params / 10**6, precision)) + ' M'
        if num_params // 10**3:
            return str(round(num_params / 10**3, precision)) + ' k'
        return str(num_params)
    if units == 'M':
        return str(round(num_params / 10.**6, precision)) + ' ' + units
    if units == 'K':
        return str(round(num_params / 10.**3, precision)) + ' ' + units
    return str(num_params)


def print_model_with_flops(model: nn.Module, total_flops: float, total_params: float,
                           units: Optional[str] = 'GFLOPs', precision: int = 3, ost: TextIO = sys.stdout,
                           flush: bool = False) -> None:
    """Print ``model`` with, on every module line, its params (M, share) and FLOPs (share)."""

    def accumulate_params(self: Any) -> float:
        if is_supported_instance(self):
            return self.__params__
        return sum(m.accumulate_params() for m in self.children())

    def accumulate_flops(self: Any) -> float:
        if is_supported_instance(self):
            return self.__flops__ / model.__batch_counter__
        return sum(m.accumulate_flops() for m in self.children())

    def flops_repr(self: Any) -> str:
        num_params = self.accumulate_params()
        flops_cost = self.accumulate_flops()
        return ', '.join([
            params_to_string(num_params, units='M', precision=precision),
            f'{num_params / total_params:.3%} Params',
            flops_to_string(flops_cost, units=units, precision=precision),
            f'{flops_cost / total_flops:.3%} FLOPs',
            self.original_extra_repr()
        ])

    def add_extra_repr(m: Any) -> None:
        m.accumulate_flops = accumulate_flops.__get__(m)
        m.accumulate_params = accumulate_params.__get__(m)
        flops_extra_repr = flops_repr.__get__(m)
        if m.extra_repr != flops_extra_repr:
            m.original_extra_repr = m.extra_repr
            m.extra_repr = flops_extra_repr
            assert m.extra_repr != m.original_extra_repr

    def del_extra_repr(m: Any) -> None:
        if hasattr(m, 'original_extra_repr'):
            m.extra_repr = m.original_extra_repr
            del m.original_extra_repr
        if hasattr(m, 'accumulate_flops'):
            del m.accumulate_flops

    model.apply(add_extra_repr)
    print(model, file=ost, flush=flush)
    model.apply(del_extra_repr)


def get_model_parameters_number(model: nn.Module) -> float:
    """Number of trainable parameters (``requires_grad``)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def add_flops_counting_methods(net_main_module: Any) -> Any:
    """Bind start/stop/reset_flops_count and compute_average_flops_cost to the model."""
    net_main_module.start_flops_count = start_flops_count.__get__(net_main_module)  # type: ignore
    net_main_module.stop_flops_count = stop_flops_count.__get__(net_main_module)  # type: ignore
    net_main_module.reset_flops_count = reset_flops_count.__get__(net_main_module)  # type: ignore
    net_main_module.compute_average_flops_cost = compute_average_flops_cost.__get__(  # type: ignore
        net_main_module)
    net_main_module.reset_flops_count()
    return net_main_module


def compute_average_flops_cost(self: Any) -> Tuple[float, float]:
    """``(FLOPs per image, trainable parameters)`` counted since the last reset."""
    flops_sum = 0
    for module in self.modules():
        if is_supported_instance(module):
            flops_sum += module.__flops__
    return flops_sum / self.__batch_counter__, get_model_parameters_number(self)


def start_flops_count(self: Any) -> None:
    """Install the batch counter and one FLOPs hook per supported module."""
    add_batch_counter_hook_function(self)

    def add_flops_counter_hook_function(module: Any) -> None:
        if is_supported_instance(module) and not hasattr(module, '__flops_handle__'):
            module.__flops_handle__ = module.register_forward_hook(get_modules_mapping()[type(module)])

    self.apply(partial(add_flops_counter_hook_function))


def stop_flops_count(self: Any) -> None:
    """Remove the hooks installed by :func:`start_flops_count`."""
    remove_batch_counter_hook_function(self)
    self.apply(remove_flops_counter_hook_function)


def reset_flops_count(self: Any) -> None:
    """Zero the batch and FLOPs counters."""
    add_batch_counter_variables_or_reset(self)
    self.apply(add_flops_counter_variable_or_reset)


# ---- hooks: each adds the FLOPs of one forward call to ``module.__flops__``
def empty_flops_counter_hook(module: Any, input: Any, output: Any) -> None:
    module.__flops__ += 0


def upsample_flops_counter_hook(module: Any, input: Any, output: Any) -> None:
    output_size = output[0]
    count = output_size.shape[0]
    for val in output_size.shape[1:]:
        count *= val
    module.__flops__ += int(count)


def relu_flops_counter_hook(module: Any, input: Any, output: torch.Tensor) -> None:
    module.__flops__ += int(output.numel())


def linear_flops_counter_hook(module: Any, input: Any, output: torch.Tensor) -> None:
    module.__flops__ += int(np.prod(input[0].shape) * output.shape[-1])


def pool_flops_counter_hook(module: Any, input: Any, output: Any) -> None:
    module.__flops__ += int(np.prod(input[0].shape))


def norm_flops_counter_hook(module: Any, input: Any, output: Any) -> None:
    batch_flops = np.prod(input[0].shape)
    if getattr(module, 'affine', False) or getattr(module, 'elementwise_affine', False):
        batch_flops *= 2
    module.__flops__ += int(batch_flops)


def deconv_flops_counter_hook(conv_module: Any, input: Any, output: torch.Tensor) -> None:
    x = input[0]
    batch_size = x.shape[0]
    input_height, input_width = x.shape[2:]
    kernel_height, kernel_width = conv_module.kernel_size
    filters_per_channel = conv_module.out_channels // conv_module.groups
    per_position = kernel_height * kernel_width * conv_module.in_channels * filters_per_channel
    overall_conv_flops = per_position * batch_size * input_height * input_width
    bias_flops = 0
    if conv_module.bias is not None:
        output_height, output_width = output.shape[2:]
        # mmcv counts output_height twice here (not the width); kept for identical numbers
        bias_flops = conv_module.out_channels * batch_size * output_height * output_height
    conv_module.__flops__ += int(overall_conv_flops + bias_flops)


def conv_flops_counter_hook(conv_module: Any, input: Any, output: torch.Tensor) -> None:
    batch_size = input[0].shape[0]
    filters_per_channel = conv_module.out_channels // conv_module.groups
    per_position = int(np.prod(list(conv_module.kernel_size))) * conv_module.in_channels * filters_per_channel
    active_elements_count = batch_size * int(np.prod(list(output.shape[2:])))
    bias_flops = conv_module.out_channels * active_elements_count if conv_module.bias is not None else 0
    conv_module.__flops__ += int(per_position * active_elements_count + bias_flops)


def batch_counter_hook(module: Any, input: Any, output: Any) -> None:
    batch_size = 1
    if len(input) > 0:
        batch_size = len(input[0])
    else:
        warnings.warn('No positional inputs found for a module, assuming batch size is 1.')
    module.__batch_counter__ += batch_size


def add_batch_counter_variables_or_reset(module: Any) -> None:
    module.__batch_counter__ = 0


def add_batch_counter_hook_function(module: Any) -> None:
    if hasattr(module, '__batch_counter_handle__'):
        return
    module.__batch_counter_handle__ = module.register_forward_hook(batch_counter_hook)


def remove_batch_counter_hook_function(module: Any) -> None:
    if hasattr(module, '__batch_counter_handle__'):
        module.__batch_counter_handle__.remove()
        del module.__batch_counter_handle__


def add_flops_counter_variable_or_reset(module: Any) -> None:
    if is_supported_instance(module):
        if hasattr(module, '__flops__') or hasattr(module, '__params__'):
            warnings.warn('variables __flops__ or __params__ are already defined for the module'
                          + type(module).__name__ + ' ptflops can affect your code!')
        module.__flops__ = 0
        module.__params__ = get_model_parameters_number(module)


def is_supported_instance(module: Any) -> bool:
    """Whether the exact type of ``module`` has a FLOPs hook (subclasses do not count)."""
    return type(module) in get_modules_mapping()


def remove_flops_counter_hook_function(module: Any) -> None:
    if is_supported_instance(module) and hasattr(module, '__flops_handle__'):
        module.__flops_handle__.remove()
        del module.__flops_handle__


def get_modules_mapping() -> Dict:
    """Layer type -> FLOPs hook."""
    return {
        # convolutions
        nn.Conv1d: conv_flops_counter_hook,
        nn.Conv2d: conv_flops_counter_hook,
        _wrappers.Conv2d: conv_flops_counter_hook,
        nn.Conv3d: conv_flops_counter_hook,
        _wrappers.Conv3d: conv_flops_counter_hook,
        # activations
        nn.ReLU: relu_flops_counter_hook,
        nn.PReLU: relu_flops_counter_hook,
        nn.ELU: relu_flops_counter_hook,
        nn.LeakyReLU: relu_flops_counter_hook,
        nn.ReLU6: relu_flops_counter_hook,
        # poolings
        nn.MaxPool1d: pool_flops_counter_hook,
        nn.AvgPool1d: pool_flops_counter_hook,
        nn.AvgPool2d: pool_flops_counter_hook,
        nn.MaxPool2d: pool_flops_counter_hook,
        _wrappers.MaxPool2d: pool_flops_counter_hook,
        nn.MaxPool3d: pool_flops_counter_hook,
        _wrappers.MaxPool3d: pool_flops_counter_hook,
        nn.AvgPool3d: pool_flops_counter_hook,
        nn.AdaptiveMaxPool1d: pool_flops_counter_hook,
        nn.AdaptiveAvgPool1d: pool_flops_counter_hook,
        nn.AdaptiveMaxPool2d: pool_flops_counter_hook,
        nn.AdaptiveAvgPool2d: pool_flops_counter_hook,
        nn.AdaptiveMaxPool3d: pool_flops_counter_hook,
        nn.AdaptiveAvgPool3d: pool_flops_counter_hook,
        # normalizations
        nn.BatchNorm1d: norm_flops_counter_hook,
        nn.BatchNorm2d: norm_flops_counter_hook,
        nn.BatchNorm3d: norm_flops_counter_hook,
        nn.GroupNorm: norm_flops_counter_hook,
        nn.InstanceNorm1d: norm_flops_counter_hook,
        nn.InstanceNorm2d: norm_flops_counter_hook,
        nn.InstanceNorm3d: norm_flops_counter_hook,
        nn.LayerNorm: norm_flops_counter_hook,
        # FC
        nn.Linear: linear_flops_counter_hook,
        _wrappers.Linear: linear_flops_counter_hook,
        # upsampling
        nn.Upsample: upsample_flops_counter_hook,
        # deconvolution
        nn.ConvTranspose2d: deconv_flops_counter_hook,
        _wrappers.ConvTranspose2d: deconv_flops_counter_hook,
    }
