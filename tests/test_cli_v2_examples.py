"""Each generated configs_v2 example trains through the README command on the v2 runtime.

The schedules are shortened with --cfg-options (as tests/test_cli.py does for configs_v1); the
accuracy is read from the run's vis_data/scalars.json, the file mmengine's tools read.
"""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from run_helpers import ROOT

# name -> options that shorten the run while keeping every phase (warmup, decay, validation)
SHORT = {
    'mlp_step_epoch': ['train_cfg.max_epochs=4'],
    'mlp_poly_iter': ['train_cfg.max_iters=256'],
    'mlp_cosine_accum_fp16': ['train_cfg.max_epochs=4'],
    'mlp_cosine_warmup_floor': [],
}


def test_every_example_is_covered():
    found = {osp.splitext(osp.basename(p))[0] for p in glob.glob(osp.join(ROOT, 'configs_v2', '*.py'))}
    assert found == set(SHORT)


@pytest.mark.parametrize('name', sorted(SHORT))
def test_v2_example_trains_above_90_percent(name, tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    cmd = [sys.executable, '-m', 'legacy_runner', 'train', osp.join('configs_v2', f'{name}.py'),
           '--work-dir', str(tmp_path)]
    if SHORT[name]:
        cmd += ['--cfg-options', *SHORT[name]]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (scalars, ) = glob.glob(str(tmp_path / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars) as f:
        records = [json.loads(line) for line in f if line.strip()]
    accuracies = [r['accuracy'] for r in records if 'accuracy' in r]
    assert accuracies and accuracies[-1] > 0.9, accuracies
