"""DataContainer, collate, scatter and the MM(Distributed)DataParallel wrappers on CPU."""
import os

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from dist_helpers import spawn_with_retry
from torch.nn.parallel import DataParallel, DistributedDataParallel

from legacy_runner.parallel import (
    MODULE_WRAPPERS,
    DataContainer,
    MMDataParallel,
    MMDistributedDataParallel,
    collate,
    is_module_wrapper,
    scatter,
    scatter_kwargs,
)
from legacy_runner.registry import Registry


def test_data_container():
    dc = DataContainer(torch.zeros(2, 3), stack=True, padding_value=1, pad_dims=1)
    assert (dc.stack, dc.padding_value, dc.pad_dims, dc.cpu_only) == (True, 1, 1, False)
    assert dc.size() == torch.Size([2, 3]) and dc.size(1) == 3 and dc.dim() == 2
    assert dc.datatype == 'torch.FloatTensor' and len(dc) == 2
    assert repr(dc).startswith('DataContainer(tensor(')
    meta = DataContainer({'a': 1}, cpu_only=True)
    assert meta.datatype is dict and repr(meta) == "DataContainer({'a': 1})"
    with pytest.raises(AttributeError, match="DataContainer has no attribute size for type <class 'dict'>"):
        meta.size()
    with pytest.raises(AssertionError):
        DataContainer(1, pad_dims=4)


def test_collate_stack_with_padding():
    a, b, c = torch.ones(3, 4, 5), torch.ones(3, 6, 2) * 2, torch.ones(3, 1, 1) * 3
    batch = [DataContainer(x, stack=True, padding_value=-1) for x in (a, b, c)]
    out = collate(batch, samples_per_gpu=2)
    assert isinstance(out, DataContainer) and out.stack and not out.cpu_only
    assert len(out.data) == 2  # two chunks: (a, b) and (c, )
    first, second = out.data
    assert first.shape == (2, 3, 6, 5) and second.shape == (1, 3, 1, 1)
    assert torch.equal(first[0, :, :4, :], a) and first[0, :, 4:, :].eq(-1).all()
    assert torch.equal(first[1, :, :, :2], b) and first[1, :, :, 2:].eq(-1).all()

    out = collate([DataContainer(torch.ones(2, 3), stack=True, pad_dims=1),
                   DataContainer(torch.ones(2, 5), stack=True, pad_dims=1)], samples_per_gpu=2)
    assert out.data[0].shape == (2, 2, 5) and out.data[0][0, :, 3:].eq(0).all()

    out = collate([DataContainer(torch.ones(2), stack=True, pad_dims=None)] * 2, samples_per_gpu=2)
    assert out.data[0].shape == (2, 2)
    with pytest.raises(AssertionError):  # the non-padded leading dims must agree
        collate([DataContainer(torch.ones(2, 3, 3), stack=True),
                 DataContainer(torch.ones(1, 3, 3), stack=True)], samples_per_gpu=2)


def test_collate_cpu_only_unstacked_and_nested():
    metas = [DataContainer({'i': i}, cpu_only=True) for i in range(3)]
    out = collate(metas, samples_per_gpu=2)
    assert out.cpu_only and out.data == [[{'i': 0}, {'i': 1}], [{'i': 2}]]

    boxes = [DataContainer(torch.full((i + 1, 4), float(i))) for i in range(2)]
    out = collate(boxes, samples_per_gpu=2)
    assert not out.stack and not out.cpu_only and [t.shape[0] for t in out.data[0]] == [1, 2]

    samples = [dict(img=DataContainer(torch.ones(1, 2, 2), stack=True), label=i, pair=(i, 2 * i),
                    name=f'f{i}') for i in range(2)]
    out = collate(samples, samples_per_gpu=2)
    assert out['img'].data[0].shape == (2, 1, 2, 2)
    assert torch.equal(out['label'], torch.tensor([0, 1]))
    assert [t.tolist() for t in out['pair']] == [[0, 1], [0, 2]]
    assert out['name'] == ['f0', 'f1']  # strings are leaves (mmcv recursed forever here)
    with pytest.raises(TypeError):
        collate(torch.ones(2), samples_per_gpu=1)


def test_scatter_on_cpu():
    t = torch.ones(2, 3).t()  # non-contiguous
    out = scatter(t, [-1])
    assert isinstance(out, tuple) and len(out) == 1 and out[0].is_contiguous()
    dc = collate([DataContainer(torch.ones(3), stack=True, pad_dims=None)] * 2, samples_per_gpu=2)
    assert scatter(dc, [-1])[0].shape == (2, 3)
    boxes = collate([DataContainer(torch.ones(1, 4)), DataContainer(torch.ones(2, 4))], samples_per_gpu=2)
    assert [b.shape[0] for b in scatter(boxes, [-1])[0]] == [1, 2]
    metas = collate([DataContainer({'i': 0}, cpu_only=True)], samples_per_gpu=1)
    assert scatter(metas, [-1]) == [[{'i': 0}]]
    assert scatter(dict(a=1, b=[2, 3]), [-1]) == [dict(a=1, b=[2, 3])]
    assert scatter((1, 'x'), [-1]) == [(1, 'x')]
    assert scatter(None, [-1]) == [None]
    with pytest.raises(Exception, match='Unknown type'):
        scatter(collate([DataContainer({'i': 0})], samples_per_gpu=1), [-1])

    inputs, kwargs = scatter_kwargs((1, ), dict(k=2), [-1])
    assert inputs == ((1, ), ) and kwargs == (dict(k=2), )
    inputs, kwargs = scatter_kwargs((), dict(k=2), [-1])
    assert inputs == ((), ) and kwargs == (dict(k=2), )
    inputs, kwargs = scatter_kwargs((1, ), {}, [-1])
    assert kwargs == ({}, )


class StepModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 1)

    def forward(self, img, metas=None):
        return self.fc(img)

    def train_step(self, data, optimizer):
        loss = self(data['img']).sum()
        return dict(loss=loss, metas=data['metas'], optimizer=optimizer)

    def val_step(self, data, optimizer=None):
        return dict(n=len(data['metas']))


def _batch():
    samples = [dict(img=DataContainer(torch.ones(3) * i, stack=True, pad_dims=None),
                    metas=DataContainer({'i': i}, cpu_only=True)) for i in range(2)]
    return collate(samples, samples_per_gpu=2)


def test_mm_data_parallel_cpu():
    model = StepModel()
    dp = MMDataParallel(model, device_ids=[0])
    assert dp.device_ids == [] and dp.module is model  # torch drops device_ids without CUDA
    out = dp.train_step(_batch(), 'opt')
    assert out['metas'] == [{'i': 0}, {'i': 1}] and out['optimizer'] == 'opt'
    assert torch.equal(out['loss'], model(torch.tensor([[0.] * 3, [1.] * 3])).sum())
    assert dp.val_step(_batch()) == dict(n=2)
    fwd = dp(img=_batch()['img'])
    assert fwd.shape == (2, 1)


def test_is_module_wrapper():
    model = StepModel()
    assert is_module_wrapper(MMDataParallel(model))
    assert is_module_wrapper(DataParallel(model))
    assert not is_module_wrapper(model)
    assert set(MODULE_WRAPPERS.module_dict) == {'DataParallel', 'DistributedDataParallel', 'MMDataParallel',
                                                'MMDistributedDataParallel'}
    assert issubclass(MMDistributedDataParallel, DistributedDataParallel)

    child = Registry('module wrapper', parent=MODULE_WRAPPERS, scope='test_parallel_scope')

    @child.register_module()
    class MyWrapper(nn.Module):
        def __init__(self, module):
            super().__init__()
            self.module = module

    try:
        assert is_module_wrapper(MyWrapper(model))
    finally:
        MODULE_WRAPPERS.children.pop('test_parallel_scope')


class DDPModel(nn.Module):
    def __init__(self, with_unused=False):
        super().__init__()
        torch.manual_seed(0)
        self.fc = nn.Linear(3, 2)
        # an unused parameter needs find_unused_parameters=True, else DDP never reduces its bucket
        self.unused = nn.Linear(1, 1) if with_unused else None
        self.register_buffer('count', torch.zeros(1))

    def forward(self, x):
        return self.fc(x)

    def train_step(self, data, optimizer):
        loss = self(data['x']).pow(2).sum()
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(data['x']))

    def val_step(self, data, optimizer=None):
        return dict(out=self(data['x']))


def _local_grads(x):
    model = DDPModel()
    model.train_step(dict(x=x), None)['loss'].backward()
    return model.fc.weight.grad.clone()


def _ddp_worker(rank, world_size, init_file):
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank, world_size=world_size)
    try:
        xs = [torch.arange(6.).view(2, 3) * (r + 1) for r in range(world_size)]
        expected = sum(_local_grads(x) for x in xs) / world_size
        for find_unused in (False, True):
            ddp = MMDistributedDataParallel(DDPModel(with_unused=find_unused),
                                            find_unused_parameters=find_unused)
            batch = dict(x=DataContainer([xs[rank]], stack=True))  # as collate builds it
            out = ddp.train_step(batch, None)
            assert out['num_samples'] == 2 and isinstance(out['log_vars']['loss'], float)
            out['loss'].backward()
            assert torch.allclose(ddp.module.fc.weight.grad, expected), (rank, find_unused)
        # the fallback path (DDP.__call__ redirected to train_step) synchronises too
        ddp = MMDistributedDataParallel(DDPModel())
        out = ddp._forward_through_call(ddp.module.train_step, (dict(x=xs[rank]), None), {})
        out['loss'].backward()
        assert torch.allclose(ddp.module.fc.weight.grad, expected)
        assert 'forward' not in ddp.module.__dict__  # the real forward is back
        with torch.no_grad():
            assert ddp.val_step(dict(x=xs[rank]))['out'].shape == (2, 2)
        dist.barrier()  # both ranks are done before gloo tears down (a rank leaving early can abort it)
    finally:
        dist.destroy_process_group()


@pytest.mark.dist  # tier: see tests/conftest.py
def test_mm_distributed_data_parallel_gloo(tmp_path, monkeypatch):
    if not dist.is_available():
        pytest.skip('torch.distributed is not available')
    # both ranks run on this host: keep gloo on the loopback interface
    monkeypatch.setenv('GLOO_SOCKET_IFNAME', os.environ.get('GLOO_SOCKET_IFNAME', 'lo'))
    spawn_with_retry(_ddp_worker, lambda attempt: (2, str(tmp_path / f'pg_init{attempt}')))
