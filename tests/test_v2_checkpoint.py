"""Checkpoint layout, CheckpointHook (interval, max_keep_ckpts, save_best), auto-resume that reproduces
an uninterrupted run, EMAHook checkpoints, and the restricted unpickler."""
import os
import os.path as osp
import pickle

import pytest
import torch
from v2_helpers import MeanErrorMetric, PointDataset, RecordHook, TwoLinear

from compat.v2 import Runner
from compat.v2.checkpoint import load_checkpoint_file


def make_runner(work_dir, train_cfg, hooks=None, ckpt=None, n=4, **kw):
    torch.manual_seed(0)
    return Runner(model=TwoLinear(),
                  work_dir=str(work_dir),
                  train_dataloader=dict(dataset=PointDataset(n),
                                        batch_size=1,
                                        sampler=dict(type='DefaultSampler', seed=3)),
                  val_dataloader=dict(dataset=PointDataset(2, seed=1),
                                      batch_size=1,
                                      sampler=dict(type='DefaultSampler', shuffle=False)),
                  val_cfg=dict(),
                  val_evaluator=MeanErrorMetric(),
                  train_cfg=train_cfg,
                  optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9),
                                     paramwise_cfg=dict(custom_keys={'b.': dict(lr_mult=0.5)})),
                  param_scheduler=[
                      dict(type='LinearLR', start_factor=0.2, by_epoch=False, end=3),
                      dict(type='CosineAnnealingLR', by_epoch=False, T_max=10, begin=3, end=13)
                  ],
                  default_hooks=dict(checkpoint=ckpt or dict(type='CheckpointHook', interval=1)),
                  custom_hooks=hooks,
                  log_level='WARNING',
                  randomness=dict(seed=0),
                  **kw)


def test_epoch_checkpoint_layout(tmp_path):
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=2),
                         ckpt=dict(type='CheckpointHook', interval=1, max_keep_ckpts=1))
    runner.train()
    assert sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth')) == ['epoch_2.pth']
    ckpt = load_checkpoint_file(str(tmp_path / 'epoch_2.pth'))
    assert list(ckpt) == ['meta', 'state_dict', 'message_hub', 'optimizer', 'param_schedulers']
    # mmengine's keys in mmengine's order, then our continuation record (legacy_runner.continuation)
    assert list(ckpt['meta']) == ['epoch', 'iter', 'cfg', 'seed', 'experiment_name', 'time',
                                  'mmengine_version', 'continuation']
    loop = ckpt['meta']['continuation']['loop']
    assert (loop['phase'], loop['epoch'], loop['iter']) == ('epoch', 2, 8)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (2, 8)
    assert 'base_param_settings' in ckpt['optimizer']  # 4 groups -> the pseudo group is saved
    assert ckpt['message_hub']['runtime_info']['keep_ckpt_ids'] == [2]
    assert open(tmp_path / 'last_checkpoint').read() == str(tmp_path / 'epoch_2.pth')
    assert [s['_global_step'] for s in ckpt['param_schedulers']] == [8, 8]
    # weights_only loaders cannot read message_hub objects; ours can (and maps mmengine's classes)
    with pytest.raises(pickle.UnpicklingError):
        torch.load(str(tmp_path / 'epoch_2.pth'), weights_only=True)


def test_save_best_and_resave(tmp_path):
    runner = make_runner(tmp_path,
                         dict(by_epoch=True, max_epochs=4, val_interval=1),
                         ckpt=dict(type='CheckpointHook',
                                   interval=2,
                                   save_best='auto',
                                   rule='less',
                                   save_last=False))
    runner.train()
    files = sorted(f for f in os.listdir(tmp_path) if f.endswith('.pth'))
    best = [f for f in files if f.startswith('best_mae_epoch_')]
    assert len(best) == 1
    best_ckpt = load_checkpoint_file(str(tmp_path / best[0]))
    assert 'optimizer' not in best_ckpt and 'param_schedulers' not in best_ckpt
    hub = runner.message_hub
    assert hub.get_info('best_score') == min(hub.get_scalar('val/mae').data[0])
    assert hub.get_info('best_ckpt') == str(tmp_path / best[0])
    # an improvement re-saves the regular checkpoint of that epoch once one exists (mmengine):
    # not at epoch 1 (no regular checkpoint yet), but at epoch 3 although interval is 2
    mae = hub.get_scalar('val/mae').data[0].tolist()
    assert mae[2] < min(mae[:2])
    assert files[-3:] == ['epoch_2.pth', 'epoch_3.pth', 'epoch_4.pth'] and 'epoch_1.pth' not in files


