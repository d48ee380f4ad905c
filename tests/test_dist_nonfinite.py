"""A NaN loss on one rank of a 2-process run (CPU, gloo, ``torchrun``) stops every rank at the
same iteration with the one-line error, on both runtimes: a rank that stopped alone would leave
the others in the gradient all-reduce until the collective timeout (torchrun happens to kill
them; other launchers wait)."""
import os.path as osp

import pytest
from dist_helpers import ROOT, run_torchrun, torchrun_env

pytestmark = pytest.mark.dist  # tier: see tests/conftest.py

CASES = {
    # the v1 example model averages its logged losses over ranks, as mmcv's models do
    'v1': ('configs_v1/mlp_step_epoch.py', ['runner.max_epochs=1'], ''),
    # a v2 model's are its own rank's: only the agreement in the loss check stops rank 0
    'v2': ('configs_v2/mlp_step_epoch.py', ['train_cfg.max_epochs=1'],
           "model = dict(_delete_=True, type='RankLocalLossModel')\n"),
}


@pytest.mark.parametrize('runtime', sorted(CASES))
def test_nan_on_one_rank_stops_every_rank(tmp_path, runtime):
    example, options, extra = CASES[runtime]
    cfg = tmp_path / 'nan_on_rank1.py'
    cfg.write_text(f'_base_ = [{osp.join(ROOT, example)!r}]\n'
                   "custom_imports = dict(imports=['nan_inject'], allow_failed_imports=False)\n"
                   "custom_hooks = [dict(type='NanInjectHook')]\n" + extra)
    args = ['-m', 'legacy_runner', 'train', str(cfg), '--launcher', 'pytorch', '--work-dir',
            str(tmp_path / 'work'), '--cfg-options', *options]
    result = run_torchrun(args, env=torchrun_env(NAN_INJECT_RANK='1', NAN_INJECT_ITER='2'), cwd=str(tmp_path),
                          log_dir=str(tmp_path / 'logs'), timeout=240, retry=False)
    assert result.returncode != 0, result.report()
    assert sorted(result.outputs) == [0, 1], result.report()
    for rank, (_, err) in result.outputs.items():
        lines = [line for line in err.splitlines() if 'non-finite' in line]
        assert len(lines) == 1, (rank, result.report())
        assert 'at iteration 3 (epoch 1)' in lines[0] and 'training stopped' in lines[0], lines[0]
        assert 'Traceback' not in err, result.report()
    if runtime == 'v2':  # rank 0's own loss was finite: it names the rank that was not
        assert 'non-finite loss on rank 1 = nan' in result.outputs[0][1], result.report()
