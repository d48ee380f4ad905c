"""Detection and dispatch: ``python -m legacy_runner train|test CFG --runtime auto|v1|v2``.

The "old codebase" here is a package with its own model, dataset and hook registered in the legacy
registries (imported with ``custom_imports``); the same v1 config runs on the legacy runtime and,
converted in memory, on the v2 runtime, where the v1 hook fires at the same points.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import pytest
from adapter_helpers import ROOT, V1, V2

from compat.adapter import MixedFormatError, detect_format
from legacy_runner.cli import main

pytestmark = pytest.mark.slow  # tier: see tests/conftest.py

OLD_PKG = '''
import json, os
import torch
import torch.nn.functional as F
from torch import nn
from legacy_runner.builder import DATASETS, MODELS
from legacy_runner.hooks.hook import HOOKS, Hook


@MODELS.register_module()
class OldNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.fc = nn.Linear(4, 2)

    def forward(self, x, y=None, return_loss=True, **kwargs):
        out = self.fc(x)
        if return_loss:
            return dict(loss=F.cross_entropy(out, y))
        return list(out.argmax(1).numpy())

    def train_step(self, data_batch, optimizer, **kwargs):
        loss = self(**data_batch)['loss']
        return dict(loss=loss, log_vars=dict(loss=loss.item()), num_samples=len(data_batch['x']))


@DATASETS.register_module()
class OldData(torch.utils.data.Dataset):
    def __init__(self, n=24, test_mode=False):
        g = torch.Generator().manual_seed(1)
        self.x = torch.randn(n, 4, generator=g)
        self.y = (self.x[:, 0] > 0).long()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        return dict(x=self.x[i], y=self.y[i])

    def evaluate(self, results, logger=None, **kwargs):
        return dict(acc=float(sum(int(r == y) for r, y in zip(results, self.y.tolist())) / len(results)))


@HOOKS.register_module()
class RecordHook(Hook):
    def __init__(self, out):
        self.out, self.rows = out, []

    def _row(self, stage, runner):
        self.rows.append([stage, runner.epoch, runner.iter, runner.inner_iter])

    def before_run(self, runner):
        self._row('before_run', runner)

    def before_train_epoch(self, runner):
        self._row('before_train_epoch', runner)

    def after_train_iter(self, runner):
        if self.every_n_iters(runner, 4):
            assert runner.outputs['loss'] is not None and runner.outputs['log_vars']['loss'] > 0
            self._row('every_4_iters', runner)
        if self.end_of_epoch(runner):
            self._row(f'end_of_epoch/{len(runner.data_loader)}', runner)

    def after_train_epoch(self, runner):
        self._row('after_train_epoch', runner)
        assert runner.optimizer.param_groups[0]['lr'] > 0 and runner.max_epochs == 2

    def after_val_epoch(self, runner):
        self._row('after_val_epoch', runner)  # v1: only in a ('val', k) workflow

    def after_run(self, runner):
        self._row('after_run', runner)
        with open(os.path.join(runner.work_dir, self.out), 'w') as f:
            json.dump(self.rows, f)
'''

OLD_CFG = '''
custom_imports = dict(imports=['oldpkg'], allow_failed_imports=False)
model = dict(type='OldNet')
data = dict(samples_per_gpu=4, workers_per_gpu=0, train=dict(type='OldData', n=24),
            val=dict(type='OldData', n=8))
evaluation = dict(interval=1, metric='acc')
optimizer = dict(type='SGD', lr=0.1, momentum=0.9)
optimizer_config = dict(grad_clip=None)
lr_config = dict(policy='step', step=[1])
runner = dict(type='EpochBasedRunner', max_epochs=2)
checkpoint_config = dict(interval=1)
log_config = dict(interval=2, hooks=[dict(type='TextLoggerHook')])
custom_hooks = [dict(type='RecordHook', out='record.json')]
workflow = [('train', 1)]
'''


def cli(*args, cwd, env_extra=None):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([str(cwd), ROOT]))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, '-m', 'legacy_runner', *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope='module')
def old_codebase(tmp_path_factory):
    root = tmp_path_factory.mktemp('old')
    (root / 'oldpkg').mkdir()
    (root / 'oldpkg' / '__init__.py').write_text(textwrap.dedent(OLD_PKG))
    (root / 'old_cfg.py').write_text(textwrap.dedent(OLD_CFG))
    return root


def test_detect_format_and_mixed_keys():
    assert detect_format(dict(model={}, data={}, lr_config={})) == 'v1'
    assert detect_format(dict(model={}, train_cfg=dict(type='EpochBasedTrainLoop', max_epochs=1),
                              optim_wrapper={})) == 'v2'
    assert detect_format(dict(model={})) == 'v1'
    # old mmdet: top-level model-level train_cfg/test_cfg are v1 keys, not loop configs
    # (conversion rules: Model-level keys)
    assert detect_format(dict(optimizer={}, train_cfg=dict(rpn={}), test_cfg=dict(rcnn={}))) == 'v1'
    assert detect_format(dict(val_cfg={}, test_cfg={})) == 'v2'
    with pytest.raises(MixedFormatError) as err:
        detect_format(dict(lr_config={}, evaluation={}, optim_wrapper={}, train_cfg=dict(max_epochs=2)))
    assert err.value.v1_keys == ['lr_config', 'evaluation']
    assert err.value.v2_keys == ['optim_wrapper', 'train_cfg']
    with pytest.raises(MixedFormatError, match=r'train_cfg \(model-level'):
        detect_format(dict(train_cfg=dict(rpn={}), param_scheduler=[]))


def test_mixed_config_is_one_error_line(tmp_path, capsys):
    (tmp_path / 'mixed.py').write_text(f"_base_ = ['{V1}/mlp_step_epoch.py']\n"
                                       "optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1))\n")
    assert main(['train', str(tmp_path / 'mixed.py')]) == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]
    assert 'mixes v1' in line and 'optim_wrapper' in line and 'lr_config' in line and 'runner' in line
    assert main(['train', os.path.join(V2, 'mlp_step_epoch.py'), '--runtime', 'v1']) == 2
    assert 'cannot run on the legacy runtime' in capsys.readouterr().err


def test_old_codebase_hook_fires_at_the_same_points_on_both_runtimes(old_codebase):
    res1 = cli('train', 'old_cfg.py', '--work-dir', 'w1', '--seed', '0', cwd=old_codebase)
    assert res1.returncode == 0, res1.stderr[-3000:]
    assert 'in memory' not in res1.stdout
    res2 = cli('train', 'old_cfg.py', '--work-dir', 'w2', '--seed', '0', '--runtime', 'v2', cwd=old_codebase)
    assert res2.returncode == 0, res2.stderr[-3000:]
    assert 'converted old_cfg.py to v2 in memory: ' in res2.stdout and ' keys: ' in res2.stdout
    rec1 = json.loads((old_codebase / 'w1' / 'record.json').read_text())
    rec2 = json.loads((old_codebase / 'w2' / 'record.json').read_text())
    assert rec1 == rec2
    assert rec2[0] == ['before_run', 0, 0, 0] and rec2[-1] == ['after_run', 2, 12, 5]
    assert ['every_4_iters', 0, 3, 3] in rec2 and ['end_of_epoch/6', 1, 11, 5] in rec2
    assert not any(r[0] == 'after_val_epoch' for r in rec2)  # val stages are not forwarded
    assert os.path.isfile(old_codebase / 'w2' / 'epoch_2.pth')


def test_v2_config_auto_runtime_and_test_command(tmp_path, capsys):
    cfg = os.path.join(V2, 'mlp_step_epoch.py')
    opts = ['--cfg-options', 'train_cfg.max_epochs=1', 'train_dataloader.dataset.num_samples=128']
    assert main(['train', cfg, '--work-dir', str(tmp_path / 'w'), '--seed', '0', *opts]) == 0
    assert 'in memory' not in capsys.readouterr().out
    ckpt = str(tmp_path / 'w' / 'epoch_1.pth')
    assert main(['test', cfg, ckpt, '--eval', 'accuracy', 'f1_score']) == 0
    out = capsys.readouterr().out
    assert "'accuracy'" in out and "'f1_score'" in out
    # a v1 config's test still needs --eval/--out on the legacy runtime
    assert main(['test', os.path.join(V1, 'mlp_step_epoch.py'), ckpt]) == 2
    assert '--eval' in capsys.readouterr().err


def test_train_command_line_maps_onto_the_v2_runtime(tmp_path):
    from adapter_helpers import train_args

    from compat.adapter import run
    opts = {'train_cfg.max_epochs': 1, 'train_dataloader.dataset.num_samples': 64}
    runner = run.train(train_args(os.path.join(V2, 'mlp_step_epoch.py'), str(tmp_path), seed=7,
                                  cfg_options=opts, no_validate=True))
    assert runner._val_loop is None and runner.seed == 7
    assert runner.cfg.randomness['seed'] == 7
    names = [type(h).__name__ for h in runner.hooks]
    assert 'V1DatasetBinderHook' in names and 'LegacyCheckpointHook' in names


def test_mmcv_old_codebase_runs_on_the_v2_runtime(tmp_path):
    """Acceptance: the mmcv-importing old codebase (tests/old_codebase.py, run through the mmcv
    shim) trains with ``--runtime v2``; its v1 hook fires at the iterations/epochs it fires at in v1."""
    import old_codebase as oc
    code = oc.write_old_codebase(str(tmp_path))
    work_dir = str(tmp_path / 'w')
    res = subprocess.run([sys.executable, '-m', 'legacy_runner', 'train', 'configs/old_cfg.py', '--work-dir',
                          work_dir, '--runtime', 'v2'], cwd=code.root, env=oc.subprocess_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert 'converted configs/old_cfg.py to v2 in memory' in res.stdout
    records = oc.read_hook_records(work_dir)
    assert records[0]['event'] == 'run' and 'compat' in records[0]['mmcv_file']
    assert [r['iter'] for r in records if r['event'] == 'iter'] == oc.expected_record_iters()
    assert [(r['epoch'], r['iter']) for r in records if r['event'] == 'epoch'] == [
        (e + 1, (e + 1) * oc.ITERS_PER_EPOCH) for e in range(oc.MAX_EPOCHS)]
    assert os.path.isfile(osp.join(work_dir, f'epoch_{oc.MAX_EPOCHS}.pth'))
