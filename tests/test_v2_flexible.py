"""FlexibleRunner + SingleDeviceStrategy: same numbers as Runner, selection, checkpoints and resume."""
import os.path as osp

import pytest
import torch
from run_helpers import ROOT
from torch import nn
from v2_helpers import PointDataset, TwoLinear

from compat.adapter.run import with_bridge_hooks  # configs_v2 name v1 models/metrics: the bridges
from compat.v2 import (
    RUNNERS,
    ColossalAIStrategy,
    DeepSpeedStrategy,
    FlexibleRunner,
    Runner,
    SingleDeviceStrategy,
    train_from_cfg,
)
from compat.v2.api import build_runner
from compat.v2.checkpoint import load_checkpoint_file
from compat.v2.strategies import infer_launcher
from legacy_runner.config import Config


def _example(tmp_path, runner_type=None, **extra):
    cfg = Config.fromfile(osp.join(ROOT, 'configs_v2', 'mlp_step_epoch.py'))
    cfg.merge_from_dict({'train_cfg.max_epochs': 2, 'randomness.seed': 0, 'log_level': 'WARNING',
                         'train_dataloader.dataset.num_samples': 256,
                         'val_dataloader.dataset.num_samples': 64})
    if runner_type is not None:
        cfg.runner_type = runner_type
    cfg.merge_from_dict(extra)
    return with_bridge_hooks(cfg)


def test_example_config_matches_runner_bitwise(tmp_path):
    plain = train_from_cfg(_example(tmp_path), work_dir=str(tmp_path / 'runner'))
    flex = train_from_cfg(_example(tmp_path, 'FlexibleRunner', strategy=dict(type='SingleDeviceStrategy')),
                          work_dir=str(tmp_path / 'flex'))
    assert type(plain) is Runner and type(flex) is FlexibleRunner
    assert isinstance(flex.strategy, SingleDeviceStrategy)
    a, b = plain.model.state_dict(), flex.model.state_dict()
    assert list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)
    for name in ('epoch_2.pth',):
        ca = load_checkpoint_file(str(tmp_path / 'runner' / name))
        cb = load_checkpoint_file(str(tmp_path / 'flex' / name))
        assert sorted(ca) == sorted(cb)
        assert all(torch.equal(ca['state_dict'][k], cb['state_dict'][k]) for k in ca['state_dict'])
        assert ca['meta']['epoch'] == cb['meta']['epoch'] == 2 and cb['meta']['iter'] == ca['meta']['iter']
        assert 'mmengine' in cb['meta'] and ca['param_schedulers'] == cb['param_schedulers']
    assert plain.message_hub.get_scalar('val/accuracy').current() == \
        flex.message_hub.get_scalar('val/accuracy').current()


def test_runner_selection_and_launcher_inference(tmp_path, monkeypatch):
    cfg = Config(dict(model=dict(type='ToyMLPClassifier'), work_dir=str(tmp_path),
                      runner_type='FlexibleRunner', log_level='WARNING'))
    runner = build_runner(cfg)
    assert type(runner) is FlexibleRunner and isinstance(runner.strategy, SingleDeviceStrategy)
    assert isinstance(runner.model, dict)  # built lazily by the strategy
    with pytest.raises(KeyError):
        build_runner(Config(dict(cfg, runner_type='NoSuchRunner')))
    assert type(RUNNERS.build(cfg)) is FlexibleRunner  # mmengine's tools/train.py path
    assert type(RUNNERS.build(Config(dict(model=cfg.model, work_dir=cfg.work_dir)))) is Runner
    monkeypatch.delenv('WORLD_SIZE', raising=False)
    assert infer_launcher() == 'none'
    monkeypatch.setenv('WORLD_SIZE', '2')
    assert infer_launcher() == 'pytorch'


def test_missing_packages_give_one_clear_line():
    for cls, package in ((DeepSpeedStrategy, 'deepspeed'), (ColossalAIStrategy, 'colossalai')):
        with pytest.raises(ModuleNotFoundError, match=f'`{package}` package'):
            cls()


class BNNet(TwoLinear):
    def __init__(self):
        super().__init__()
        self.bn = nn.SyncBatchNorm(2)


def _strategy(tmp_path, **kw):
    return SingleDeviceStrategy(work_dir=str(tmp_path), env_kwargs=dict(randomness=dict(seed=3)),
                                log_kwargs=dict(log_level='WARNING'), **kw)


