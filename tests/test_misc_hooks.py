"""EMAHook, ClosureHook, DistSamplerSeedHook, SyncBuffersHook, EmptyCacheHook, ProfilerHook."""
import json
import logging

import pytest
import torch
import torch.nn as nn
from fake_runner import FakeRunner

from legacy_runner.hooks import memory, sync_buffer
from legacy_runner.hooks.closure import ClosureHook
from legacy_runner.hooks.ema import EMAHook
from legacy_runner.hooks.hook import HOOKS
from legacy_runner.hooks.memory import EmptyCacheHook
from legacy_runner.hooks.profiler import ProfilerHook
from legacy_runner.hooks.sampler_seed import DistSamplerSeedHook
from legacy_runner.hooks.sync_buffer import SyncBuffersHook
from legacy_runner.parallel import MMDataParallel


def test_registered_names():
    for name in ('EMAHook', 'ClosureHook', 'DistSamplerSeedHook', 'SyncBuffersHook', 'EmptyCacheHook',
                 'ProfilerHook'):
        assert HOOKS.get(name) is not None, name


class EmaNet(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)


def test_ema_formula_matches_independent_computation():
    momentum, interval, warm_up = 0.3, 2, 4
    model = EmaNet()
    runner = FakeRunner(MMDataParallel(model), max_iters=10)  # buffers go on the unwrapped model
    hook = EMAHook(momentum=momentum, interval=interval, warm_up=warm_up)
    assert hook.momentum == pytest.approx(momentum**interval)  # the mmcv quirk, kept on purpose
    hook.before_run(runner)
    names = [n for n, _ in model.named_parameters()]
    assert [b for b, _ in model.named_buffers() if b.startswith('ema_')] == \
        ['ema_' + n.replace('.', '_') for n in names]
    assert 'ema_conv_weight' in model.state_dict()  # EMA weights land in checkpoints

    expected = {n: p.detach().double().clone() for n, p in model.named_parameters()}
    g = torch.Generator().manual_seed(3)
    for it in range(7):
        with torch.no_grad():  # pretend an optimizer step changed the weights
            for p in model.parameters():
                p.add_(torch.randn(p.shape, generator=g))
        runner._iter = it
        hook.after_train_iter(runner)
        m = min(momentum**interval, (1 + it) / (warm_up + it))
        if it % interval == 0:
            for n, p in model.named_parameters():
                expected[n] = expected[n] * (1 - m) + m * p.detach().double()
    buffers = dict(model.named_buffers())
    for n in names:
        assert torch.allclose(buffers['ema_' + n.replace('.', '_')].double(), expected[n], atol=1e-6), n

    # epoch boundaries swap live and EMA weights
    live = {n: p.detach().clone() for n, p in model.named_parameters()}
    hook.after_train_epoch(runner)
    for n, p in model.named_parameters():
        assert torch.allclose(p.double(), expected[n], atol=1e-6)
        assert torch.equal(buffers['ema_' + n.replace('.', '_')], live[n])
    hook.before_train_epoch(runner)
    assert all(torch.equal(p, live[n]) for n, p in model.named_parameters())


def test_ema_args_and_resume():
    with pytest.raises(AssertionError):
        EMAHook(interval=0)
    with pytest.raises(AssertionError):
        EMAHook(momentum=1)
    with pytest.raises(AssertionError):
        EMAHook(momentum=0)
    runner = FakeRunner(EmaNet())
    EMAHook(resume_from='ckpt.pth').before_run(runner)
    assert runner.resumed == ['ckpt.pth']


def test_closure_hook():
    calls = []
    hook = ClosureHook('after_train_iter', lambda runner: calls.append(runner.iter))
    runner = FakeRunner()
    runner._iter = 4
    hook.after_train_iter(runner)
    assert calls == [4]
    assert hook.get_triggered_stages() == []  # set on the instance, not the class
    with pytest.raises(AssertionError):
        ClosureHook('not_a_stage', print)
    with pytest.raises(AssertionError):
        ClosureHook('after_run', 'not callable')


class FakeSampler:
    def __init__(self):
        self.epochs = []

    def set_epoch(self, epoch):
        self.epochs.append(epoch)


