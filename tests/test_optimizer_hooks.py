"""Optimizer hooks vs independent hand-written torch loops (bitwise-equal weights)."""
import copy
import logging

import pytest
import torch
import torch.nn as nn
from fake_runner import FakeRunner

from legacy_runner.fp16_utils import auto_fp16
from legacy_runner.hooks.hook import HOOKS
from legacy_runner.hooks.optimizer import (
    Fp16OptimizerHook,
    GradientCumulativeFp16OptimizerHook,
    GradientCumulativeOptimizerHook,
    OptimizerHook,
)


class Net(nn.Module):
    def __init__(self, with_bn: bool = False):
        super().__init__()
        torch.manual_seed(0)
        self.fc1 = nn.Linear(4, 8)
        self.fc2 = nn.Linear(8, 1)
        self.bn = nn.BatchNorm1d(8) if with_bn else nn.Identity()
        self.unused = nn.Parameter(torch.zeros(2))
        self.fp16_enabled = False

    @auto_fp16(apply_to=('x', ))
    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))

    def train_step(self, data, optimizer):
        x, y = data
        loss = ((self(x).float() - y)**2).mean() * 100
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(x))


def make_batches(n, seed=1):
    g = torch.Generator().manual_seed(seed)
    return [(torch.randn(5, 4, generator=g), torch.randn(5, 1, generator=g)) for _ in range(n)]


def hand_loss(model, batch, bf16=False):
    x, y = batch
    if bf16:
        # what auto_fp16 does on CPU: cast float inputs to bf16, run under CPU autocast
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = model.fc2(torch.relu(model.bn(model.fc1(x.to(torch.bfloat16)))))
    else:
        out = model.fc2(torch.relu(model.bn(model.fc1(x))))
    return ((out.float() - y)**2).mean() * 100


def assert_same_weights(a, b):
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        assert torch.equal(p, q), name


def setup(lr=0.05, **net_kw):
    model = Net(**net_kw)
    ref = copy.deepcopy(model)
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    ref_opt = torch.optim.SGD(ref.parameters(), lr=lr, momentum=0.9)
    return model, opt, ref, ref_opt


def test_registered_names():
    for name in ('OptimizerHook', 'GradientCumulativeOptimizerHook', 'Fp16OptimizerHook',
                 'GradientCumulativeFp16OptimizerHook'):
        assert HOOKS.get(name) is not None


def test_optimizer_hook_with_grad_clip_matches_hand_loop():
    model, opt, ref, ref_opt = setup()
    batches = make_batches(4)
    runner = FakeRunner(model, opt, max_iters=4)
    runner.train_iters([OptimizerHook(grad_clip=dict(max_norm=1.0, norm_type=2))], batches)

    norms = []
    for batch in batches:
        ref_opt.zero_grad()
        hand_loss(ref, batch).backward()
        params = [p for p in ref.parameters() if p.requires_grad and p.grad is not None]
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, max_norm=1.0, norm_type=2)))
        ref_opt.step()
    assert_same_weights(model, ref)
    assert runner.log_buffer.val_history['grad_norm'] == norms
    assert runner.log_buffer.n_history['grad_norm'] == [5] * 4
    assert max(norms) > 1.0  # clipping really happened


def test_optimizer_hook_without_clip_logs_nothing():
    model, opt, ref, ref_opt = setup()
    batches = make_batches(2)
    runner = FakeRunner(model, opt, max_iters=2)
    runner.train_iters([OptimizerHook()], batches)
    for batch in batches:
        ref_opt.zero_grad()
        hand_loss(ref, batch).backward()
        ref_opt.step()
    assert_same_weights(model, ref)
    assert 'grad_norm' not in runner.log_buffer.val_history


def test_detect_anomalous_params(caplog):
    model, opt, _, _ = setup()
    runner = FakeRunner(model, opt, max_iters=1)
    with caplog.at_level(logging.ERROR, logger='fake_runner'):
        runner.train_iters([OptimizerHook(detect_anomalous_params=True)], make_batches(1))
    assert [r.getMessage() for r in caplog.records] == [
        'unused with shape torch.Size([2]) is not in the computational graph \n']


@pytest.mark.parametrize('grad_clip', [None, dict(max_norm=1.0)])
def test_gradient_cumulative_with_remainder(grad_clip, caplog):
    # 7 iterations, windows of 3: losses /3 for iters 0-5, /1 for iter 6; steps after 2, 5, 6
    model, opt, ref, ref_opt = setup()
    batches = make_batches(7)
    runner = FakeRunner(model, opt, max_iters=7)
    hook = GradientCumulativeOptimizerHook(cumulative_iters=3, grad_clip=grad_clip)
    with caplog.at_level(logging.WARNING, logger='fake_runner'):
        runner.train_iters([hook], batches)
    assert (hook.divisible_iters, hook.remainder_iters) == (6, 1)

    for i, batch in enumerate(batches):
        (hand_loss(ref, batch) / (3 if i < 6 else 1)).backward()
        if i in (2, 5, 6):
            if grad_clip:
                torch.nn.utils.clip_grad_norm_([p for p in ref.parameters() if p.grad is not None], 1.0)
            ref_opt.step()
            ref_opt.zero_grad()
    assert_same_weights(model, ref)
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs == ['Loss will be divided by 1 in the last 1 iterations because they are not enough '
                    'for 3 cumulative_iters.']
    if grad_clip:
        assert len(runner.log_buffer.val_history['grad_norm']) == 3


