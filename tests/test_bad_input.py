"""Bad input through the real command line (issue 7, item 4): every case exits with code 2 and
one ``error:`` line on stderr (no traceback) that names the file, the key and the value.

Each case is a small v1 config in ``tmp_path`` inheriting ``configs_v1/mlp_step_epoch.py`` through
an absolute ``_base_`` path (``configs_v2/mlp_step_epoch.py`` for the v2 runtime), plus overrides.
Every case fails before training starts, so the table runs in seconds per row.
"""
import os
import os.path as osp
import random
import subprocess
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
BASES = {'v1': osp.join(ROOT, 'configs_v1', 'mlp_step_epoch.py'),
         'v2': osp.join(ROOT, 'configs_v2', 'mlp_step_epoch.py')}


def run_cli(*args):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    return subprocess.run([sys.executable, '-m', 'legacy_runner', *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def write(path, text):
    path.write_text(text)
    return str(path)


def config(tmp_path, body='', runtime='v1', name='bad.py'):
    return write(tmp_path / name, f'_base_ = {BASES[runtime]!r}\n{body}\n')


def assert_one_line_error(proc, *needles):
    lines = proc.stderr.splitlines()
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert len(lines) == 1, proc.stderr
    assert 'Traceback' not in proc.stderr
    line = lines[0]
    assert ': error: ' in line, line
    for needle in needles:
        assert needle in line, (needle, line)
    return line


# ---------------------------------------------------------------- config files (both runtimes)

RUNTIMES = ['v1', 'v2']


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_syntax_error_names_file_and_line(tmp_path, runtime):
    cfg = config(tmp_path, 'x = 1\noptimizer = dict(lr=0.1,\n', runtime)
    line = assert_one_line_error(run_cli('train', cfg, '--work-dir', str(tmp_path / 'w')), cfg)
    assert 'line 3' in line or f'{cfg}:3' in line, line


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_missing_base_names_the_missing_file(tmp_path, runtime):
    missing = str(tmp_path / 'nowhere' / 'base.py')
    cfg = write(tmp_path / 'bad.py', f'_base_ = [{BASES[runtime]!r}, {missing!r}]\n')
    assert_one_line_error(run_cli('train', cfg, '--work-dir', str(tmp_path / 'w')), cfg, missing)


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_circular_base_names_the_cycle(tmp_path, runtime):
    a, b = tmp_path / 'a.py', tmp_path / 'b.py'
    write(a, f'_base_ = [{BASES[runtime]!r}, {str(b)!r}]\n')
    write(b, f'_base_ = {str(a)!r}\n')
    line = assert_one_line_error(run_cli('train', str(a), '--work-dir', str(tmp_path / 'w')), str(a))
    assert 'circular' in line.lower() or 'cycl' in line.lower(), line


@pytest.mark.parametrize('runtime', RUNTIMES)
def test_unknown_model_type_suggests(tmp_path, runtime):
    cfg = config(tmp_path, "model = dict(type='MLPClasifier')", runtime)
    assert_one_line_error(run_cli('train', cfg, '--work-dir', str(tmp_path / 'w')),
                          cfg, 'model.type', 'MLPClasifier', 'Did you mean')


# ---------------------------------------------------------------- v1 config sections

V1_CASES = {
    # name: (config body or --cfg-options list, strings the error line must contain)
    'workflow_typo_phase': ("workflow = [('trian', 1)]", ['workflow', "'trian'"]),
    'workflow_zero_epochs': ("workflow = [('train', 0)]", ['workflow', "('train', 0)"]),
    'workflow_negative_epochs': ("workflow = [('train', -1)]", ['workflow', "('train', -1)"]),
    'workflow_not_tuples': ("workflow = ['train']", ['workflow', "'train'"]),
    'workflow_not_a_list': ("workflow = 'train'", ['workflow', "'train'"]),
    'workflow_float_epochs': ("workflow = [('train', 1.5)]", ['workflow', '1.5']),
    'workflow_empty': ('workflow = []', ['workflow', '[]']),
    'lr_policy_unknown': ("lr_config = dict(policy='stpe', step=[5])",
                          ['lr_config.policy', "'stpe'", 'Did you mean']),
    'momentum_policy_unknown': ("momentum_config = dict(policy='cyclicc')",
                                ['momentum_config.policy', "'cyclicc'", 'Did you mean']),
    'warmup_type_bogus': ("lr_config = dict(warmup='bogus')", ['lr_config.warmup', "'bogus'"]),
    'warmup_iters_zero': ('lr_config = dict(warmup_iters=0)', ['lr_config.warmup_iters', '0']),
    'warmup_ratio_zero': ('lr_config = dict(warmup_ratio=0)', ['lr_config.warmup_ratio', '0']),
    'warmup_ratio_above_one': ('lr_config = dict(warmup_ratio=1.5)',
                               ['lr_config.warmup_ratio', '1.5']),
    'momentum_warmup_bogus': ("momentum_config = dict(policy='step', step=[5], warmup='bogus')",
                              ['momentum_config.warmup', "'bogus'"]),
    'log_interval_zero': ('log_config = dict(interval=0)', ['log_config.interval', '0']),
    'log_interval_negative': ('log_config = dict(interval=-5)', ['log_config.interval', '-5']),
    'log_hook_interval_zero': ("log_config = dict(hooks=[dict(type='TextLoggerHook', interval=0)])",
                               ['log_config.hooks[0].interval', '0']),
    'eval_interval_zero': ('evaluation = dict(interval=0)', ['evaluation.interval', '0']),
    'eval_interval_negative': ('evaluation = dict(interval=-2)', ['evaluation.interval', '-2']),
    'val_split_missing': ("data = dict(val=None)\nevaluation = None",
                          ['data.val', "'val'", 'workflow']),
}


@pytest.mark.parametrize('name', sorted(V1_CASES))
def test_v1_config_section(tmp_path, name):
    body, needles = V1_CASES[name]
    cfg = config(tmp_path, body)
    work_dir = tmp_path / 'w'
    proc = run_cli('train', cfg, '--work-dir', str(work_dir))
    assert_one_line_error(proc, cfg, *needles)
    assert not work_dir.exists(), 'the error must come before the work dir is created'


def test_v1_missing_val_split_without_eval(tmp_path):
    # --no-validate: only the ('val', 1) workflow phase needs data.val
    cfg = config(tmp_path, 'data = dict(val=None)')
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate')
    assert_one_line_error(proc, cfg, 'data.val', 'workflow')


def test_v1_missing_val_split_via_cfg_options(tmp_path):
    cfg = config(tmp_path, "workflow = [('train', 1)]\ndata = dict(val=None)")
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate',
                   '--cfg-options', "workflow=[('train',1),('val',1)]")
    assert_one_line_error(proc, cfg, 'data.val', 'workflow')


def test_v1_checkpoint_interval_minus_one_is_legal(tmp_path):
    # v1 spec: CheckpointHook interval=-1 means "the last epoch only"; it must pass the checks
    # (shortened to one tiny epoch so that the run is quick).
    cfg = config(tmp_path, 'checkpoint_config = dict(interval=-1)\nrunner = dict(max_epochs=1)\n'
                           'evaluation = dict(interval=1)')
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / 'w' / 'epoch_1.pth').is_file()