def test_single_device_prepare_save_load_resume(tmp_path):
    strategy = _strategy(tmp_path)
    model, wrapper, schedulers = strategy.prepare(
        BNNet(), optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9), accumulative_counts=2),
        param_scheduler=[dict(type='MultiStepLR', milestones=[1], by_epoch=False)],
        dispatch_kwargs=dict(max_iters=10, max_epochs=1, epoch_length=10))
    assert type(model.bn).__name__ == '_BatchNormXd'
    assert strategy.prepare(model) == [model, wrapper, schedulers]
    data = dict(inputs=torch.randn(4, 2), data_samples=torch.randn(4, 1))
    for _ in range(4):
        model.train_step(data, wrapper)
        schedulers[0].step()
    path = str(tmp_path / 'ckpt.pth')
    strategy.save_checkpoint(path, extra_ckpt=dict(meta=dict(iter=4, epoch=0)))
    saved = load_checkpoint_file(path)
    assert saved['meta']['seed'] == 3 and saved['meta']['iter'] == 4 and 'optimizer' in saved
    assert list(saved['state_dict'])[:2] == ['a.weight', 'a.bias']

    other = _strategy(tmp_path / 'b', )
    other._randomness['seed'] = None  # the checkpoint's seed wins
    model2, wrapper2, schedulers2 = other.prepare(
        BNNet(), optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9), accumulative_counts=2),
        param_scheduler=[dict(type='MultiStepLR', milestones=[1], by_epoch=False)],
        dispatch_kwargs=dict(max_iters=10, max_epochs=1, epoch_length=10))
    rest = other.resume(path)
    assert 'state_dict' not in rest and rest['meta']['iter'] == 4 and other.seed == 3
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), model2.state_dict().values()))
    assert wrapper2.optimizer.state_dict()['state'][0]['momentum_buffer'].equal(
        wrapper.optimizer.state_dict()['state'][0]['momentum_buffer'])
    assert schedulers2[0].last_step == schedulers[0].last_step and wrapper2.inner_count == 4
    assert wrapper2.param_groups[0]['lr'] == pytest.approx(wrapper.param_groups[0]['lr'])

    # load_checkpoint with revise_keys, from a bare state dict with a prefix
    prefixed = {f'net.{k}': v for k, v in saved['state_dict'].items()}
    torch.save(prefixed, str(tmp_path / 'bare.pth'))
    third = _strategy(tmp_path / 'c')
    model3 = third.prepare(BNNet())
    third.load_checkpoint(str(tmp_path / 'bare.pth'), revise_keys=[(r'^net\.', '')])
    assert torch.equal(model3.a.weight, model.a.weight)


LOADER = dict(dataset=PointDataset(8), batch_size=2, sampler=dict(type='DefaultSampler', shuffle=True))


def _flex(work_dir, max_epochs, **kw):
    torch.manual_seed(0)  # the same initial weights in every run
    return FlexibleRunner(
        model=TwoLinear(), work_dir=str(work_dir), train_dataloader=dict(LOADER),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        param_scheduler=[dict(type='LinearLR', start_factor=0.5, by_epoch=False, end=5)],
        randomness=dict(seed=1), log_level='WARNING', **kw)


def test_flexible_resume_gives_the_same_weights(tmp_path):
    full = _flex(tmp_path / 'full', 3)
    full.train()
    first = _flex(tmp_path / 'part', 2)
    first.train()
    resumed = _flex(tmp_path / 'part', 3, resume=True)
    resumed.train()
    assert resumed.epoch == 3 and resumed.iter == 12
    for a, b in zip(full.model.state_dict().values(), resumed.model.state_dict().values()):
        assert torch.equal(a, b)
    # resume='<path>' resumes that file; val after train on the same runner keeps working
    again = _flex(tmp_path / 'again', 3, resume=str(tmp_path / 'part' / 'epoch_2.pth'))
    again.train()
    assert all(torch.equal(a, b) for a, b in zip(full.model.state_dict().values(),
                                                 again.model.state_dict().values()))


def test_ema_hook_with_load_before_before_run(tmp_path):
    first = _flex(tmp_path / 'ema', 1, custom_hooks=[dict(type='EMAHook')])
    first.train()
    ckpt = load_checkpoint_file(str(tmp_path / 'ema' / 'epoch_1.pth'))
    assert 'ema_state_dict' in ckpt
    resumed = _flex(tmp_path / 'ema', 2, resume=True, custom_hooks=[dict(type='EMAHook')])
    resumed.train()  # mmengine: AttributeError 'ema_model' (after_load_checkpoint precedes before_run)
    assert resumed.epoch == 2
