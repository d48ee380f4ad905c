"""cast_tensor_type, auto_fp16, force_fp32, wrap_fp16_model, LossScaler; plus the seed helpers."""
import os
import random

import numpy as np
import pytest
import torch
import torch.nn as nn

from legacy_runner.fp16_utils import (
    LossScaler,
    amp_device_and_dtype,
    auto_fp16,
    cast_tensor_type,
    force_fp32,
    wrap_fp16_model,
)
from legacy_runner.seed import set_random_seed, worker_init_fn

LOW = amp_device_and_dtype(None)[1]  # bf16 on this CPU-only machine


def test_cast_tensor_type():
    f32, f16, i64 = torch.ones(1), torch.ones(1, dtype=torch.half), torch.ones(1, dtype=torch.long)
    assert cast_tensor_type(f32, torch.float, torch.half).dtype == torch.half
    assert cast_tensor_type(i64, torch.float, torch.half).dtype == torch.long  # only src_type is cast
    out = cast_tensor_type(dict(a=f32, b=[f32, f16], c=(f32, ), s='str', n=np.ones(1), k=3),
                           torch.float, torch.half)
    assert out['a'].dtype == torch.half and [t.dtype for t in out['b']] == [torch.half] * 2
    assert isinstance(out['c'], tuple) and out['s'] == 'str' and isinstance(out['n'], np.ndarray)
    assert out['k'] == 3
    module = nn.Linear(1, 1)
    assert cast_tensor_type(module, torch.float, torch.half) is module
    assert module.weight.dtype == torch.float


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(2, 2)
        self.fp16_enabled = False

    @auto_fp16(apply_to=('x', ))
    def forward(self, x, y=None, *extra):
        return self.fc(x), x.dtype, (y.dtype if y is not None else None), extra

    @auto_fp16(out_fp32=True)
    def all_args(self, x, y):
        return self.fc(x), x.dtype, y.dtype

    @force_fp32(apply_to=('pred', ))
    def loss(self, pred, other):
        return pred.sum(), pred.dtype, other.dtype, torch.is_autocast_enabled(pred.device.type)

    @force_fp32(out_fp16=True)
    def loss16(self, pred):
        return pred * 2


def test_auto_fp16_and_force_fp32():
    net = Net()
    x = torch.ones(1, 2)
    out, xd, yd, extra = net(x, torch.ones(1), 5)
    assert (out.dtype, xd, yd, extra) == (torch.float, torch.float, torch.float, (5, ))
    wrap_fp16_model(net)
    assert net.fp16_enabled
    out, xd, yd, extra = net(x, torch.ones(1), 5)
    # only `x` is cast; the linear runs under autocast; extra positionals pass through
    assert (out.dtype, xd, yd, extra) == (LOW, LOW, torch.float, (5, ))
    out, xd, yd = net.all_args(x, y=torch.ones(1))
    assert (out.dtype, xd, yd) == (torch.float, LOW, LOW)

    pred = torch.ones(2, dtype=LOW)
    total, pd, od, autocast_on = net.loss(pred, torch.ones(1, dtype=LOW))
    assert (total.dtype, pd, od, autocast_on) == (torch.float, torch.float, LOW, False)
    assert net.loss16(torch.ones(1, dtype=LOW)).dtype == LOW

    with pytest.raises(TypeError):
        auto_fp16()(lambda self: None)(object())
    with pytest.raises(TypeError):
        force_fp32()(lambda self: None)(object())


def test_wrap_fp16_model_only_flags():
    model = nn.Sequential(Net(), nn.Linear(1, 1))
    wrap_fp16_model(model)
    assert model[0].fp16_enabled and not hasattr(model[1], 'fp16_enabled')
    assert model[0].fc.weight.dtype == torch.float  # weights stay fp32


def test_loss_scaler():
    scaler = LossScaler(init_scale=8, scale_window=2)
    p = nn.Parameter(torch.ones(1))
    p.grad = torch.tensor([float('inf')])
    assert scaler.has_overflow([p])
    scaler.update_scale(True)
    assert scaler.loss_scale == 4 and scaler.last_overflow_iter == 0
    p.grad = torch.ones(1)
    assert not scaler.has_overflow([p])
    scaler.update_scale(False)  # (1 - 0) % 2 != 0
    scaler.update_scale(False)  # (2 - 0) % 2 == 0 -> grow
    assert scaler.loss_scale == 8 and scaler.cur_iter == 3
    other = LossScaler(mode='static')
    other.load_state_dict(scaler.state_dict())
    assert other.state_dict() == scaler.state_dict()
    static = LossScaler(init_scale=4, mode='static')
    p.grad = torch.tensor([float('nan')])
    assert not static.has_overflow([p])
    static.update_scale(True)
    assert static.loss_scale == 4
    with pytest.raises(AssertionError):
        LossScaler(mode='auto')


def test_set_random_seed(monkeypatch):
    # record the global state so that teardown restores it
    monkeypatch.setattr(torch.backends.cudnn, 'deterministic', torch.backends.cudnn.deterministic)
    monkeypatch.setattr(torch.backends.cudnn, 'benchmark', torch.backends.cudnn.benchmark)
    monkeypatch.setenv('PYTHONHASHSEED', os.environ.get('PYTHONHASHSEED', '0'))
    set_random_seed(7, deterministic=True)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    assert os.environ['PYTHONHASHSEED'] == '7'
    assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
    set_random_seed(7)
    assert a == (random.random(), np.random.rand(), torch.rand(1).item())
    monkeypatch.setattr('legacy_runner.dist.get_dist_info', lambda: (3, 4))
    set_random_seed(7, use_rank_shift=True)
    assert os.environ['PYTHONHASHSEED'] == '10'


def test_worker_init_fn():
    worker_init_fn(worker_id=1, num_workers=4, rank=2, seed=100)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    set_random_seed(4 * 2 + 1 + 100)
    assert a == (random.random(), np.random.rand(), torch.rand(1).item())
