"""Distributed helpers with mmcv 1.x semantics: rank info, process-group setup, gradient averaging.

On a CPU-only machine the 'nccl' backend cannot work, so init_dist falls back to 'gloo' there
(mmcv would fail inside ``torch.cuda.set_device``).
"""
import functools
import getpass
import itertools
import os
import re
import shutil
import socket
import subprocess
import time
import warnings
from collections import OrderedDict
from typing import Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch._utils import _flatten_dense_tensors, _take_tensors, _unflatten_dense_tensors

from .errors import ConfigError


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


_SLURM_HINT = 'start the job with srun/sbatch, or choose another --launcher'


def _slurm_env(name: str, env: Optional[Mapping[str, str]] = None) -> str:
    value = (os.environ if env is None else env).get(name)
    if value is None or not value.strip():
        raise ConfigError(f'--launcher slurm: the environment variable {name} is not set ({_SLURM_HINT})')
    return value.strip()


def _slurm_int(name: str, env: Optional[Dict[str, str]] = None) -> int:
    value = _slurm_env(name, env)
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f'--launcher slurm: {name}={value!r} is not an integer') from None


def _split_top_level(text: str, sep: str = ',') -> List[str]:
    """``text`` split at the ``sep`` characters that lie outside brackets."""
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == '[':
            depth += 1
        elif c == ']':
            depth -= 1
            if depth < 0:
                break
        elif c == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0:
        raise ValueError(f'unbalanced brackets in {text!r}')
    parts.append(text[start:])
    return parts


def _bracket_values(spec: str) -> Iterator[str]:
    """``'01-03,7'`` -> 01, 02, 03, 7 (a range keeps the zero padding of its lower bound)."""
    for item in spec.split(','):
        lo, dash, hi = item.strip().partition('-')
        if not lo.isdigit() or (dash and not hi.isdigit()):
            raise ValueError(f'bad range {item!r} in [{spec}]')
        if not dash:
            yield lo
            continue
        width = len(lo) if lo.startswith('0') else 0
        if int(hi) < int(lo):
            raise ValueError(f'bad range {item!r} in [{spec}]')
        for n in range(int(lo), int(hi) + 1):
            yield str(n).zfill(width)


def _expand_host_pattern(pattern: str) -> Iterator[str]:
    """One hostlist item, e.g. ``rack[1-2]-n[01-02]``: the product of its bracket groups, in order."""
    pieces = re.split(r'\[([^\[\]]*)\]', pattern)
    literals, groups = pieces[0::2], pieces[1::2]
    if any('[' in lit or ']' in lit for lit in literals):
        raise ValueError(f'bad brackets in {pattern!r}')
    for combo in itertools.product(*(list(_bracket_values(g)) for g in groups)):
        yield ''.join(lit + num for lit, num in zip(literals, combo + ('', )))


def expand_nodelist(nodelist: str) -> Iterator[str]:
    """The host names of a Slurm hostlist such as ``gpu-a[001-002],gpu-b7``, in order (what
    ``scontrol show hostnames`` prints). Raises ValueError on a malformed list."""
    items = [item.strip() for item in _split_top_level(nodelist.strip())]
    if not any(items):
        raise ValueError('empty node list')
    for item in items:
        if not item:
            raise ValueError(f'empty entry in {nodelist!r}')
        yield from _expand_host_pattern(item)


def slurm_first_host(nodelist: str) -> str:
    """The first host of ``nodelist``: from ``scontrol show hostnames`` when scontrol is on PATH
    (and answers), else parsed here (``node[01-04]`` -> ``node01``). Bad list -> ConfigError."""
    scontrol = shutil.which('scontrol')
    if scontrol is not None:
        try:
            out = subprocess.run([scontrol, 'show', 'hostnames', nodelist], capture_output=True, text=True,
                                 timeout=60)
            hosts = out.stdout.split() if out.returncode == 0 else []
        except (OSError, subprocess.SubprocessError):
            hosts = []
        if hosts:
            return hosts[0]
    try:
        return next(expand_nodelist(nodelist))
    except ValueError as e:
        raise ConfigError(f'--launcher slurm: cannot read SLURM_NODELIST={nodelist!r}: {e}') from None


def _init_dist_slurm(backend: str, port: Optional[int] = None, **kwargs: Any) -> None:
    """SLURM_PROCID/NTASKS/NODELIST (and SLURM_LOCALID when set) mapped to an env:// process group.

    MASTER_ADDR (unless set) is the first node of the job, MASTER_PORT is ``port``, else the
    environment's, else 29500 when free, else a free one (every task must then agree on it).
    """
    proc_id = _slurm_int('SLURM_PROCID')
    ntasks = _slurm_int('SLURM_NTASKS')
    node_list = _slurm_env('SLURM_NODELIST')
    num_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if os.environ.get('SLURM_LOCALID', '').strip():
        local_rank = _slurm_int('SLURM_LOCALID')
    else:
        local_rank = proc_id % num_gpus if num_gpus else 0
    _set_device(local_rank)
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    elif 'MASTER_PORT' not in os.environ:
        os.environ['MASTER_PORT'] = '29500' if _is_free_port(29500) else str(_find_free_port())
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = slurm_first_host(node_list)
    os.environ['WORLD_SIZE'] = str(ntasks)
    os.environ['LOCAL_RANK'] = str(local_rank)
    os.environ['RANK'] = str(proc_id)
    dist.init_process_group(backend=_resolve_backend(backend), **kwargs)


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