def test_gradient_cumulative_warnings_and_validation(caplog):
    with pytest.raises(AssertionError):
        GradientCumulativeOptimizerHook(cumulative_iters=0)
    with pytest.raises(AssertionError):
        GradientCumulativeOptimizerHook(cumulative_iters=2.0)
    model = Net(with_bn=True)
    runner = FakeRunner(model, torch.optim.SGD(model.parameters(), lr=0.1), max_iters=8)
    with caplog.at_level(logging.WARNING, logger='fake_runner'):
        runner.train_iters([GradientCumulativeOptimizerHook(cumulative_iters=2)], make_batches(1), start=3)
    msgs = [r.getMessage() for r in caplog.records]
    assert msgs[0].startswith('Resume iter number is not divisible by cumulative_iters')
    assert msgs[1] == ('GradientCumulativeOptimizerHook may slightly decrease performance if the model '
                       'has BatchNorm layers.')


def test_fp16_loss_scale_types():
    assert Fp16OptimizerHook(loss_scale=512.)._scale_update_param == 512.
    assert Fp16OptimizerHook(loss_scale=512.).loss_scaler.get_scale() == 512.
    dyn = Fp16OptimizerHook(loss_scale='dynamic')
    assert dyn._scale_update_param is None and dyn.loss_scaler.get_scale() == 2.**16
    d = Fp16OptimizerHook(loss_scale=dict(init_scale=256., growth_interval=3))
    assert d.loss_scaler.state_dict()['growth_interval'] == 3 and d._scale_update_param is None
    with pytest.raises(ValueError, match='loss_scale must be of type float'):
        Fp16OptimizerHook(loss_scale=512)  # mmcv 1.7.2: an int is rejected
    with pytest.raises(ValueError):
        HOOKS.build(dict(type='Fp16OptimizerHook', loss_scale=512))
    assert not hasattr(Fp16OptimizerHook(), 'detect_anomalous_params')  # no super().__init__


@pytest.mark.parametrize('loss_scale', [512., 'dynamic'])
def test_fp16_bf16_cpu_matches_hand_loop(loss_scale):
    model, opt, ref, ref_opt = setup()
    batches = make_batches(5)
    runner = FakeRunner(model, opt, max_iters=5)
    hook = Fp16OptimizerHook(loss_scale=loss_scale, grad_clip=dict(max_norm=2.0))
    runner.train_iters([hook], batches)
    assert model.fp16_enabled is True  # wrap_fp16_model in before_run
    assert model(batches[0][0]).dtype == torch.bfloat16  # auto_fp16 runs the forward in bf16

    for batch in batches:
        ref.zero_grad()
        hand_loss(ref, batch, bf16=True).backward()
        torch.nn.utils.clip_grad_norm_([p for p in ref.parameters() if p.grad is not None], 2.0)
        ref_opt.step()
    # power-of-two scaling is exact, so the scaled run equals the unscaled hand loop bit for bit
    assert_same_weights(model, ref)
    state = runner.meta['fp16']['loss_scaler']
    assert set(state) == {'scale', 'growth_factor', 'backoff_factor', 'growth_interval', '_growth_tracker'}
    assert state['scale'] == (512. if loss_scale == 512. else 2.**16)
    assert state['_growth_tracker'] == (0 if loss_scale == 512. else 5)


def test_fp16_scaler_state_round_trip():
    model, opt, _, _ = setup()
    runner = FakeRunner(model, opt, max_iters=3)
    hook = Fp16OptimizerHook(loss_scale=dict(init_scale=8., growth_interval=2))
    runner.train_iters([hook], make_batches(3))
    saved = runner.meta['fp16']['loss_scaler']
    assert saved['scale'] == 16. and saved['_growth_tracker'] == 1
    # a fresh hook restores the state from meta in before_run (what resume provides)
    fresh = Fp16OptimizerHook(loss_scale='dynamic')
    runner2 = FakeRunner(Net(), opt, max_iters=3, meta=copy.deepcopy(runner.meta))
    fresh.before_run(runner2)
    assert fresh.loss_scaler.state_dict() == saved
    # meta=None is not accepted (as in mmcv)
    runner3 = FakeRunner(Net(), opt)
    runner3.meta = None
    with pytest.raises(TypeError):
        fresh.before_run(runner3)


def test_fp16_dynamic_scale_skips_inf_step():
    model, opt, _, _ = setup()
    runner = FakeRunner(model, opt, max_iters=1)
    hook = Fp16OptimizerHook(loss_scale='dynamic')
    hook.before_run(runner)
    before = [p.detach().clone() for p in model.parameters()]
    runner.outputs = dict(loss=model.fc1.weight.sum() * float('inf'), num_samples=1)
    hook.after_train_iter(runner)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    assert runner.meta['fp16']['loss_scaler']['scale'] == 2.**15


def test_gradient_cumulative_fp16_with_remainder():
    model, opt, ref, ref_opt = setup()
    batches = make_batches(5)
    runner = FakeRunner(model, opt, max_iters=5)
    hook = GradientCumulativeFp16OptimizerHook(cumulative_iters=2, loss_scale=256.)
    assert hook.cumulative_iters == 2 and hook._scale_update_param == 256.
    runner.train_iters([hook], batches)
    for i, batch in enumerate(batches):
        (hand_loss(ref, batch, bf16=True) / (2 if i < 4 else 1)).backward()
        if i in (1, 3, 4):
            ref_opt.step()
            ref.zero_grad()
    assert_same_weights(model, ref)
    assert runner.meta['fp16']['loss_scaler']['scale'] == 256.


def test_fp16_copy_helpers():
    hook = Fp16OptimizerHook()
    net = nn.Linear(2, 1)
    net.weight.grad = torch.ones(1, 2)
    master = [p.detach().clone() for p in net.parameters()]
    hook.copy_grads_to_fp32(net, master)
    assert torch.equal(master[0].grad, torch.ones(1, 2)) and master[1].grad is None
    master[0].data.fill_(3.)
    hook.copy_params_to_fp16(net, master)
    assert net.weight.eq(3.).all()