class Obj:
    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_dist_sampler_seed_hook():
    sampler = FakeSampler()
    runner = FakeRunner(data_loader=Obj(sampler=sampler, batch_sampler=None))
    hook = DistSamplerSeedHook()
    runner._epoch = 3
    hook.before_train_epoch(runner)
    hook.before_val_epoch(runner)  # val epochs too
    assert sampler.epochs == [3, 3]

    inner = FakeSampler()
    runner = FakeRunner(data_loader=Obj(sampler=object(), batch_sampler=Obj(sampler=inner)))
    runner._epoch = 5
    hook.before_train_epoch(runner)
    assert inner.epochs == [5]
    # neither has set_epoch: nothing happens
    hook.before_train_epoch(FakeRunner(data_loader=Obj(sampler=object(), batch_sampler=Obj(sampler=1))))


def test_sync_buffers_hook(monkeypatch):
    calls = []
    monkeypatch.setattr(sync_buffer, 'allreduce_params', lambda bufs: calls.append(list(bufs)))
    model = EmaNet()
    runner = FakeRunner(model)
    SyncBuffersHook().after_train_epoch(runner)
    assert len(calls) == 1 and len(calls[0]) == 3  # running_mean, running_var, num_batches_tracked
    SyncBuffersHook(distributed=False).after_val_epoch(runner)
    assert len(calls) == 1
    monkeypatch.undo()
    before = [b.clone() for b in model.buffers()]
    SyncBuffersHook().after_epoch(runner)  # single process: a no-op
    assert all(torch.equal(a, b) for a, b in zip(before, model.buffers()))


def test_empty_cache_hook(monkeypatch):
    calls = []
    monkeypatch.setattr(memory.torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(memory.torch.cuda, 'empty_cache', lambda: calls.append(1))
    runner = FakeRunner()
    hook = EmptyCacheHook()  # defaults: only after epochs
    hook.before_train_epoch(runner)
    hook.after_train_iter(runner)
    hook.after_train_epoch(runner)
    assert len(calls) == 1
    hook = EmptyCacheHook(before_epoch=True, after_epoch=False, after_iter=True)
    hook.before_val_epoch(runner)
    hook.after_val_iter(runner)
    hook.after_val_epoch(runner)
    assert len(calls) == 3
    monkeypatch.setattr(memory.torch.cuda, 'is_available', lambda: False)
    EmptyCacheHook().after_epoch(runner)  # guarded without CUDA
    assert len(calls) == 3


def test_profiler_hook_by_iter(tmp_path, caplog):
    trace = tmp_path / 'trace.json'
    if torch.cuda.is_available():
        hook = ProfilerHook(by_epoch=False, profile_iters=2, json_trace_path=str(trace))
    else:
        with pytest.warns(UserWarning, match='CPU activities only'):
            hook = ProfilerHook(by_epoch=False, profile_iters=2, activities=['cpu', 'cuda'],
                                json_trace_path=str(trace))
        assert hook.activities == [torch.profiler.ProfilerActivity.CPU]
    runner = FakeRunner(max_iters=3)
    with caplog.at_level(logging.INFO, logger='fake_runner'):
        hook.before_run(runner)
        for it in range(3):
            runner._iter = it
            torch.ones(4).add_(1)
            hook.after_train_iter(runner)
    assert hook.profiler is None  # stopped after iter index 1
    assert 'traceEvents' in json.loads(trace.read_text())
    assert [r.getMessage() for r in caplog.records] == ['profiler is profiling...',
                                                       'profiler may take a few minutes...']


def test_profiler_hook_by_epoch_and_errors():
    printed = []
    hook = ProfilerHook(by_epoch=True, profile_iters=1, activities=['cpu'], on_trace_ready=printed.append)
    runner = FakeRunner(max_epochs=1)
    hook.before_run(runner)
    hook.after_train_iter(runner)
    hook.after_train_epoch(runner)
    assert hook.profiler is None and len(printed) == 1
    with pytest.raises(ValueError):
        ProfilerHook(profile_iters=0)
    with pytest.raises(ValueError):
        ProfilerHook(activities='cpu')
    with pytest.raises(ValueError):
        ProfilerHook(activities=['tpu'])
    with pytest.raises(AssertionError):
        ProfilerHook(by_epoch=1)
    with pytest.raises(ValueError, match='should not be greater than 1'):
        ProfilerHook(profile_iters=2, activities=['cpu']).before_run(FakeRunner(max_epochs=1))
    with pytest.raises(ValueError, match='trace_type'):
        ProfilerHook(activities=['cpu'], on_trace_ready=dict(type='bad')).before_run(FakeRunner(max_epochs=1))
    with pytest.raises(ValueError, match='on_trace_ready should be handler'):
        ProfilerHook(activities=['cpu'], on_trace_ready=3).before_run(FakeRunner(max_epochs=1))
