"""DDPStrategy and FSDPStrategy under ``torchrun --nproc_per_node 2`` on CPU/gloo: runs finish, checkpoints
resume to the same weights, and FSDP's checkpoints load in a single-device run."""
import json
import os.path as osp

import pytest
import torch
from dist_helpers import run_torchrun
from v2_helpers import TwoLinear

from compat.v2 import SingleDeviceStrategy
from compat.v2.checkpoint import load_checkpoint_file

pytestmark = pytest.mark.dist  # tier: see tests/conftest.py

HERE = osp.dirname(osp.abspath(__file__))


def _torchrun(work_dir, strategy: dict) -> dict:
    # FSDP on CPU/gloo aborts natively now and then at teardown: run_torchrun retries that once
    result = run_torchrun([osp.join(HERE, 'v2_flexible_dist_worker.py'), str(work_dir), json.dumps(strategy)],
                          timeout=240)
    assert result.returncode == 0, result.report()
    return torch.load(str(work_dir / 'result.pth'), weights_only=False)


def _assert_same(a: dict, b: dict) -> None:
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _single_device_load(tmp_path, path: str) -> TwoLinear:
    strategy = SingleDeviceStrategy(work_dir=str(tmp_path / 'single'), log_kwargs=dict(log_level='WARNING'))
    model = strategy.prepare(TwoLinear())
    strategy.load_checkpoint(path)
    return model


def test_ddp_strategy_two_processes(tmp_path):
    result = _torchrun(tmp_path, dict(type='DDPStrategy'))
    assert result['world_size'] == 2 and result['model_type'] == 'MMDistributedDataParallel'
    _assert_same(result['trained'], result['resumed'])
    ckpt = load_checkpoint_file(str(tmp_path / 'epoch_2.pth'))
    assert list(ckpt['state_dict'])[0] == 'module.a.weight'  # DDP keys keep the prefix (mmengine)
    model = _single_device_load(tmp_path, str(tmp_path / 'epoch_2.pth'))
    _assert_same(model.state_dict(), result['trained'])


@pytest.mark.parametrize('state_dict_cfg', ['full', 'sharded'])
def test_fsdp_strategy_two_processes(tmp_path, state_dict_cfg):
    result = _torchrun(tmp_path, dict(type='FSDPStrategy', state_dict_cfg=state_dict_cfg))
    assert result['world_size'] == 2 and result['model_type'] == 'MMFullyShardedDataParallel'
    _assert_same(result['trained'], result['resumed'])
    path = str(tmp_path / 'epoch_2.pth')
    assert osp.isdir(path) == (state_dict_cfg == 'sharded')
    model = _single_device_load(tmp_path, path)  # FSDP's checkpoint in a single-device run
    _assert_same(model.state_dict(), result['trained'])
