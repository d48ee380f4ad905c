"""``convert-config --flexible``: the output selects FlexibleRunner and the runner builder runs it."""
import os.path as osp

import pytest
from run_helpers import ROOT

from compat.adapter.run import with_bridge_hooks  # configs_v2 name v1 models/metrics: the bridges
from compat.convert.cli import main
from compat.convert.flexible import make_flexible
from compat.v2 import FlexibleRunner, SingleDeviceStrategy, train_from_cfg
from legacy_runner.config import Config


def test_make_flexible_picks_the_strategy_from_the_launcher():
    v2 = dict(model=dict(type='M'), find_unused_parameters=True, sync_bn='torch')
    single = make_flexible(v2, dict())
    assert single['runner_type'] == 'FlexibleRunner'
    assert single['strategy'] == dict(type='SingleDeviceStrategy') and 'sync_bn' not in single
    ddp = make_flexible(v2, dict(launcher='pytorch'))
    assert ddp['strategy'] == dict(type='DDPStrategy', model_wrapper=dict(find_unused_parameters=True),
                                   sync_bn='torch')
    assert 'find_unused_parameters' not in ddp and v2['sync_bn'] == 'torch'  # the input is not mutated


def test_flexible_flag_output_runs_under_flexible_runner(tmp_path):
    out = str(tmp_path / 'flex.py')
    assert main([osp.join(ROOT, 'configs_v1', 'mlp_step_epoch.py'), out, '--flexible', '-q']) == 0
    cfg = Config.fromfile(out)
    assert cfg.runner_type == 'FlexibleRunner' and cfg.strategy == dict(type='SingleDeviceStrategy')
    cfg.merge_from_dict({'train_cfg.max_epochs': 1, 'log_level': 'WARNING', 'randomness.seed': 0,
                         'train_dataloader.dataset.num_samples': 128,
                         'val_dataloader.dataset.num_samples': 32})
    runner = train_from_cfg(with_bridge_hooks(cfg), work_dir=str(tmp_path / 'work'))
    assert type(runner) is FlexibleRunner and isinstance(runner.strategy, SingleDeviceStrategy)
    assert osp.isfile(tmp_path / 'work' / 'epoch_1.pth')


def test_flexible_is_single_file_only(tmp_path, capsys):
    assert main([osp.join(ROOT, 'configs_v1'), str(tmp_path / 'out'), '--flexible']) == 2
    assert '--flexible' in capsys.readouterr().err


@pytest.mark.parametrize('launcher', ['none', 'pytorch'])
def test_strategy_is_inferred_from_the_launcher(launcher, tmp_path, monkeypatch):
    from compat.v2 import strategies
    built = {}
    monkeypatch.setattr(strategies.STRATEGIES, 'build', lambda cfg: built.update(cfg) or SingleDeviceStrategy(
        work_dir=str(tmp_path), log_kwargs=dict(log_level='WARNING')))
    FlexibleRunner(model=dict(type='ToyMLPClassifier'), work_dir=str(tmp_path), launcher=launcher,
                   log_level='WARNING')
    assert built['type'] == ('SingleDeviceStrategy' if launcher == 'none' else 'DDPStrategy')
    assert built['env_kwargs']['launcher'] == launcher


def test_adapter_train_command_runs_a_flexible_config(tmp_path):
    from adapter_helpers import train_args

    from compat.adapter.run import train
    out = str(tmp_path / 'flex.py')
    assert main([osp.join(ROOT, 'configs_v1', 'mlp_step_epoch.py'), out, '--flexible', '-q']) == 0
    options = {'train_cfg.max_epochs': 1, 'log_level': 'WARNING', 'train_dataloader.dataset.num_samples': 128,
               'val_dataloader.dataset.num_samples': 32}
    runner = train(train_args(out, str(tmp_path / 'work'), cfg_options=options))
    assert type(runner) is FlexibleRunner and runner.epoch == 1
