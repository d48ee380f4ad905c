"""--exact and the v1-policy scheduler plug-in in our own v2 runtime: every golden case converted
with --exact reproduces mmcv's recording in compat.v2's Runner (two param groups), a run resumed
from the scheduler's state_dict continues exactly, importing the plug-in needs no torch, and our
v2 runs never import mmengine."""
import json
import os
import subprocess
import sys

import pytest

from compat.convert import Options, convert_dict
from compat.convert.writer import format_config

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, 'data', 'v1_lr_schedules.json')) as f:
    CASES = {c['name']: c for c in json.load(f)['cases']}
PLUGIN_CASES = ['step_minlr_epoch', 'inv_iter', 'cos_minlr_linear2ep_epoch', 'cos_minlrratio_iter',
                'cosrestart_epoch', 'linearanneal_iter', 'step_with_step_momentum_warm']
# (the per-group OneCycle case diverges this model at lr 0.5: the mmengine oracle covers it)


def _converted(name, exact=True, epoch_length=None):
    from test_convert_golden import _v1_config
    case = CASES[name]
    return convert_dict(_v1_config(case), Options(epoch_length=epoch_length or case['iters_per_epoch'],
                                                  exact=exact), name)


def test_import_needs_no_torch():
    code = ('import sys; import compat.v2_plugins.v1_schedulers as m; '
            'assert "torch" not in sys.modules and "mmengine" not in sys.modules; print(m.TYPES)')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=dict(os.environ, LEGACY_RUNNER_SHIM='0'))
    assert proc.returncode == 0, proc.stderr


def test_exact_adds_custom_imports_only_where_needed():
    r = _converted('inv_iter')
    assert r.v2['custom_imports'] == dict(imports=['compat.v2_plugins.v1_schedulers'],
                                          allow_failed_imports=False)
    assert [s['type'] for s in r.v2['param_scheduler']] == ['V1PolicyLR']
    plain = _converted('step_list_linear5_epoch')  # exact with built-in types: left alone
    assert 'custom_imports' not in plain.v2
    assert plain.v2 == _converted('step_list_linear5_epoch', exact=False).v2


def _run(v2, case, tmp_path):
    import torch
    from v2_helpers import PointDataset, RecordHook, TwoLinear

    from compat.v2 import Runner
    from compat.v2.optim.wrapper import OptimWrapper
    from legacy_runner.config import Config

    path = tmp_path / 'cfg.py'
    path.write_text(format_config(v2))
    cfg = Config.fromfile(str(path))  # imports custom_imports: the plug-in registers itself

    def build(model):  # the recording's optimizer: module a at lr, module b at lr * 0.5
        args = dict(cfg.optim_wrapper.optimizer)
        cls = getattr(torch.optim, args.pop('type'))
        groups = [dict(params=list(model.a.parameters())),
                  dict(params=list(model.b.parameters()), lr=args['lr'] * 0.5)]
        return OptimWrapper(cls(groups, **args))

    recorder = RecordHook()
    model = TwoLinear()
    runner = Runner(model=model, work_dir=str(tmp_path), train_dataloader=dict(
        dataset=PointDataset(case['iters_per_epoch']), batch_size=1,
        sampler=dict(type='DefaultSampler', shuffle=False)),
        train_cfg=cfg.train_cfg, optim_wrapper=build(model), param_scheduler=cfg.param_scheduler,
        default_hooks=dict(checkpoint=None, logger=dict(type='LoggerHook', interval=1000)),
        custom_hooks=[recorder], randomness=dict(seed=0), log_level='WARNING')
    runner.train()
    return recorder.records


@pytest.mark.slow
@pytest.mark.parametrize('name', PLUGIN_CASES)
def test_plugin_in_our_runtime_matches_mmcv(name, tmp_path):
    case = CASES[name]
    r = _converted(name)
    assert any(s['type'].startswith('V1Policy') for s in r.v2['param_scheduler'])
    got = _run(r.v2, case, tmp_path)
    assert len(got) == len(case['records'])
    for want, have in zip(case['records'], got):
        for key in ('lr', 'momentum'):
            for g in range(2):
                a, b = want[key][g], have[key][g]
                assert abs(a - b) <= 1e-12 * abs(a), (name, want['iter'], key, g, a, b)
    assert 'mmengine' not in sys.modules


def test_state_dict_resume_is_exact():
    # a scheduler rebuilt from state_dict continues with the same values (no hidden state)
    import torch

    import compat.v2_plugins.v1_schedulers  # noqa: F401
    from compat.v2.optim.wrapper import OptimWrapper
    from compat.v2.registry import PARAM_SCHEDULERS

    case = CASES['cos_minlr_linear2ep_epoch']
    r = _converted(case['name'])
    spec = dict(r.v2['param_scheduler'][0])

    def make():
        a, b = torch.nn.Linear(2, 2), torch.nn.Linear(2, 1)
        opt = torch.optim.SGD([dict(params=a.parameters()), dict(params=b.parameters(), lr=0.05)], lr=0.1,
                              momentum=0.9)
        wrapper = OptimWrapper(opt)
        cfg = dict(spec, end=6)
        return wrapper, PARAM_SCHEDULERS.build(cfg, default_args=dict(optimizer=wrapper, epoch_length=7))

    wrapper, sched = make()
    values = []
    for _ in range(20):
        sched.step()
        values.append([g['lr'] for g in wrapper.optimizer.param_groups])
    state = sched.state_dict()
    json.dumps({k: v for k, v in state.items() if k != 'optimizer'}, default=str)
    wrapper2, sched2 = make()
    for g, g1 in zip(wrapper2.optimizer.param_groups, wrapper.optimizer.param_groups):
        g['lr'] = g1['lr']
    sched2.load_state_dict(state)
    for _ in range(10):
        sched.step()
        sched2.step()
        assert [g['lr'] for g in wrapper.optimizer.param_groups] == \
            [g['lr'] for g in wrapper2.optimizer.param_groups]
    assert values[-1] != [g['lr'] for g in wrapper.optimizer.param_groups]
