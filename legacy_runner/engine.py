"""Inference loops used by EvalHook/DistEvalHook and by the ``test`` command (``mmcv.engine``).

The model contract is mmcv's: ``model(return_loss=False, **data_batch)`` returns one result per
sample of the batch (a list, or anything with ``len`` that ``list.extend`` accepts).
"""
import os.path as osp
import pickle
import shutil
import sys
import tempfile
from typing import Any, List, Optional

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import DataLoader

from .dist import get_dist_info
from .utils.misc import mkdir_or_exist
from .utils.progressbar import ProgressBar

_TMPDIR_BYTES = 512  # fixed length of the broadcast buffer that carries the tmpdir name


def single_gpu_test(model: nn.Module, data_loader: DataLoader) -> List[Any]:
    """Run ``model`` over ``data_loader`` in eval mode; return the per-sample results in order."""
    model.eval()
    results: List[Any] = []
    dataset = data_loader.dataset
    bar = ProgressBar(len(dataset), file=sys.stdout)
    for data in data_loader:
        with torch.no_grad():
            result = model(return_loss=False, **data)
        results.extend(result)
        if len(result):
            bar.update(len(result))
    return results


def multi_gpu_test(model: nn.Module, data_loader: DataLoader, tmpdir: Optional[str] = None,
                   gpu_collect: bool = False) -> Optional[List[Any]]:
    """Distributed inference: every rank runs its shard, rank 0 gets all results in dataset order.

    Results are gathered through files in ``tmpdir`` (``gpu_collect=False``, works with any
    backend) or through ``all_gather`` of pickled bytes (``gpu_collect=True``). Other ranks get None.
    """
    model.eval()
    results: List[Any] = []
    dataset = data_loader.dataset
    rank, world_size = get_dist_info()
    bar = ProgressBar(len(dataset)) if rank == 0 else None
    for data in data_loader:
        with torch.no_grad():
            result = model(return_loss=False, **data)
        results.extend(result)
        if bar is not None:
            # Every rank processes a batch of the same size; the padded tail is not counted twice.
            step = min(len(result) * world_size, len(dataset) - bar.completed)
            if step > 0:
                bar.update(step)
    if gpu_collect:
        return collect_results_gpu(results, len(dataset))
    return collect_results_cpu(results, len(dataset), tmpdir)


def _comm_device() -> torch.device:
    # NCCL only moves CUDA tensors; gloo and mpi work on CPU tensors.
    if dist.get_backend() == 'nccl':
        return torch.device('cuda', torch.cuda.current_device())
    return torch.device('cpu')


def _interleave(parts: List[List[Any]], size: int) -> List[Any]:
    # DistributedSampler deals indices round-robin, so sample i lives on rank i % world_size.
    ordered: List[Any] = []
    for group in zip(*parts):
        ordered.extend(group)
    return ordered[:size]


def _broadcast_tmpdir(rank: int) -> str:
    device = _comm_device()
    buf = torch.full((_TMPDIR_BYTES,), 32, dtype=torch.uint8, device=device)  # 32 = ' '
    if rank == 0:
        name = tempfile.mkdtemp(prefix='.dist_test_').encode()
        if len(name) > _TMPDIR_BYTES:
            raise ValueError(f'temporary directory name is longer than {_TMPDIR_BYTES} bytes: {name!r}')
        buf[:len(name)] = torch.tensor(bytearray(name), dtype=torch.uint8, device=device)
    dist.broadcast(buf, 0)
    return buf.cpu().numpy().tobytes().decode().rstrip()


def collect_results_cpu(result_part: List[Any], size: int,
                        tmpdir: Optional[str] = None) -> Optional[List[Any]]:
    """Gather per-rank results through pickle files in a shared directory.

    ``tmpdir`` must be visible to every rank (it is removed afterwards); None creates one on rank 0
    and broadcasts its name. Returns the ordered results on rank 0 and None elsewhere.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    if tmpdir is None:
        tmpdir = _broadcast_tmpdir(rank)
    else:
        mkdir_or_exist(tmpdir)
    with open(osp.join(tmpdir, f'part_{rank}.pkl'), 'wb') as f:
        pickle.dump(result_part, f, protocol=pickle.HIGHEST_PROTOCOL)
    dist.barrier()
    if rank != 0:
        return None
    parts = []
    for i in range(world_size):
        with open(osp.join(tmpdir, f'part_{i}.pkl'), 'rb') as f:
            parts.append(pickle.load(f))
    shutil.rmtree(tmpdir)
    return _interleave(parts, size)


def collect_results_gpu(result_part: List[Any], size: int) -> Optional[List[Any]]:
    """Gather per-rank results with ``all_gather`` of pickled bytes (rank 0 gets them, in order).

    Uses CUDA tensors under NCCL and CPU tensors otherwise, so it also works with gloo on CPU.
    """
    rank, world_size = get_dist_info()
    if world_size == 1:
        return list(result_part)[:size]
    device = _comm_device()
    payload = torch.tensor(bytearray(pickle.dumps(result_part)), dtype=torch.uint8, device=device)
    length = torch.tensor([payload.numel()], device=device)
    lengths = [length.clone() for _ in range(world_size)]
    dist.all_gather(lengths, length)
    max_len = int(max(t.item() for t in lengths))
    padded = torch.zeros(max_len, dtype=torch.uint8, device=device)
    padded[:payload.numel()] = payload
    gathered = [padded.new_zeros(max_len) for _ in range(world_size)]
    dist.all_gather(gathered, padded)
    if rank != 0:
        return None
    parts = [pickle.loads(buf[:int(n.item())].cpu().numpy().tobytes())
             for buf, n in zip(gathered, lengths)]
    return _interleave(parts, size)
