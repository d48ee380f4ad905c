"""Reproduce the golden mmcv 1.7.2 run (tests/data/mmcv_run) and compare everything deterministic:
the hook table, the text line formats, the .log.json keys/order/modes/counters/lr, and the
checkpoint files (names, latest.pth, meta, optimizer layout). Times and loss values differ
(the golden run's data is not recorded), so they are masked."""
import json
import logging
import os
import os.path as osp
import re
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
from golden_model import GoldenNet
from torch.utils.data import DataLoader

import legacy_runner
from legacy_runner.hooks.checkpoint import CheckpointHook  # noqa: F401  (registers it)
from legacy_runner.hooks.logger import TextLoggerHook  # noqa: F401
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.utils.logging import get_logger

lr_updater = pytest.importorskip('legacy_runner.hooks.lr_updater')
optimizer_hooks = pytest.importorskip('legacy_runner.hooks.optimizer')

GOLDEN = osp.join(osp.dirname(__file__), 'data', 'mmcv_run')
PREFIX = re.compile(r'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - (\S+) - (\w+) - ')


class Tiny(GoldenNet):
    def _step(self, data):
        x, y = data
        out = self(x)
        loss = nn.functional.cross_entropy(out, y)
        acc = (out.argmax(1) == y).float().mean().item()
        return dict(loss=loss, log_vars=dict(loss=loss.item(), acc=acc), num_samples=len(x))

    def train_step(self, data, optimizer):
        return self._step(data)

    def val_step(self, data, optimizer):
        return self._step(data)


def mask(msg):
    """Blank out what depends on the machine, the clock or the (unrecorded) data."""
    msg = re.sub(r'host: \S+, work_dir: \S+', 'host: *, work_dir: *', msg)
    msg = re.sub(r'saved to \S+ by', 'saved to * by', msg)
    msg = re.sub(r'eta: [^,]+', 'eta: *', msg)
    return re.sub(r'\b(time|data_time|loss|acc|grad_norm): [-\d.]+', r'\1: *', msg)


def messages(path):
    """(logger name, level, message) per record; multi-line messages are joined back."""
    out = []
    for line in open(path).read().splitlines():
        m = PREFIX.match(line)
        if m:
            out.append([m.group(1), m.group(2), line[m.end():]])
        else:
            out[-1][2] += '\n' + line
    return [tuple(r) for r in out]


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('tiny'))
    torch.manual_seed(0)
    x = torch.randn(40, 4)
    y = (x[:, 0] > 0).long()
    train = DataLoader(list(zip(x[:24], y[:24])), batch_size=4)  # 6 iters
    val = DataLoader(list(zip(x[24:], y[24:])), batch_size=4)  # 4 iters
    model = Tiny()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    logger = get_logger('mmcv')
    # get_logger only configures a name once per process, so attach this run's file directly.
    handler = logging.FileHandler(osp.join(work_dir, 'run.log'), 'w')
    handler.setFormatter(logger.handlers[0].formatter)
    logger.addHandler(handler)
    try:
        runner = EpochBasedRunner(model, optimizer=optimizer, work_dir=work_dir, logger=logger,
                                  meta=dict(seed=0, exp_name='tiny.py', config='x = 1\n'), max_epochs=3)
        runner.timestamp = '20260101_000000'
        runner.register_training_hooks(
            dict(policy='step', step=[2], warmup='linear', warmup_iters=4, warmup_ratio=0.1),
            dict(grad_clip=dict(max_norm=1.0)), dict(interval=1, max_keep_ckpts=2),
            dict(interval=2, hooks=[dict(type='TextLoggerHook')]))
        runner.run([train, val], [('train', 1), ('val', 1)])
    finally:
        logger.removeHandler(handler)
        handler.close()
    return work_dir, runner


def test_text_log_matches_golden(run):
    work_dir, _ = run
    golden = messages(osp.join(GOLDEN, '20260101_000000.log'))
    ours = messages(osp.join(work_dir, 'run.log'))
    assert [(n, lvl) for n, lvl, _ in ours] == [('mmcv', 'INFO')] * len(golden)
    assert [mask(m) for _, _, m in ours] == [mask(m) for _, _, m in golden]


def test_log_json_matches_golden(run):
    work_dir, _ = run

    def load(path):
        return [json.loads(line, object_pairs_hook=OrderedDict) for line in open(path).read().splitlines()]

    golden = load(osp.join(GOLDEN, '20260101_000000.log.json'))
    ours = load(osp.join(work_dir, '20260101_000000.log.json'))
    assert ours[0] == golden[0]  # the meta line
    assert len(ours) == len(golden)
    for a, b in zip(ours[1:], golden[1:]):
        assert list(a) == list(b)
        assert (a['mode'], a['epoch'], a['iter']) == (b['mode'], b['epoch'], b['iter'])
        assert a['lr'] == pytest.approx(b['lr'], abs=1e-12)
        for key in ('data_time', 'loss', 'acc', 'grad_norm', 'time'):
            if key in a:
                assert a[key] == round(a[key], 5)


def test_checkpoints_match_golden(run):
    work_dir, runner = run
    assert sorted(os.listdir(work_dir)) == ['20260101_000000.log.json', 'epoch_2.pth', 'epoch_3.pth',
                                            'latest.pth', 'run.log']
    assert os.readlink(osp.join(work_dir, 'latest.pth')) == 'epoch_3.pth'
    for name in ('epoch_2.pth', 'epoch_3.pth'):
        ours = torch.load(osp.join(work_dir, name), weights_only=True)
        golden = torch.load(osp.join(GOLDEN, name), weights_only=True)
        assert list(ours) == list(golden)
        # our one addition: the record for an exact continuation (legacy_runner.continuation)
        record = ours['meta'].pop('continuation')
        assert (record['epoch'], record['iter'], record['in_epoch']) == \
            (ours['meta']['epoch'], ours['meta']['iter'], False)
        # and the mark of who wrote the file, next to mmcv's key with the version the shim reports
        assert ours['meta'].pop('legacy_runner_version') == legacy_runner.__version__
        assert ours['meta']['mmcv_version'] == '1.7.0' and golden['meta']['mmcv_version'] == '1.7.2'
        assert list(ours['meta']) == list(golden['meta'])
        for key in ('seed', 'exp_name', 'config', 'epoch', 'iter'):
            assert ours['meta'][key] == golden['meta'][key]
        assert osp.basename(ours['meta']['hook_msgs']['last_ckpt']) == \
            osp.basename(golden['meta']['hook_msgs']['last_ckpt'])
        assert list(ours['state_dict']) == list(golden['state_dict'])
        ours_groups, golden_groups = ours['optimizer']['param_groups'], golden['optimizer']['param_groups']
        assert [sorted(g) for g in ours_groups] == [sorted(g) for g in golden_groups]
        assert [g['lr'] for g in ours_groups] == pytest.approx([g['lr'] for g in golden_groups])
        assert list(ours['optimizer']['state']) == list(golden['optimizer']['state'])
    assert runner.meta['hook_msgs']['last_ckpt'] == osp.join(work_dir, 'epoch_3.pth')
