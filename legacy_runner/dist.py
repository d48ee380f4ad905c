"""Distributed helpers with mmcv 1.x semantics: rank info, process-group setup, gradient averaging.

On a CPU-only machine the 'nccl' backend cannot work, so init_dist falls back to 'gloo' there
(mmcv would fail inside ``torch.cuda.set_device``).
"""
import functools
import getpass
import os
import socket
import subprocess
import time
import warnings
from collections import OrderedDict
from typing import Any, Callable, Iterable, Optional, Tuple

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch._utils import _flatten_dense_tensors, _take_tensors, _unflatten_dense_tensors


def get_dist_info() -> Tuple[int, int]:
    """``(rank, world_size)``; ``(0, 1)`` when no process group is initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def master_only(func: Callable) -> Callable:
    """Run ``func`` on rank 0 only; other ranks get None."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        rank, _ = get_dist_info()
        if rank == 0:
            return func(*args, **kwargs)
        return None

    return wrapper


def _resolve_backend(backend: str) -> str:
    # nccl needs CUDA; a CPU-only host can still run multi-process training over gloo.
    if backend == 'nccl' and not torch.cuda.is_available():
        return 'gloo'
    return backend


def _set_device(local_rank: int) -> None:
    num_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if num_gpus > 0:
        torch.cuda.set_device(local_rank % num_gpus)


def _init_dist_pytorch(backend: str, **kwargs: Any) -> None:
    # torchrun / torch.distributed.launch export RANK, LOCAL_RANK and WORLD_SIZE (env:// init).
    rank = int(os.environ['RANK'])
    local_rank = int(os.environ.get('LOCAL_RANK', rank))
    _set_device(local_rank)
    dist.init_process_group(backend=_resolve_backend(backend), **kwargs)


def _init_dist_mpi(backend: str, **kwargs: Any) -> None:
    local_rank = int(os.environ['OMPI_COMM_WORLD_LOCAL_RANK'])
    _set_device(local_rank)
    if 'MASTER_PORT' not in os.environ:
        os.environ['MASTER_PORT'] = '29500'
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('The environment variable MASTER_ADDR is not set')
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    dist.init_process_group(backend=_resolve_backend(backend), **kwargs)


def _is_free_port(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        return s.connect_ex(('localhost', port)) != 0


def _find_free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('', 0))
        return s.getsockname()[1]


def _init_dist_slurm(backend: str, port: Optional[int] = None) -> None:
    proc_id = int(os.environ['SLURM_PROCID'])
    ntasks = int(os.environ['SLURM_NTASKS'])
    node_list = os.environ['SLURM_NODELIST']
    num_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    _set_device(proc_id)
    addr = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    elif 'MASTER_PORT' not in os.environ:
        os.environ['MASTER_PORT'] = '29500' if _is_free_port(29500) else str(_find_free_port())
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = addr
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = str(proc_id % num_gpus if num_gpus else 0)
    os.environ['RANK'] = str(proc_id)
    dist.init_process_group(backend=_resolve_backend(backend))


def init_dist(launcher: str, backend: str = 'nccl', **kwargs: Any) -> None:
    """Initialise the default process group for launcher 'pytorch', 'mpi' or 'slurm'."""
    if mp.get_start_method(allow_none=True) is None:
        mp.set_start_method('spawn')
    if launcher == 'pytorch':
        _init_dist_pytorch(backend, **kwargs)
    elif launcher == 'mpi':
        _init_dist_mpi(backend, **kwargs)
    elif launcher == 'slurm':
        _init_dist_slurm(backend, **kwargs)
    else:
        raise ValueError(f'Invalid launcher type: {launcher}')


def _divide_(t: torch.Tensor, world_size: int) -> torch.Tensor:
    # Integer buffers (BatchNorm's num_batches_tracked) cannot take a true division in place;
    # mmcv fails there, we floor-divide the sum instead.
    if t.is_floating_point() or t.is_complex():
        return t.div_(world_size)
    return t.div_(world_size, rounding_mode='floor')


def _allreduce_coalesced(tensors: list, world_size: int, bucket_size_mb: int = -1) -> None:
    if bucket_size_mb > 0:
        buckets = _take_tensors(tensors, bucket_size_mb * 1024 * 1024)
    else:
        # One bucket per tensor type: flattening needs a single dtype/device.
        by_type: 'OrderedDict[str, list]' = OrderedDict()
        for t in tensors:
            by_type.setdefault(t.type(), []).append(t)
        buckets = by_type.values()
    for bucket in buckets:
        flat = _flatten_dense_tensors(bucket)
        dist.all_reduce(flat)
        _divide_(flat, world_size)
        for t, synced in zip(bucket, _unflatten_dense_tensors(flat, bucket)):
            t.copy_(synced)


def _allreduce(tensors: list, coalesce: bool, bucket_size_mb: int) -> None:
    _, world_size = get_dist_info()
    if world_size == 1:
        return
    if coalesce:
        _allreduce_coalesced(tensors, world_size, bucket_size_mb)
    else:
        for t in tensors:
            if t.is_floating_point():
                dist.all_reduce(t.div_(world_size))
            else:
                dist.all_reduce(t)
                _divide_(t, world_size)


def allreduce_grads(params: Iterable[torch.nn.Parameter], coalesce: bool = True,
                    bucket_size_mb: int = -1) -> None:
    """Average the gradients of ``params`` over all ranks (no-op for a single process)."""
    grads = [p.grad.data for p in params if p.requires_grad and p.grad is not None]
    _allreduce(grads, coalesce, bucket_size_mb)


def allreduce_params(params: Iterable[torch.Tensor], coalesce: bool = True,
                     bucket_size_mb: int = -1) -> None:
    """Average parameters or buffers over all ranks (no-op for a single process)."""
    tensors = [p.data for p in params]
    _allreduce(tensors, coalesce, bucket_size_mb)


def get_host_info() -> str:
    """``'user@hostname'``, or '' (with a warning) when either cannot be determined."""
    host = ''
    try:
        host = f'{getpass.getuser()}@{socket.gethostname()}'
    except Exception as e:
        warnings.warn(f'Host or user not found: {e}')
    return host


def get_time_str() -> str:
    return time.strftime('%Y%m%d_%H%M%S', time.localtime())
