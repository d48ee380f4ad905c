"""Exact continuation across ranks whose random streams differ (``--diff-seed``): the legacy
CheckpointHook gathers every rank's RNG part into the record (a collective before the rank-0
write), and each rank resumes from its own part. Two CPU/gloo processes under DDP: every rank
shuffles its data with its own stream, so a rank that resumed from another rank's RNG would feed
other batches into the averaged gradient and both ranks would end with other weights."""
import logging
import os
import os.path as osp
import random

import numpy as np
import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from dist_helpers import free_port, spawn_with_retry
from torch.utils.data import DataLoader

from legacy_runner.parallel import MMDistributedDataParallel
from legacy_runner.runner.iter_based_runner import IterBasedRunner
from legacy_runner.utils.logging import get_logger

pytestmark = pytest.mark.dist  # tier: see tests/conftest.py


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def train_step(self, batch, optimizer):
        x, y = batch
        loss = ((self.fc(x).squeeze(1) - y) ** 2).mean() + 0.0 * torch.rand(()).sum()
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(x))


def _runner(rank, work_dir):
    torch.manual_seed(0)  # the same initial weights on every rank
    model = MMDistributedDataParallel(Net())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    runner = IterBasedRunner(model, optimizer=optimizer, work_dir=work_dir, max_iters=10,
                             logger=get_logger(f'dist_continuation_{rank}', log_level=logging.ERROR))
    runner.register_training_hooks(None, optimizer_config=dict(grad_clip=None),
                                   checkpoint_config=dict(interval=3))
    return runner


def _loader():
    g = torch.Generator().manual_seed(123)
    data = [(torch.randn(3, generator=g), torch.randn((), generator=g)) for _ in range(8)]
    return DataLoader(data, batch_size=2, shuffle=True)  # the order is drawn from the global RNG


def _seed(rank):
    torch.manual_seed(100 + rank)  # --diff-seed: every rank draws its own stream
    np.random.seed(100 + rank)
    random.seed(100 + rank)


def _worker(rank, world_size, port, work_dir, out):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world_size)
    try:
        runner = _runner(rank, work_dir)
        _seed(rank)
        runner.run([_loader()], [('train', 1)])
        reference = runner.model.module.fc.weight.detach().clone()
        dist.barrier()
        record = torch.load(osp.join(work_dir, 'iter_6.pth'), weights_only=True)['meta']['continuation']

        resumed = _runner(rank, work_dir)
        _seed(rank + 7)  # whatever the process drew before: the record decides
        resumed.resume(osp.join(work_dir, 'iter_6.pth'))
        resumed.run([_loader()], [('train', 1)])
        parts = record.get('ranks', [])
        torch.save(dict(equal=torch.equal(resumed.model.module.fc.weight, reference), parts=len(parts),
                        differ=len(parts) == 2 and not torch.equal(parts[0]['rng']['torch'],
                                                                   parts[1]['rng']['torch'])),
                   f'{out}.{rank}')
        dist.barrier()
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not dist.is_available(), reason='torch.distributed is not available')
def test_each_rank_continues_from_its_own_rng(tmp_path, monkeypatch):
    monkeypatch.setenv('GLOO_SOCKET_IFNAME', os.environ.get('GLOO_SOCKET_IFNAME', 'lo'))
    out = str(tmp_path / 'result')

    def args(attempt):
        work_dir = tmp_path / f'work{attempt}'
        work_dir.mkdir()
        return (2, free_port(), str(work_dir), out)

    spawn_with_retry(_worker, args)
    for rank in (0, 1):
        result = torch.load(f'{out}.{rank}', weights_only=True)
        assert result['equal'], f'rank {rank} did not continue exactly'
        assert result['parts'] == 2 and result['differ'], result
