"""Reproduce golden/mmengine_run (a real mmengine 0.10.7 run) and resume from its epoch_2.pth."""
import json
import os
import os.path as osp
import re
import shutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset
from v2_helpers import RecordHook

from compat.v2 import BaseMetric, BaseModel, Runner
from compat.v2.checkpoint import load_checkpoint_file

# copied verbatim from the shared golden/mmengine_run (recorded with mmengine 0.10.7)
GOLDEN = osp.join(osp.dirname(__file__), 'data', 'mmengine_run')
LOG = osp.join(GOLDEN, '20261121_172950__20261121_172950.log')
SCALARS = osp.join(GOLDEN, '20261121_172950__vis_data__scalars.json')


class Net(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 2)
        self.bn = nn.BatchNorm1d(2)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        logits = self.bn(self.fc(x))
        if mode == 'loss':
            return dict(loss=F.cross_entropy(logits, torch.stack(data_samples)))
        return list(zip(logits.argmax(1).tolist(), [int(y) for y in data_samples]))


class DS(Dataset):
    def __init__(self, n: int, seed: int) -> None:
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 4, generator=g)
        self.y = (self.x[:, 0] + 0.5 * torch.randn(n, generator=g) > 0).long()

    def __len__(self) -> int:
        return len(self.x)

    def __getitem__(self, i: int) -> dict:
        return dict(inputs=self.x[i], data_samples=self.y[i])


class Acc(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.extend(int(p == y) for p, y in data_samples)

    def compute_metrics(self, results):
        return dict(accuracy=sum(results) / len(results))


def make_runner(work_dir='work_dirs/tiny', **overrides):
    cfg = dict(model=Net(),
               work_dir=work_dir,
               experiment_name='tiny',
               train_dataloader=dict(dataset=DS(24, 0),
                                     batch_size=4,
                                     sampler=dict(type='DefaultSampler', shuffle=True)),
               val_dataloader=dict(dataset=DS(12, 1),
                                   batch_size=3,
                                   sampler=dict(type='DefaultSampler', shuffle=False)),
               train_cfg=dict(by_epoch=True, max_epochs=3, val_interval=1),
               val_cfg=dict(),
               val_evaluator=Acc(),
               optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4),
                                  clip_grad=dict(max_norm=10)),
               param_scheduler=[
                   dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=5),
                   dict(type='MultiStepLR', milestones=[2], gamma=0.1)
               ],
               default_hooks=dict(logger=dict(type='LoggerHook', interval=2),
                                  checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=2)),
               randomness=dict(seed=0))
    cfg.update(overrides)
    return Runner(**cfg)


_RECORD = re.compile(r'^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d - mmengine - (\w+) - ', re.M)


def messages(path):
    """(level, message) per log record (multi-line messages kept whole)."""
    text = open(path).read()
    starts = list(_RECORD.finditer(text))
    out = []
    for m, nxt in zip(starts, starts[1:] + [None]):
        out.append((m.group(1), text[m.end():nxt.start() if nxt else len(text)].rstrip('\n')))
    return out


def normalise(msg):
    msg = re.sub(r'\b(time|data_time|grad_norm|loss): \d+\.\d{4}', r'\1: N', msg)
    msg = re.sub(r'accuracy: \d\.\d{4}', 'accuracy: A', msg)
    msg = re.sub(r'eta: \d+:\d\d:\d\d', 'eta: T', msg)
    return re.sub(r'tiny_\d{8}_\d{6}', 'tiny_TS', msg)


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp('golden_run')
    cwd = os.getcwd()
    os.chdir(root)
    try:
        runner = make_runner()
        runner.train()
    finally:
        os.chdir(cwd)
    return runner, root


def test_log_lines_match_golden(run):
    runner, root = run
    ours = messages(osp.join(root, runner.log_dir, f'{runner.timestamp}.log'))
    golden = messages(LOG)
    hooks = [m for lvl, m in golden if m.startswith('Hooks will be executed')]
    assert hooks and hooks == [m for lvl, m in ours if m.startswith('Hooks will be executed')]

    def training(msgs):
        first = next(i for i, (_, m) in enumerate(msgs) if m.startswith('Checkpoints will be saved'))
        return [normalise(m) for lvl, m in msgs[first:] if lvl == 'INFO']

    assert training(ours) == training(golden)
    lrs = [re.search(r'lr: (\S+)', m).group(1) for _, m in ours if m.startswith('Epoch(train)')]
    assert lrs == [re.search(r'lr: (\S+)', m).group(1) for _, m in golden if m.startswith('Epoch(train)')]
    val_iter = [m for _, m in ours if m.startswith('Epoch(val) [1][2/4]')][0]
    assert val_iter.startswith('Epoch(val) [1][2/4]    eta: ') and val_iter.endswith('  ')


