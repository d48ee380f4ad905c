"""Cross-format checkpoints: the golden mmcv checkpoint resumes in the v2 runtime and
the golden mmengine checkpoint in the legacy runtime, each continuing at the right epoch/iter and lr;
``load_from`` both ways; the IterBasedRunner ``iter`` quirk."""
import logging
import os
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from adapter_helpers import (
    RECORDS,
    V1,
    lr_recorder_registered,  # noqa: F401  (fixture)
    recorder_cfg,
    train_args,
)
from golden_model import GoldenNet
from torch.utils.data import DataLoader

import compat.adapter  # noqa: F401
from compat.adapter import adapt_v1_model, run
from compat.adapter.checkpoints import v2_to_v1_file
from compat.v2 import Runner
from compat.v2.checkpoint import load_checkpoint_file
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner

pytestmark = pytest.mark.usefixtures('lr_recorder_registered')
DATA = osp.join(osp.dirname(__file__), 'data')
MMCV_CKPT = osp.join(DATA, 'mmcv_run', 'epoch_2.pth')
MMENGINE_CKPT = osp.join(DATA, 'mmengine_run', 'epoch_2.pth')


class Tiny(GoldenNet):
    """A v1 model (train_step(data, optimizer)) of the golden runs' architecture."""

    def train_step(self, data, optimizer, **kwargs):
        x, y = data
        loss = F.cross_entropy(self(x), y)
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(x))


def _data():
    torch.manual_seed(0)
    x = torch.randn(24, 4)
    return list(zip(x, (x[:, 0] > 0).long()))  # 6 iterations of 4


def _v2_runner(work_dir, **overrides):
    cfg = dict(model=adapt_v1_model(Tiny()), work_dir=work_dir,
               train_dataloader=dict(dataset=_data(), batch_size=4,
                                     sampler=dict(type='DefaultSampler', shuffle=True)),
               train_cfg=dict(by_epoch=True, max_epochs=3),
               optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
                                  clip_grad=dict(max_norm=1.0)),
               # the conversion of the golden run's lr_config (step [2], linear warmup 4 iters, 0.1)
               param_scheduler=[dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
                                dict(type='MultiStepLR', milestones=[2], gamma=0.1, by_epoch=True)],
               default_hooks=dict(checkpoint=None, logger=None),
               custom_hooks=[dict(type='LegacyCheckpointHook'), recorder_cfg('v2', True)],
               randomness=dict(seed=0))
    cfg.update(overrides)
    return Runner(**cfg)


def test_mmcv_checkpoint_resumes_in_v2_runtime(tmp_path):
    golden = torch.load(MMCV_CKPT, weights_only=True)
    runner = _v2_runner(str(tmp_path), load_from=MMCV_CKPT, resume=True)
    runner.train()
    # epoch 3 of the golden run: iterations 12..17, all at lr 0.01 (its log.json)
    assert RECORDS['v2'] == [(i, runner.param_schedulers[1].get_last_value()[0]) for i in range(12, 18)]
    assert all(abs(lr - 0.01) < 1e-12 for _, lr in RECORDS['v2'])
    assert (runner.epoch, runner.iter) == (3, 18)
    assert [s.last_step for s in runner.param_schedulers] == [4, 2]  # both past their end
    assert runner.optim_wrapper.optimizer.param_groups[0]['initial_lr'] == 0.1
    assert golden['meta']['iter'] == 12  # the file is untouched by the in-memory conversion


def test_mmcv_checkpoint_counters_and_state_after_resume(tmp_path):
    golden = torch.load(MMCV_CKPT, weights_only=True)
    schedule = [dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
                dict(type='MultiStepLR', milestones=[2], gamma=0.1, by_epoch=True, end=3)]
    runner = _v2_runner(str(tmp_path), load_from=MMCV_CKPT, resume=True, param_scheduler=schedule,
                        train_cfg=dict(by_epoch=True, max_epochs=2))  # nothing left to train
    runner.train()
    assert (runner.epoch, runner.iter) == (2, 12)
    assert runner.message_hub.get_info('iter') == 12
    for key, value in golden['state_dict'].items():
        assert torch.equal(runner.model.state_dict()[key], value)
    state = runner.optim_wrapper.optimizer.state_dict()['state']
    for k, v in golden['optimizer']['state'].items():
        assert torch.equal(state[k]['momentum_buffer'], v['momentum_buffer'])
    # the lr the next iteration uses (epoch 3 of the golden run), not the stored epoch-2 value
    assert abs(runner.optim_wrapper.optimizer.param_groups[0]['lr'] - 0.01) < 1e-12


def test_mmengine_checkpoint_resumes_in_legacy_runtime(tmp_path):
    converted = v2_to_v1_file(MMENGINE_CKPT, str(tmp_path))
    golden = load_checkpoint_file(MMENGINE_CKPT)
    model = Tiny()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    runner = EpochBasedRunner(model, optimizer=optimizer, work_dir=str(tmp_path),
                              logger=logging.getLogger('adapter_ckpt'), max_epochs=3)
    runner.register_training_hooks(
        dict(policy='step', step=[2], warmup='linear', warmup_iters=4, warmup_ratio=0.1),
        dict(grad_clip=dict(max_norm=1.0)))
    from adapter_helpers import LrRecorder
    runner.register_hook(LrRecorder('v1'), priority='LOWEST')
    runner.resume(converted)
    assert (runner.epoch, runner.iter) == (2, 12)
    for key, value in golden['state_dict'].items():
        assert torch.equal(model.state_dict()[key], value)
    runner.run([DataLoader(_data(), batch_size=4, shuffle=True)], [('train', 1)])
    assert [i for i, _ in RECORDS['v1']] == list(range(12, 18))
    assert all(abs(lr - 0.01) < 1e-12 for _, lr in RECORDS['v1'])  # golden epoch 3: 1.0000e-02
    assert (runner.epoch, runner.iter) == (3, 18)


