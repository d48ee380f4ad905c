"""The lower layers of ``mmcv.parallel``: ``_functions`` (Scatter), the DataContainer type check
and the deprecated (pre-DDP) ``MMDistributedDataParallel`` of ``distributed_deprecated``."""
import functools
from typing import Any, Callable, List, Optional, Tuple, Union

import torch
import torch.distributed as dist
from torch import Tensor, nn
from torch._utils import _flatten_dense_tensors, _take_tensors, _unflatten_dense_tensors
from torch.nn.parallel._functions import _get_stream

from .parallel import MODULE_WRAPPERS, DataContainer, scatter_kwargs

ScatterInputs = Union[Tensor, DataContainer, tuple, list, dict]


def scatter(input: Union[List, Tensor], devices: List, streams: Optional[List] = None) -> Union[List, Tensor]:
    """Scatter a tensor (or a list with one entry per device) to ``devices`` ([-1] = stay on CPU)."""
    if streams is None:
        streams = [None] * len(devices)
    if isinstance(input, list):
        chunk_size = (len(input) - 1) // len(devices) + 1
        return [scatter(input[i], [devices[i // chunk_size]], [streams[i // chunk_size]])
                for i in range(len(input))]
    if isinstance(input, Tensor):
        output = input.contiguous()
        stream = streams[0] if output.numel() > 0 else None
        if devices != [-1]:
            with torch.cuda.device(devices[0]), torch.cuda.stream(stream):
                output = output.cuda(devices[0], non_blocking=True)
        return output
    raise Exception(f'Unknown type {type(input)}.')


def synchronize_stream(output: Union[List, Tensor], devices: List, streams: List) -> None:
    """Make the outputs wait for the copy streams that produced them."""
    if isinstance(output, list):
        chunk_size = len(output) // len(devices)
        for i in range(len(devices)):
            for j in range(chunk_size):
                synchronize_stream(output[i * chunk_size + j], [devices[i]], [streams[i]])
    elif isinstance(output, Tensor):
        if output.numel() != 0:
            with torch.cuda.device(devices[0]):
                main_stream = torch.cuda.current_stream()
                main_stream.wait_stream(streams[0])
                output.record_stream(main_stream)
    else:
        raise Exception(f'Unknown type {type(output)}.')


def get_input_device(input: Union[List, Tensor]) -> int:
    """The CUDA device index of the first tensor found, or -1 for CPU."""
    if isinstance(input, list):
        for item in input:
            input_device = get_input_device(item)
            if input_device != -1:
                return input_device
        return -1
    if isinstance(input, Tensor):
        return input.get_device() if input.is_cuda else -1
    raise Exception(f'Unknown type {type(input)}.')


class Scatter:
    """mmcv's Scatter: ``Scatter.forward(target_gpus, input)`` -> a tuple with one entry per device."""

    @staticmethod
    def forward(target_gpus: List[int], input: Union[List, Tensor]) -> tuple:
        input_device = get_input_device(input)
        streams = None
        if input_device == -1 and target_gpus != [-1]:
            # copying from the CPU to GPUs happens on background streams
            streams = [_get_stream(torch.device('cuda', device)) for device in target_gpus]
        outputs = scatter(input, target_gpus, streams)
        if streams is not None:
            synchronize_stream(outputs, target_gpus, streams)
        return tuple(outputs) if isinstance(outputs, list) else (outputs, )


def assert_tensor_type(func: Callable) -> Callable:
    """DataContainer method decorator: the payload must be a tensor."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not isinstance(args[0].data, torch.Tensor):
            raise AttributeError(f'{args[0].__class__.__name__} has no attribute {func.__name__} for type '
                                 f'{args[0].datatype}')
        return func(*args, **kwargs)

    return wrapper


class MMDistributedDataParallel(nn.Module):
    """mmcv's deprecated distributed wrapper: broadcasts rank 0's weights (and buffers) at start;
    gradients are synchronised by the optimizer hook (``allreduce_grads``), not here."""

    def __init__(self, module: nn.Module, dim: int = 0, broadcast_buffers: bool = True,
                 bucket_cap_mb: int = 25) -> None:
        super().__init__()
        self.module = module
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.broadcast_bucket_size = bucket_cap_mb * 1024 * 1024
        self._sync_params()

    def _dist_broadcast_coalesced(self, tensors: List[Tensor], buffer_size: int) -> None:
        for chunk in _take_tensors(tensors, buffer_size):
            flat = _flatten_dense_tensors(chunk)
            dist.broadcast(flat, 0)
            for tensor, synced in zip(chunk, _unflatten_dense_tensors(flat, chunk)):
                tensor.copy_(synced)

    def _sync_params(self) -> None:
        states = list(self.module.state_dict().values())
        if states:
            self._dist_broadcast_coalesced(states, self.broadcast_bucket_size)
        if self.broadcast_buffers:
            buffers = [b.data for b in self.module.buffers()]
            if buffers:
                self._dist_broadcast_coalesced(buffers, self.broadcast_bucket_size)

    def _devices(self) -> List[int]:
        return [torch.cuda.current_device()] if torch.cuda.is_available() else [-1]

    def scatter(self, inputs: Any, kwargs: Any, device_ids: List[int]) -> Tuple[tuple, tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        ins, kws = self.scatter(inputs, kwargs, self._devices())
        return self.module(*ins[0], **kws[0])

    def train_step(self, *inputs: Any, **kwargs: Any) -> Any:
        ins, kws = self.scatter(inputs, kwargs, self._devices())
        # nn.Module.__getattr__ is typed Tensor | Module; the wrapped model defines the step method
        return self.module.train_step(*ins[0], **kws[0])  # type: ignore[operator]

    def val_step(self, *inputs: Any, **kwargs: Any) -> Any:
        ins, kws = self.scatter(inputs, kwargs, self._devices())
        return self.module.val_step(*ins[0], **kws[0])  # type: ignore[operator]  # as train_step


# a wrapper for is_module_wrapper; its own name, so the modern MMDistributedDataParallel keeps its key
MODULE_WRAPPERS.register_module(name='MMDistributedDataParallelDeprecated', module=MMDistributedDataParallel)

__all__ = ['MMDistributedDataParallel', 'Scatter', 'ScatterInputs', 'assert_tensor_type', 'get_input_device',
           'scatter', 'synchronize_stream']