# ---------------------------------------------------------------- checkpoints (both runtimes)

@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    """A real (small) checkpoint file, random bytes and the first half of the real file."""
    d = tmp_path_factory.mktemp('ckpts')
    real = d / 'real.pth'
    torch.save(dict(meta=dict(epoch=1, iter=8),
                    state_dict={'backbone.weight': torch.randn(64, 64), 'head.bias': torch.zeros(4)}),
               real)
    data = real.read_bytes()
    (d / 'corrupt.pth').write_bytes(random.Random(7).randbytes(4096))
    (d / 'truncated.pth').write_bytes(data[:len(data) // 2])
    return {'missing': str(d / 'missing.pth'), 'corrupt': str(d / 'corrupt.pth'),
            'truncated': str(d / 'truncated.pth')}


CKPT_KINDS = ['missing', 'corrupt', 'truncated']
CKPT_WORDS = {'missing': 'not found', 'corrupt': 'cannot load', 'truncated': 'cannot load'}


@pytest.mark.parametrize('runtime', RUNTIMES)
@pytest.mark.parametrize('kind', CKPT_KINDS)
def test_resume_from_bad_checkpoint(tmp_path, checkpoints, runtime, kind):
    cfg = config(tmp_path, runtime=runtime)
    ckpt = checkpoints[kind]
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--resume-from', ckpt)
    assert_one_line_error(proc, ckpt, CKPT_WORDS[kind])


@pytest.mark.parametrize('runtime', RUNTIMES)
@pytest.mark.parametrize('kind', CKPT_KINDS)
def test_test_with_bad_checkpoint(tmp_path, checkpoints, runtime, kind):
    cfg = config(tmp_path, runtime=runtime)
    ckpt = checkpoints[kind]
    proc = run_cli('test', cfg, ckpt, '--eval', 'accuracy')
    assert_one_line_error(proc, ckpt, CKPT_WORDS[kind])


def test_load_from_bad_checkpoint_names_the_key(tmp_path, checkpoints):
    ckpt = checkpoints['corrupt']
    cfg = config(tmp_path, f'load_from = {ckpt!r}')
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'))
    assert_one_line_error(proc, ckpt, 'load_from', 'cannot load')


def test_debug_shows_the_traceback(tmp_path):
    cfg = config(tmp_path, "workflow = [('trian', 1)]")
    proc = run_cli('train', cfg, '--work-dir', str(tmp_path / 'w'), '--debug')
    assert proc.returncode == 2
    assert 'Traceback' in proc.stderr
