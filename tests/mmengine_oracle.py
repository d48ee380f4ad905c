"""Run converted configs in REAL mmengine (0.10.x) and record the per-group lr/momentum.

Used by test_convert_mmengine_oracle.py in a subprocess whose PYTHONPATH holds a --no-deps
install of mmengine (so the test process itself never imports mmengine). Input: a JSON file with
``[{name, path, iters_per_epoch}]`` where ``path`` is a converted v2 config file; output (stdout):
``{name: [{lr: [a, b], momentum: [a, b]}, ...]}`` with one record per train iteration, taken at
``before_train_iter`` (after the schedulers' previous step), for the two param groups of the
recording: module ``a`` (lr 0.1) and module ``b`` (lr 0.05: the converted paramwise_cfg lr_mult).
"""
import json
import logging
import sys
import tempfile
import time
from types import SimpleNamespace

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


class TwoGroups(BaseModel):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(2, 2)
        self.b = nn.Linear(2, 1)

    def forward(self, x, mode='loss'):
        return dict(loss=self.b(self.a(x)).sum() * 0.0)  # zero loss: only the schedule matters


class Recorder(Hook):
    priority = 'LOWEST'

    def __init__(self) -> None:
        self.records = []

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        groups = runner.optim_wrapper.param_groups
        picked = list(groups)
        self.records.append(dict(
            lr=[g['lr'] for g in picked],
            momentum=[g['momentum'] if 'momentum' in g else g['betas'][0] for g in picked]))


def two_group_wrapper(wrapper_cfg, model):
    """The recording's optimizer: one param group per module (a at lr, b at lr * lr_mult), built
    with the converted optimizer arguments (paramwise_cfg's per-parameter groups would make four,
    and per-group scheduler arguments such as OneCycle's max_lr list name two)."""
    from mmengine.optim import OptimWrapper

    args = dict(wrapper_cfg['optimizer'])
    cls = getattr(torch.optim, args.pop('type'))
    mult = wrapper_cfg['paramwise_cfg']['custom_keys']['b.']['lr_mult']
    groups = [dict(params=list(model.a.parameters())),
              dict(params=list(model.b.parameters()), lr=args['lr'] * mult)]
    return OptimWrapper(optimizer=cls(groups, **args))


def run(path: str, iters_per_epoch: int, name: str) -> list:
    cfg = Config.fromfile(path)  # imports custom_imports, as any mmengine tool does
    data = DataLoader(TensorDataset(torch.zeros(iters_per_epoch, 2)), batch_size=1, shuffle=False)
    recorder = Recorder()
    model = TwoGroups()
    with tempfile.TemporaryDirectory() as work_dir:
        runner = Runner(
            model=model, work_dir=work_dir, train_dataloader=data, train_cfg=cfg.train_cfg,
            optim_wrapper=two_group_wrapper(cfg.optim_wrapper, model),
            param_scheduler=cfg.get('param_scheduler'),
            default_hooks=dict(checkpoint=None, logger=None), custom_hooks=[recorder],
            log_level='ERROR', experiment_name=name, default_scope='mmengine')
        runner.train()
    return recorder.records


def main() -> None:
    logging.disable(logging.WARNING)
    # The environment report (compiler probes in subprocesses) costs about a second per Runner and
    # touches nothing the schedules depend on.
    Runner._log_env = lambda self, env_cfg: None
    # mmengine's iteration loop sleeps 2 s each time it restarts the data loader (a guard against
    # worker deadlocks); these loaders have no workers, and the pause changes no schedule value.
    import mmengine.runner.loops as loops
    loops.time = SimpleNamespace(**{**vars(time), 'sleep': lambda seconds: None})
    with open(sys.argv[1]) as f:
        jobs = json.load(f)
    out = {}
    for job in jobs:
        try:
            out[job['name']] = run(job['path'], job['iters_per_epoch'], job['name'])
        except Exception as e:  # reported per case; the test decides whether it is expected
            out[job['name']] = {'error': f'{type(e).__name__}: {e}'}
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main()