def test_scalars_json_matches_golden(run):
    runner, root = run
    vis = osp.join(root, runner.log_dir, 'vis_data')
    ours = [json.loads(line) for line in open(osp.join(vis, 'scalars.json'))]
    assert open(osp.join(vis, 'scalars.json')).read() == open(osp.join(vis,
                                                                       f'{runner.timestamp}.json')).read()
    golden = [json.loads(line) for line in open(SCALARS)]
    assert [list(r) for r in ours] == [list(r) for r in golden]
    for mine, theirs in zip(ours, golden):
        for key in ('lr', 'epoch', 'iter', 'step'):
            assert mine.get(key) == theirs.get(key)


def test_checkpoints_match_golden_layout(run):
    runner, root = run
    work = osp.join(root, 'work_dirs', 'tiny')
    assert sorted(f for f in os.listdir(work) if f.endswith('.pth')) == ['epoch_2.pth', 'epoch_3.pth']
    assert open(osp.join(work, 'last_checkpoint')).read() == 'work_dirs/tiny/epoch_3.pth'
    for name in ('epoch_2.pth', 'epoch_3.pth'):
        ours = load_checkpoint_file(osp.join(work, name))
        golden = load_checkpoint_file(osp.join(GOLDEN, name))
        assert list(ours) == list(golden)
        # our one addition, after mmengine's keys: the record for an exact continuation
        assert list(ours['meta']) == list(golden['meta']) + ['continuation']
        assert (ours['meta']['epoch'], ours['meta']['iter']) == (golden['meta']['epoch'],
                                                                 golden['meta']['iter'])
        assert list(ours['state_dict']) == list(golden['state_dict'])
        hub, ghub = ours['message_hub'], golden['message_hub']
        assert list(hub) == list(ghub)
        assert list(hub['log_scalars']) == list(ghub['log_scalars'])
        assert list(hub['runtime_info']) == list(ghub['runtime_info'])
        assert list(hub['resumed_keys']) == list(ghub['resumed_keys'])
        for key in ('epoch', 'iter', 'max_epochs', 'max_iters', 'keep_ckpt_ids', 'loop_stage'):
            assert hub['runtime_info'][key] == ghub['runtime_info'][key]
        assert hub['log_scalars']['train/lr'].data[0].tolist(
        ) == ghub['log_scalars']['train/lr'].data[0].tolist()
        assert list(ours['optimizer']) == list(golden['optimizer'])
        assert list(ours['optimizer']['param_groups'][0]) == list(golden['optimizer']['param_groups'][0])
        assert ours['param_schedulers'] == golden['param_schedulers']


def test_resume_from_golden_epoch_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(osp.join(GOLDEN, 'epoch_2.pth'), tmp_path / 'epoch_2.pth')
    recorder = RecordHook()
    runner = make_runner(resume=True, load_from='epoch_2.pth', custom_hooks=[recorder])
    runner.train()
    assert [r['iter'] for r in recorder.records] == list(range(12, 18))
    assert all(r['epoch'] == 2 for r in recorder.records)
    golden3 = load_checkpoint_file(osp.join(GOLDEN, 'epoch_3.pth'))
    assert recorder.records[0]['lr'] == [golden3['optimizer']['param_groups'][0]['lr']
                                         ] == [0.010000000000000004]
    assert [s.state_dict() for s in runner.param_schedulers] == golden3['param_schedulers']
    hub = runner.message_hub
    assert hub.get_scalar('train/lr').data[0].tolist() == \
        golden3['message_hub']['log_scalars']['train/lr'].data[0].tolist()
    log = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    assert 'resumed epoch: 2, iter: 12' in log
    assert 'Epoch(train) [3][2/6]  lr: 1.0000e-02' in log