def test_iter_resume_reproduces_uninterrupted_run(tmp_path):
    full_rec = RecordHook()
    full = make_runner(tmp_path / 'full', dict(type='IterBasedTrainLoop', max_iters=10, val_interval=100),
                       hooks=[full_rec], ckpt=dict(type='CheckpointHook', by_epoch=False, interval=4))
    full.train()
    part = make_runner(tmp_path / 'part', dict(type='IterBasedTrainLoop', max_iters=6, val_interval=100),
                       ckpt=dict(type='CheckpointHook', by_epoch=False, interval=4))
    part.train()
    assert open(tmp_path / 'part' / 'last_checkpoint').read().endswith('iter_6.pth')
    os.remove(tmp_path / 'part' / 'iter_6.pth')
    with open(tmp_path / 'part' / 'last_checkpoint', 'w') as f:
        f.write(str(tmp_path / 'part' / 'iter_4.pth'))
    rec = RecordHook()
    resumed = make_runner(tmp_path / 'part',
                          dict(type='IterBasedTrainLoop', max_iters=10, val_interval=100),
                          hooks=[rec],
                          ckpt=dict(type='CheckpointHook', by_epoch=False, interval=4),
                          resume=True)
    resumed.train()
    assert [r['iter'] for r in rec.records] == list(range(4, 10))
    assert rec.records == full_rec.records[4:]
    for (k, a), (_, b) in zip(full.model.state_dict().items(), resumed.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert full.message_hub.get_scalar('train/lr').data[0].tolist() == \
        resumed.message_hub.get_scalar('train/lr').data[0].tolist()


def test_load_from_only_loads_weights(tmp_path):
    first = make_runner(tmp_path / 'a', dict(by_epoch=True, max_epochs=1))
    first.train()
    second = make_runner(tmp_path / 'b',
                         dict(by_epoch=True, max_epochs=1),
                         load_from=str(tmp_path / 'a' / 'epoch_1.pth'))
    second.load_or_resume()
    for (k, a), (_, b) in zip(first.model.state_dict().items(), second.model.state_dict().items()):
        assert torch.equal(a, b), k
    assert second.iter == 0


def test_ema_hook_checkpoint_swap_and_resume(tmp_path):
    hooks = [dict(type='EMAHook', momentum=0.5)]
    runner = make_runner(tmp_path, dict(by_epoch=True, max_epochs=2), hooks=hooks)
    runner.train()
    ema = runner.hooks[[type(h).__name__ for h in runner.hooks].index('EMAHook')].ema_model
    ckpt = load_checkpoint_file(str(tmp_path / 'epoch_2.pth'))
    for name, value in runner.model.state_dict().items():
        assert torch.equal(ckpt['ema_state_dict'][f'module.{name}'], value)  # raw weights
        assert torch.equal(ckpt['state_dict'][name], ema.module.state_dict()[name])  # EMA weights
    assert int(ckpt['ema_state_dict']['steps']) == 8
    resumed = make_runner(tmp_path, dict(by_epoch=True, max_epochs=3), hooks=hooks, resume=True)
    resumed.train()
    assert resumed.epoch == 3


def test_restricted_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ('echo owned',))

    path = str(tmp_path / 'evil.pth')
    torch.save({'meta': {}, 'x': Evil()}, path)
    with pytest.raises(pickle.UnpicklingError, match='posix.system|os.system'):
        load_checkpoint_file(path)


def test_mmengine_golden_checkpoint_loads_without_mmengine():
    path = osp.join(osp.dirname(__file__), 'data', 'mmengine_run', 'epoch_3.pth')
    ckpt = load_checkpoint_file(path)
    buf = ckpt['message_hub']['log_scalars']['train/loss']
    assert type(buf).__module__ == 'compat.v2.logging' and len(buf) == 18
    assert ckpt['param_schedulers'][1]['milestones'] == {2: 1}
