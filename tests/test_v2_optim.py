"""OptimWrapper paths (accumulation with remainder, clip_grad, AMP) against hand-written torch loops,
plus the wrapper API, OptimWrapperDict and DefaultOptimWrapperConstructor's param-group layout."""
import copy
import os.path as osp

import pytest
import torch
from torch import nn
from v2_helpers import PointDataset, TwoLinear

from compat.v2 import (
    AmpOptimWrapper,
    DefaultOptimWrapperConstructor,
    OptimWrapper,
    OptimWrapperDict,
    Runner,
    build_optim_wrapper,
)
from compat.v2.checkpoint import load_checkpoint_file


def _train_with_runner(tmp_path, model, optim_wrapper, n=7, max_epochs=2, **kw):
    runner = Runner(model=model, work_dir=str(tmp_path),
                    train_dataloader=dict(dataset=PointDataset(n), batch_size=1,
                                          sampler=dict(type='DefaultSampler', shuffle=False)),
                    train_cfg=dict(by_epoch=True, max_epochs=max_epochs), optim_wrapper=optim_wrapper,
                    default_hooks=dict(logger=dict(type='LoggerHook', interval=1000)), log_level='WARNING',
                    randomness=dict(seed=0), **kw)
    runner.train()
    return runner


def _samples(n, epochs):
    data = PointDataset(n)
    return [data[i] for _ in range(epochs) for i in range(n)]


def _loss(model, sample):
    return model(inputs=[sample['inputs']], data_samples=[sample['data_samples']], mode='loss')['loss']


def _assert_same_weights(a, b):
    for (name, p), (_, q) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(p, q), name


@pytest.mark.parametrize('acc, n, epochs', [(3, 7, 1), (4, 7, 2), (2, 6, 1)])
def test_accumulation_with_remainder_matches_hand_loop(tmp_path, acc, n, epochs):
    torch.manual_seed(0)
    model = TwoLinear()
    reference = copy.deepcopy(model)
    runner = _train_with_runner(tmp_path, model, dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
                                                      accumulative_counts=acc), n=n, max_epochs=epochs)
    opt = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    total = n * epochs
    remainder = total % acc
    steps = []
    for count, sample in enumerate(_samples(n, epochs), start=1):
        divisor = acc if count - 1 < total - remainder else remainder
        (_loss(reference, sample) / divisor).backward()
        if count % acc == 0 or count == total:
            opt.step()
            opt.zero_grad()
            steps.append(count)
    _assert_same_weights(runner.model, reference)
    if (acc, n, epochs) == (3, 7, 1):
        assert steps == [3, 6, 7]  # steps after iterations 2, 5, 6


@pytest.mark.parametrize('clip, fn', [
    (dict(max_norm=0.05), lambda ps: nn.utils.clip_grad_norm_(ps, max_norm=0.05)),
    (dict(type='norm', max_norm=0.1, norm_type=1), lambda ps: nn.utils.clip_grad_norm_(ps, 0.1, norm_type=1)),
    (dict(type='value', clip_value=0.01), lambda ps: nn.utils.clip_grad_value_(ps, clip_value=0.01)),
])
def test_clip_grad_matches_hand_loop(tmp_path, clip, fn):
    torch.manual_seed(1)
    model = TwoLinear()
    reference = copy.deepcopy(model)
    runner = _train_with_runner(tmp_path, model, dict(optimizer=dict(type='SGD', lr=0.1), clip_grad=clip))
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    norms = []
    for sample in _samples(7, 2):
        _loss(reference, sample).backward()
        norms.append(fn(list(reference.parameters())))
        opt.step()
        opt.zero_grad()
    _assert_same_weights(runner.model, reference)
    hub = runner.message_hub
    if clip.get('type', 'norm') == 'norm':  # the pre-clip norm is logged
        assert hub.get_scalar('train/grad_norm').data[0].tolist() == [float(x) for x in norms]
    else:  # clip_grad_value_ returns None: nothing is logged (mmengine)
        assert 'train/grad_value' not in hub.log_scalars


def test_amp_matches_hand_loop_and_checkpoints_scaler(tmp_path):
    torch.manual_seed(2)
    model = TwoLinear()
    reference = copy.deepcopy(model)
    runner = _train_with_runner(
        tmp_path, model, dict(type='AmpOptimWrapper',
                              optimizer=dict(type='SGD', lr=0.1),
                              loss_scale='dynamic'))
    wrapper = runner.optim_wrapper
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    assert wrapper.cast_dtype == (torch.float16 if device == 'cuda' else torch.bfloat16)
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler(device)
    for sample in _samples(7, 2):
        with torch.autocast(device, dtype=wrapper.cast_dtype):
            loss = _loss(reference, sample)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad()
    _assert_same_weights(runner.model, reference)
    assert wrapper.loss_scaler.state_dict() == scaler.state_dict()
    ckpt = load_checkpoint_file(osp.join(tmp_path, 'epoch_2.pth'))
    assert ckpt['optimizer']['loss_scaler'] == scaler.state_dict()
    fresh = AmpOptimWrapper(optimizer=torch.optim.SGD(TwoLinear().parameters(), lr=0.1), loss_scale=1024.)
    fresh.load_state_dict(copy.deepcopy(ckpt['optimizer']))
    assert fresh.loss_scaler.state_dict() == scaler.state_dict()


