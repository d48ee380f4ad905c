"""Entry points for the CLI (train_from_cfg / test_from_cfg) on the embedded example, and the
distributed wrapper path (a one-process gloo group)."""
import os

import pytest
import torch
import torch.distributed as dist
from v2_helpers import PointDataset, TwoLinear

from compat.v2 import MMDistributedDataParallel, Runner, train_from_cfg
from compat.v2 import test_from_cfg as evaluate_cfg
from compat.v2.checkpoint import load_checkpoint_file

EXAMPLE = dict(
    model=dict(type='ToyMLPClassifier', in_channels=8, hidden_channels=(64, 64), num_classes=4),
    train_dataloader=dict(batch_size=32, sampler=dict(type='DefaultSampler', shuffle=True),
                          dataset=dict(type='ToyClsDataset', num_samples=1024, split='train')),
    val_dataloader=dict(batch_size=64, sampler=dict(type='DefaultSampler', shuffle=False),
                        dataset=dict(type='ToyClsDataset', num_samples=256, split='val')),
    test_dataloader=dict(batch_size=64, sampler=dict(type='DefaultSampler', shuffle=False),
                         dataset=dict(type='ToyClsDataset', num_samples=256, split='test')),
    val_evaluator=dict(type='ToyAccuracy'), test_evaluator=dict(type='ToyAccuracy'),
    train_cfg=dict(by_epoch=True, max_epochs=6, val_interval=3), val_cfg=dict(), test_cfg=dict(),
    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)),
    param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, end=33),
                     dict(type='MultiStepLR', milestones=[5])],
    default_hooks=dict(logger=dict(type='LoggerHook', interval=16)),
    custom_imports=dict(imports=['compat.v2.examples']), randomness=dict(seed=0), log_level='WARNING')


def test_train_and_test_example_config(tmp_path):
    runner = train_from_cfg(dict(EXAMPLE), work_dir=str(tmp_path))
    accuracy = runner.message_hub.get_scalar('val/accuracy').current()
    assert accuracy > 0.9
    metrics = evaluate_cfg(dict(EXAMPLE), checkpoint=str(tmp_path / 'epoch_6.pth'), work_dir=str(tmp_path))
    assert metrics['accuracy'] > 0.9
    resumed = train_from_cfg(dict(EXAMPLE, train_cfg=dict(by_epoch=True, max_epochs=7, val_interval=3)),
                             work_dir=str(tmp_path), resume='auto')
    assert resumed.epoch == 7 and resumed.iter == 7 * 32


def test_amp_flag_switches_the_wrapper(tmp_path):
    cfg = dict(EXAMPLE, train_cfg=dict(by_epoch=True, max_epochs=1), val_cfg=None, val_dataloader=None,
               val_evaluator=None)
    runner = train_from_cfg(cfg, work_dir=str(tmp_path), amp=True)
    assert type(runner.optim_wrapper).__name__ == 'AmpOptimWrapper'
    with pytest.raises(RuntimeError):
        train_from_cfg(cfg, work_dir=str(tmp_path), auto_scale_lr=True)


def test_distributed_wrapper_single_process(tmp_path, monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', '29631')
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        runner = Runner(model=TwoLinear(), work_dir=str(tmp_path), launcher='pytorch',
                        train_dataloader=dict(dataset=PointDataset(4), batch_size=2,
                                              sampler=dict(type='DefaultSampler', shuffle=False)),
                        train_cfg=dict(by_epoch=True, max_epochs=1),
                        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1), accumulative_counts=2),
                        custom_hooks=[dict(type='SyncBuffersHook')], log_level='WARNING',
                        randomness=dict(seed=0), env_cfg=dict(dist_cfg=dict(backend='gloo')))
        assert isinstance(runner.model, MMDistributedDataParallel)
        runner.train()
        ckpt = load_checkpoint_file(str(tmp_path / 'epoch_1.pth'))
        assert list(ckpt['state_dict']) == ['a.weight', 'a.bias', 'b.weight', 'b.bias']
        dist.barrier()
    finally:
        dist.destroy_process_group()
    assert os.path.exists(tmp_path / 'last_checkpoint') and torch.distributed.is_initialized() is False
