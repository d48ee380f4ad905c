"""Golden replay of the v1 LR/momentum updater hooks through the real runners (41 recorded cases)."""
import json
import logging
import math
import os.path as osp

import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

import legacy_runner.hooks.lr_updater  # noqa: F401  (registers the LR updaters)
import legacy_runner.hooks.momentum_updater  # noqa: F401  (registers the momentum updaters)
from legacy_runner.hooks import Hook
from legacy_runner.runner.epoch_based_runner import EpochBasedRunner
from legacy_runner.runner.iter_based_runner import IterBasedRunner

DATA = osp.join(osp.dirname(__file__), 'data', 'v1_lr_schedules.json')
with open(DATA) as f:
    CASES = {c['name']: c for c in json.load(f)['cases']}
LOGGER = logging.getLogger('test_lr_hooks_golden')


class TwoGroupModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 1)

    def train_step(self, data, optimizer, **kwargs):
        (x, ) = data
        return dict(loss=self.b(self.a(x)).sum(), num_samples=len(x))


class Recorder(Hook):

    def __init__(self):
        self.records = []

    def before_train_iter(self, runner):
        groups = runner.optimizer.param_groups
        self.records.append(dict(
            iter=runner.iter, epoch=runner.epoch, inner_iter=runner.inner_iter,
            lr=[g['lr'] for g in groups],
            momentum=[g['momentum'] if 'momentum' in g else g['betas'][0] for g in groups]))


def _replayable(cfg):
    if cfg is None:
        return None
    cfg = dict(cfg)
    if isinstance(cfg.get('target_ratio'), list):
        cfg['target_ratio'] = tuple(cfg['target_ratio'])  # JSON turned the recorded tuple into a list
    return cfg


def _run(case):
    model = TwoGroupModel()
    groups = [dict(params=model.a.parameters(), lr=0.1), dict(params=model.b.parameters(), lr=0.05)]
    if case['optimizer'] == 'SGD':
        optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.9, weight_decay=1e-4)
    else:
        optimizer = torch.optim.AdamW(groups, lr=0.1, betas=(0.9, 0.999))
    runner_cfg = dict(case['runner'])
    cls = {'EpochBasedRunner': EpochBasedRunner, 'IterBasedRunner': IterBasedRunner}[runner_cfg.pop('type')]
    runner = cls(model, optimizer=optimizer, logger=LOGGER, **runner_cfg)
    runner.register_training_hooks(_replayable(case['lr_config']),
                                   momentum_config=_replayable(case.get('momentum_config')))
    recorder = Recorder()
    runner.register_hook(recorder, priority='LOWEST')
    loader = DataLoader(TensorDataset(torch.zeros(case['iters_per_epoch'], 2)), batch_size=1)
    runner.run([loader], [('train', 1)])
    return recorder.records


@pytest.mark.parametrize('name', sorted(CASES))
def test_golden_case_through_runner(name):
    case = CASES[name]
    got = _run(case)
    assert len(got) == len(case['records'])
    for g, w in zip(got, case['records']):
        assert (g['iter'], g['epoch'], g['inner_iter']) == (w['iter'], w['epoch'], w['inner_iter'])
        for key in ('lr', 'momentum'):
            for a, b in zip(g[key], w[key]):
                assert math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15), (name, w['iter'], key, a, b)
