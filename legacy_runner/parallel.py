"""``mmcv.parallel``: DataContainer, collate, scatter and the MM(Distributed)DataParallel wrappers.

CPU is a first-class target: ``target_gpus == [-1]`` means "stay on the CPU", in which case
scatter only unpacks DataContainers and splits nothing.
"""
import functools
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch.nn.parallel import DataParallel, DistributedDataParallel
from torch.nn.parallel._functions import Scatter as _TorchScatter
from torch.utils.data.dataloader import default_collate

from .registry import Registry

MODULE_WRAPPERS = Registry('module wrapper')
MODULE_WRAPPERS.register_module(module=DataParallel)
MODULE_WRAPPERS.register_module(module=DistributedDataParallel)


def is_module_wrapper(module: Any) -> bool:
    """True if ``module`` is an instance of a class in MODULE_WRAPPERS or any of its children."""

    def in_registry(registry: Registry) -> bool:
        if isinstance(module, tuple(registry.module_dict.values())):
            return True
        return any(in_registry(child) for child in registry.children.values())

    return in_registry(MODULE_WRAPPERS)


# ----------------------------------------------------------------------------- DataContainer
def _needs_tensor(method: Callable) -> Callable:
    @functools.wraps(method)
    def wrapper(self: 'DataContainer', *args: Any, **kwargs: Any) -> Any:
        if not isinstance(self.data, torch.Tensor):
            raise AttributeError(f'{self.__class__.__name__} has no attribute '
                                 f'{method.__name__} for type {self.datatype}')
        return method(self, *args, **kwargs)

    return wrapper


class DataContainer:
    """A batch item with instructions for ``collate`` and ``scatter``.

    Args:
        data: the payload (tensor or any object).
        stack: stack tensors into one batch tensor (after padding ``pad_dims`` last dims).
        padding_value: fill value when padding.
        cpu_only: keep the payload on the CPU (scatter returns it as is).
        pad_dims: number of trailing dims to pad (None, 1, 2 or 3).
    """

    def __init__(self, data: Any, stack: bool = False, padding_value: float = 0, cpu_only: bool = False,
                 pad_dims: Optional[int] = 2) -> None:
        self._data = data
        self._cpu_only = cpu_only
        self._stack = stack
        self._padding_value = padding_value
        assert pad_dims in [None, 1, 2, 3]
        self._pad_dims = pad_dims

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.data!r})'

    def __len__(self) -> int:
        return len(self._data)

    @property
    def data(self) -> Any:
        return self._data

    @property
    def datatype(self) -> Any:
        if isinstance(self.data, torch.Tensor):
            return self.data.type()
        return type(self.data)

    @property
    def cpu_only(self) -> bool:
        return self._cpu_only

    @property
    def stack(self) -> bool:
        return self._stack

    @property
    def padding_value(self) -> float:
        return self._padding_value

    @property
    def pad_dims(self) -> Optional[int]:
        return self._pad_dims

    @_needs_tensor
    def size(self, *args: Any, **kwargs: Any) -> Any:
        return self.data.size(*args, **kwargs)

    @_needs_tensor
    def dim(self) -> int:
        return self.data.dim()


# ----------------------------------------------------------------------------- collate
def _pad_and_stack(samples: Sequence[DataContainer]) -> torch.Tensor:
    """Pad the last ``pad_dims`` dims of every sample to the largest size, then stack."""
    first = samples[0]
    pad_dims = first.pad_dims
    assert pad_dims is not None  # the caller stacks unpadded containers itself
    ndim = first.dim()
    assert ndim > pad_dims
    for sample in samples:
        # the leading (non-padded) dims must agree exactly
        for d in range(ndim - pad_dims):
            assert first.size(d) == sample.size(d)
    max_sizes = [max(s.size(-d) for s in samples) for d in range(1, pad_dims + 1)]
    padded = []
    for sample in samples:
        # F.pad lists (left, right) pairs from the last dim backwards; pad on the right only.
        pad: List[int] = []
        for d in range(1, pad_dims + 1):
            pad += [0, max_sizes[d - 1] - sample.size(-d)]
        padded.append(F.pad(sample.data, pad, value=sample.padding_value))
    return default_collate(padded)


def _collate_containers(batch: Sequence[DataContainer], samples_per_gpu: int) -> DataContainer:
    first = batch[0]
    chunks = [batch[i:i + samples_per_gpu] for i in range(0, len(batch), samples_per_gpu)]
    if first.cpu_only:
        return DataContainer([[s.data for s in c] for c in chunks], first.stack, first.padding_value,
                             cpu_only=True)
    if not first.stack:
        return DataContainer([[s.data for s in c] for c in chunks], first.stack, first.padding_value)
    stacked = []
    for chunk in chunks:
        assert isinstance(chunk[0].data, torch.Tensor)
        if chunk[0].pad_dims is None:
            stacked.append(default_collate([s.data for s in chunk]))
        else:
            stacked.append(_pad_and_stack(chunk))
    return DataContainer(stacked, first.stack, first.padding_value)