def test_amp_loss_scale_types():
    params = TwoLinear().parameters()
    opt = torch.optim.SGD(params, lr=0.1)
    assert AmpOptimWrapper(optimizer=opt, loss_scale=512.)._scale_update_param == 512.
    assert AmpOptimWrapper(optimizer=opt, loss_scale=dict(init_scale=8.)).loss_scaler.get_scale() == 8.
    with pytest.raises(TypeError):
        AmpOptimWrapper(optimizer=opt, loss_scale=512)  # an int is rejected, as in mmengine
    assert AmpOptimWrapper(optimizer=opt, dtype='float16').cast_dtype is torch.float16


def test_wrapper_api_and_counts():
    model = TwoLinear()
    opt = torch.optim.SGD([dict(params=model.a.parameters()), dict(params=model.b.parameters(), lr=0.05)],
                          lr=0.1, momentum=0.9)
    wrapper = OptimWrapper(opt, accumulative_counts=3)
    assert wrapper.base_param_settings['lr'] == 0.1 and len(wrapper.param_groups) == 3
    assert wrapper.get_lr() == {'base_lr': [0.1], 'lr': [0.1, 0.05]}
    assert wrapper.get_momentum() == {'momentum': [0.9, 0.9]}
    wrapper.initialize_count_status(model, 0, 7)
    divisors = []
    for _ in range(7):
        loss = torch.tensor(6.0)
        divisors.append(float(6.0 / wrapper.scale_loss(loss)))
        wrapper._inner_count += 1
    assert divisors == [3, 3, 3, 3, 3, 3, 1]
    state = wrapper.state_dict()
    assert 'base_param_settings' in state
    with pytest.raises(ValueError):
        OptimWrapper(opt, clip_grad=dict(type='bad', max_norm=1))
    with pytest.raises(AssertionError):
        OptimWrapper(opt, accumulative_counts=0)


def test_optim_wrapper_dict():
    m = TwoLinear()
    gen = OptimWrapper(torch.optim.SGD(m.a.parameters(), lr=0.1))
    dis = OptimWrapper(torch.optim.Adam(m.b.parameters(), lr=0.01))
    both = build_optim_wrapper(m, dict(generator=gen, discriminator=dis))
    assert isinstance(both, OptimWrapperDict) and len(both) == 2 and 'generator' in both
    assert both.get_lr() == {'generator.lr': [0.1], 'discriminator.lr': [0.01]}
    assert both.get_momentum() == {'generator.momentum': [0], 'discriminator.momentum': [0.9]}
    with pytest.raises(NotImplementedError):
        both.update_params(torch.tensor(1.))
    state = both.state_dict()
    both.load_state_dict(state)
    with pytest.raises(ValueError):  # a multi-optimizer cfg without a constructor
        build_optim_wrapper(m, dict(generator=dict(optimizer=dict(type='SGD', lr=0.1))))


class Nested(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, groups=4)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 2)
        self.frozen = nn.Linear(2, 2)
        self.frozen.weight.requires_grad_(False)
        self.pos = nn.Parameter(torch.zeros(3))


def test_constructor_param_group_layout(recwarn):
    model = Nested()
    ctor = DefaultOptimWrapperConstructor(
        dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=0.01), clip_grad=dict(max_norm=1)),
        dict(custom_keys={'.pos': dict(lr_mult=2.0, decay_mult=0.0), 'fc': dict(lr_mult=0.5)},
             bias_lr_mult=3.0, norm_decay_mult=0.0, dwconv_decay_mult=0.5, flat_decay_mult=0.25))
    wrapper = ctor(model)
    assert isinstance(wrapper, OptimWrapper) and wrapper.clip_grad_kwargs == dict(max_norm=1)
    groups = wrapper.optimizer.param_groups
    names = {id(p): n for n, p in model.named_parameters()}
    by_name = {names[id(g['params'][0])]: g for g in groups}
    assert list(by_name) == [
        'pos', 'conv.weight', 'conv.bias', 'bn.weight', 'bn.bias', 'fc.weight', 'fc.bias', 'frozen.bias'
    ]  # own params first; the frozen weight is dropped
    assert by_name['pos']['lr'] == 0.2 and by_name['pos']['weight_decay'] == 0.0
    assert by_name['pos']['lr_mult'] == 2.0  # custom items are copied into the group
    assert by_name['fc.bias']['lr'] == 0.05 and 'lr_mult' in by_name['fc.bias']
    assert by_name['conv.weight']['weight_decay'] == 0.005  # depthwise conv
    assert by_name['conv.bias']['lr'] == pytest.approx(0.3)
    assert by_name['conv.bias']['weight_decay'] == 0.005  # dwconv before flat: first match wins
    assert by_name['bn.weight']['weight_decay'] == 0.0 and by_name['bn.bias']['lr'] == 0.1
    assert by_name['frozen.bias']['weight_decay'] == pytest.approx(0.0025)  # flat (1-d) rule
    assert any('requires_grad' in str(w.message) for w in recwarn)
    single = DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.1)))(model)
    assert len(single.optimizer.param_groups) == 1 and single.base_param_settings is None
    with pytest.raises(ValueError):
        DefaultOptimWrapperConstructor(dict(optimizer=dict(type='SGD', lr=0.1)), dict(norm_decay_mult=0.))