def test_load_from_both_ways(tmp_path):
    v1 = torch.load(MMCV_CKPT, weights_only=True)
    runner = _v2_runner(str(tmp_path / 'a'), load_from=MMCV_CKPT, param_scheduler=None,
                        train_cfg=dict(by_epoch=True, max_epochs=0))
    runner.train()
    assert (runner.epoch, runner.iter) == (0, 0)
    for key, value in v1['state_dict'].items():
        assert torch.equal(runner.model.state_dict()[key], value)
    from legacy_runner.checkpoint import load_checkpoint
    v2 = load_checkpoint_file(MMENGINE_CKPT)
    model = Tiny()
    load_checkpoint(model, v2_to_v1_file(MMENGINE_CKPT, str(tmp_path / 'b')), map_location='cpu')
    for key, value in v2['state_dict'].items():
        assert torch.equal(model.state_dict()[key], value)
    assert v2_to_v1_file(MMCV_CKPT, str(tmp_path / 'c')) == MMCV_CKPT  # already legacy layout


def test_iter_runner_checkpoint_quirk_and_cli_resume(tmp_path):
    """A v1 IterBasedRunner ``iter_32.pth`` stores iter=31; the v2 runtime continues at iteration 32
    with the lr the legacy run used there."""
    cfg = os.path.join(V1, 'mlp_poly_iter.py')
    short = {'runner.max_iters': 48, 'checkpoint_config.interval': 32, 'evaluation.interval': 48,
             'data.train.num_samples': 256, 'custom_hooks': [recorder_cfg('v1', False)]}
    run.train(train_args(cfg, str(tmp_path / 'v1'), cfg_options=short))
    full = dict(RECORDS['v1'])
    ckpt = str(tmp_path / 'v1' / 'iter_32.pth')
    assert torch.load(ckpt, weights_only=True)['meta']['iter'] == 31
    short['custom_hooks'] = [recorder_cfg('v2', False)]  # a v1 config: the converter wraps it
    runner = run.train(train_args(cfg, str(tmp_path / 'v2'), runtime='v2', cfg_options=short,
                                  resume_from=ckpt))
    assert [i for i, _ in RECORDS['v2']] == list(range(32, 48))
    for i, lr in RECORDS['v2']:
        assert abs(lr - full[i]) <= 1e-13 * full[i]
    assert runner.iter == 48


def test_v2_run_resumed_by_the_legacy_runtime_through_the_cli_flow(tmp_path):
    """A v2-runtime checkpoint given as ``--resume-from`` to a v1 config: the adapter hands the legacy
    runtime a legacy-layout copy, which continues after the saved epoch."""
    opts = {'data.train.num_samples': 128, 'custom_hooks': [recorder_cfg('v1', False)]}
    r2 = run.train(train_args(os.path.join(V1, 'mlp_step_epoch.py'), str(tmp_path / 'v2'), runtime='v2',
                              cfg_options=dict(opts, **{'runner.max_epochs': 1})))
    assert (r2.epoch, r2.iter) == (1, 4)
    ckpt = str(tmp_path / 'v2' / 'epoch_1.pth')
    r1 = run.train(train_args(os.path.join(V1, 'mlp_step_epoch.py'), str(tmp_path / 'v1'),
                              cfg_options=dict(opts, **{'runner.max_epochs': 2, 'workflow': [('train', 1)]}),
                              resume_from=ckpt))
    assert type(r1).__name__ == 'EpochBasedRunner' and (r1.epoch, r1.iter) == (2, 8)
    assert [i for i, _ in RECORDS['v1']] == [4, 5, 6, 7]
    assert os.path.isfile(tmp_path / 'v1' / 'v1_epoch_1.pth')


def test_fp16_run_resumed_across_runtimes_keeps_the_loss_scaler(tmp_path):
    cfg = os.path.join(V1, 'mlp_cosine_accum_fp16.py')
    opts = {'data.train.num_samples': 128, 'runner.max_epochs': 1}
    run.train(train_args(cfg, str(tmp_path / 'v1'), cfg_options=opts))
    saved = torch.load(str(tmp_path / 'v1' / 'epoch_1.pth'), weights_only=True)
    saved['meta']['fp16']['loss_scaler']['scale'] = 1024.0  # distinguishable from a fresh scaler
    torch.save(saved, str(tmp_path / 'edited.pth'))
    runner = run.train(train_args(cfg, str(tmp_path / 'v2'), runtime='v2',
                                  resume_from=str(tmp_path / 'edited.pth'),
                                  cfg_options=dict(opts, **{'runner.max_epochs': 2})))
    assert (runner.epoch, runner.iter) == (2, 8)
    assert type(runner.optim_wrapper).__name__ == 'AmpOptimWrapper'
    assert runner.optim_wrapper.loss_scaler.state_dict()['scale'] == 1024.0