def collate(batch: Sequence[Any], samples_per_gpu: int = 1) -> Any:
    """Collate a list of samples, treating DataContainers by their flags.

    DataContainers are grouped per ``samples_per_gpu``: cpu_only or non-stacked ones become
    lists of payloads, stacked ones are padded and stacked. Sequences are transposed and
    mappings collated per key (recursively); everything else goes to torch's default_collate.
    """
    if not isinstance(batch, Sequence):
        raise TypeError(f'{batch.dtype} is not supported.')
    first = batch[0]
    if isinstance(first, DataContainer):
        return _collate_containers(batch, samples_per_gpu)
    # mmcv treats str as a Sequence and recurses forever; strings are leaves here.
    if isinstance(first, Sequence) and not isinstance(first, str):
        return [collate(samples, samples_per_gpu) for samples in zip(*batch)]
    if isinstance(first, Mapping):
        return {key: collate([d[key] for d in batch], samples_per_gpu) for key in first}
    return default_collate(batch)  # type: ignore[arg-type]  # torch annotates list; any sequence works


# ----------------------------------------------------------------------------- scatter
# target devices: GPU indices (or torch devices, as DataParallel allows); [-1] means the CPU
Devices = Sequence[Union[int, torch.device]]


def _to_devices(obj: Any, devices: Devices) -> Any:
    """Move a tensor, or a (nested) list with one entry per device, to ``devices``.

    On the CPU (``[-1]``) tensors are only made contiguous, mirroring mmcv's CPU path.
    """
    if isinstance(obj, list):
        chunk = (len(obj) - 1) // len(devices) + 1
        return [_to_devices(x, [devices[i // chunk]]) for i, x in enumerate(obj)]
    if isinstance(obj, torch.Tensor):
        out = obj.contiguous()
        if devices != [-1]:
            out = out.cuda(devices[0], non_blocking=True)
        return out
    raise Exception(f'Unknown type {type(obj)}.')


def _scatter_payload(obj: Any, target_gpus: Devices) -> Tuple:
    out = _to_devices(obj, target_gpus)
    return tuple(out) if isinstance(out, list) else (out, )


def scatter_nested(inputs: Any, devices: Devices, tensor_fn: Callable[[Any], Any],
                   payload_fn: Callable[[Any], Any]) -> Any:
    """One copy of ``inputs`` per device: tensors through ``tensor_fn``, DataContainer payloads
    through ``payload_fn`` (``cpu_only`` ones as they are), tuples/lists/dicts zipped per device,
    anything else replicated. Shared by ``mmcv.parallel.scatter`` and ``mmcv.device``'s."""

    def scatter_map(obj: Any) -> Any:
        if isinstance(obj, torch.Tensor):
            return tensor_fn(obj)
        if isinstance(obj, DataContainer):
            return obj.data if obj.cpu_only else payload_fn(obj.data)
        if isinstance(obj, tuple) and len(obj) > 0:
            return list(zip(*map(scatter_map, obj)))
        if isinstance(obj, list) and len(obj) > 0:
            return [list(x) for x in zip(*map(scatter_map, obj))]
        if isinstance(obj, dict) and len(obj) > 0:
            return [type(obj)(x) for x in zip(*map(scatter_map, obj.items()))]
        return [obj for _ in devices]

    return scatter_map(inputs)


def scatter(inputs: Any, target_gpus: Devices, dim: int = 0) -> List[Any]:
    """Split ``inputs`` into one copy per target device (``[-1]`` = CPU, no split).

    Tensors are chunked along ``dim`` over GPUs; DataContainers are unpacked (their payload is
    already one entry per device); other objects are replicated.
    """

    def tensor_fn(obj: torch.Tensor) -> Any:
        if target_gpus != [-1]:
            return _TorchScatter.apply(target_gpus, None, dim, obj)
        return _scatter_payload(obj, target_gpus)

    return scatter_nested(inputs, target_gpus, tensor_fn, lambda data: _scatter_payload(data, target_gpus))


def pair_scattered(inputs: List[Any], kwargs: List[Any]) -> Tuple[Tuple, Tuple]:
    """Pad the shorter of the scattered positional/keyword lists so they pair up per device."""
    if len(inputs) < len(kwargs):
        inputs.extend([() for _ in range(len(kwargs) - len(inputs))])
    elif len(kwargs) < len(inputs):
        kwargs.extend([{} for _ in range(len(inputs) - len(kwargs))])
    return tuple(inputs), tuple(kwargs)


def scatter_kwargs(inputs: Any, kwargs: Any, target_gpus: Devices,
                   dim: int = 0) -> Tuple[Tuple, Tuple]:
    """Scatter positional and keyword inputs; pad the shorter list so they pair up per device."""
    return pair_scattered(scatter(inputs, target_gpus, dim) if inputs else [],
                          scatter(kwargs, target_gpus, dim) if kwargs else [])


# ----------------------------------------------------------------------------- wrappers
@MODULE_WRAPPERS.register_module()
class MMDataParallel(DataParallel):
    """DataParallel that understands DataContainers and forwards ``train_step``/``val_step``.

    Without CUDA torch leaves ``device_ids`` empty; then inputs are only unpacked on the CPU and
    the wrapped module is called directly. Only a single GPU is supported for the step methods.
    """

    def __init__(self, *args: Any, dim: int = 0, **kwargs: Any) -> None:
        # dim is keyword-only here, so *args never holds it
        super().__init__(*args, dim=dim, **kwargs)  # type: ignore[misc]
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        if not self.device_ids:
            ins, kws = self.scatter(inputs, kwargs, [-1])
            return self.module(*ins[0], **kws[0])
        return super().forward(*inputs, **kwargs)

    def scatter(self, inputs: Any, kwargs: Any, device_ids: Devices) -> Tuple[Tuple, Tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def _step(self, step: str, inputs: Tuple, kwargs: Dict) -> Any:
        if not self.device_ids:
            ins, kws = self.scatter(inputs, kwargs, [-1])
            return getattr(self.module, step)(*ins[0], **kws[0])
        assert len(self.device_ids) == 1, (
            'MMDataParallel only supports single GPU training, if you need to train with multiple '
            'GPUs, please use MMDistributedDataParallel instead.')
        for t in chain(self.module.parameters(), self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError('module must have its parameters and buffers on device '
                                   f'{self.src_device_obj} (device_ids[0]) but found one of them '
                                   f'on device: {t.device}')
        ins, kws = self.scatter(inputs, kwargs, self.device_ids)
        return getattr(self.module, step)(*ins[0], **kws[0])

    def train_step(self, *inputs: Any, **kwargs: Any) -> Any:
        return self._step('train_step', inputs, kwargs)

    def val_step(self, *inputs: Any, **kwargs: Any) -> Any:
        return self._step('val_step', inputs, kwargs)


@MODULE_WRAPPERS.register_module()
class MMDistributedDataParallel(DistributedDataParallel):
    """DDP whose ``train_step``/``val_step`` run the module's step inside DDP's forward bookkeeping.

    DDP only synchronises gradients for outputs produced between its pre- and post-forward
    steps, so the step method runs there instead of ``module.forward``. Works with gloo on CPU
    (``device_ids=None``).
    """

    def to_kwargs(self, inputs: Any, kwargs: Any, device_id: int) -> Tuple[Tuple, Tuple]:
        return scatter_kwargs(inputs, kwargs, [device_id], dim=self.dim)

    def scatter(self, inputs: Any, kwargs: Any, device_ids: List[int]) -> Tuple[Tuple, Tuple]:
        return scatter_kwargs(inputs, kwargs, device_ids, dim=self.dim)

    def _run_step(self, step: str, inputs: Tuple, kwargs: Dict) -> Any:
        ins, kws = self.scatter(inputs, kwargs, self.device_ids or [-1])
        args, kw = ins[0], kws[0]
        step_fn = getattr(self.module, step)
        if hasattr(self, '_pre_forward') and hasattr(self, '_post_forward'):
            with torch.autograd.profiler.record_function(f'MMDistributedDataParallel.{step}'):
                args, kw = self._pre_forward(*args, **kw)
                return self._post_forward(step_fn(*args, **kw))
        return self._forward_through_call(step_fn, args, kw)

    def _forward_through_call(self, step_fn: Callable, args: Tuple, kw: Dict) -> Any:
        """Fallback for DDP versions without ``_pre/_post_forward``: route ``DDP.__call__`` to the step.

        The step usually calls ``self(...)`` itself, so the real forward is restored as soon as
        the redirected call starts.
        """
        module = self.module
        had_own = 'forward' in module.__dict__
        own_forward = module.__dict__.get('forward')

        def restore() -> None:
            if had_own:
                module.forward = own_forward
            else:
                module.__dict__.pop('forward', None)

        def redirected(*a: Any, **k: Any) -> Any:
            restore()
            return step_fn(*a, **k)

        module.forward = redirected
        try:
            return self(*args, **kw)
        finally:
            restore()

    def train_step(self, *inputs: Any, **kwargs: Any) -> Any:
        return self._run_step('train_step', inputs, kwargs)

    def val_step(self, *inputs: Any, **kwargs: Any) -> Any:
        return self._run_step('val_step', inputs, kwargs)
