"""The ``legacy_runner`` command line end to end: print-config, train/test on every configs_v1
example with a shortened schedule, and the one-line errors for bad input.

The commands run in-process (``run_helpers.run_cli``: exit code and captured stdout/stderr, fresh
loggers); the real ``python -m legacy_runner`` process is exercised by test_bad_input's
``*_subprocess`` tests, the crash tests and CI's README command."""
import ast
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from run_helpers import ROOT, run_cli

from legacy_runner.cli import convert_main
from legacy_runner.config import Config
from legacy_runner.errors import ConfigError

CONFIGS = osp.join(ROOT, 'configs_v1')
STEP = osp.join(CONFIGS, 'mlp_step_epoch.py')

# name -> (--cfg-options shortening the schedule, files the run must leave behind)
EXAMPLES = {
    'mlp_step_epoch': (['runner.max_epochs=3', 'lr_config.step=[2]', 'lr_config.warmup_iters=16'],
                       ['epoch_3.pth', 'latest.pth']),
    'mlp_poly_iter': (['runner.max_iters=192', 'evaluation.interval=96', 'checkpoint_config.interval=96'],
                      ['iter_96.pth', 'iter_192.pth', 'latest.pth']),
    'mlp_cosine_accum_fp16': (['runner.max_epochs=2'], ['epoch_2.pth', 'latest.pth']),
}


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train every example once (shortened); {name: (work_dir, completed process)}."""
    runs = {}
    for name, (options, _) in EXAMPLES.items():
        cwd = tmp_path_factory.mktemp(name)
        # no --work-dir: the default is ./work_dirs/<config name> under the current directory
        proc = run_cli('train', osp.join(CONFIGS, f'{name}.py'), '--seed', '0', '--cfg-options', *options,
                       cwd=str(cwd))
        runs[name] = (osp.join(str(cwd), 'work_dirs', name), proc)
    return runs


def _records(work_dir):
    (json_log, ) = glob.glob(osp.join(work_dir, '*.log.json'))
    with open(json_log) as f:
        return [json.loads(line) for line in f]


# ------------------------------------------------------------------------------- print-config
@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_print_config_equals_pretty_text(name):
    path = osp.join(CONFIGS, f'{name}.py')
    proc = run_cli('print-config', path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == Config.fromfile(path).pretty_text + '\n'


def test_print_config_with_options_and_without_torch():
    code = ('import sys\nfrom legacy_runner.cli import main\n'
            f'rc = main(["print-config", {STEP!r}, "--cfg-options", "optimizer.lr=0.5", "data.x=[1,2]"])\n'
            'assert rc == 0 and "torch" not in sys.modules, sorted(m for m in sys.modules if "torch" in m)\n')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    cfg = Config.fromfile(STEP)
    cfg.merge_from_dict({'optimizer.lr': 0.5, 'data.x': [1, 2]})
    assert proc.stdout == cfg.pretty_text + '\n'


# ------------------------------------------------------------------------------ train and test
@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_train_reaches_accuracy_and_writes_outputs(trained, name):
    work_dir, proc = trained[name]
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = os.listdir(work_dir)
    for expected in EXAMPLES[name][1] + [f'{name}.py']:
        assert expected in files
    (log, ) = [f for f in files if f.endswith('.log')]
    assert f'{log}.json' in files  # {timestamp}.log and {timestamp}.log.json
    dumped = Config.fromfile(osp.join(work_dir, f'{name}.py'))  # the dump loads, overrides applied
    for option in EXAMPLES[name][0]:
        key, value = option.split('=')
        if key.startswith('runner.'):
            assert dumped.runner[key.split('.')[1]] == int(value)
    records = _records(work_dir)
    meta = records[0]
    assert meta['exp_name'] == f'{name}.py' and meta['seed'] == 0 and 'env_info' in meta
    evals = [r for r in records[1:] if 'accuracy' in r]
    assert evals and evals[-1]['accuracy'] > 0.9
    for r in evals:
        assert r['mode'] == 'val' and r['iter'] == 2 and 'time' not in r  # 512 samples / 256 per batch
    with open(osp.join(work_dir, log)) as f:
        text = f.read()
    assert 'Environment info' in text and 'Set random seed to 0' in text


def test_train_specifics(trained):
    step_dir, _ = trained['mlp_step_epoch']
    # the ('val', 1) workflow phase logs losses (with time) besides the EvalHook accuracy
    assert any(r.get('mode') == 'val' and 'loss' in r and 'time' in r for r in _records(step_dir))
    assert glob.glob(osp.join(step_dir, 'best_accuracy_epoch_*.pth'))
    iter_dir, _ = trained['mlp_poly_iter']
    train_epochs = {r['epoch'] for r in _records(iter_dir)[1:] if r['mode'] == 'train'}
    assert max(train_epochs) == 3  # 192 iters of a 64-batch loader: the IterLoader rolled over
    assert glob.glob(osp.join(iter_dir, 'best_accuracy_iter_*.pth'))
    fp16_dir, _ = trained['mlp_cosine_accum_fp16']
    (log, ) = glob.glob(osp.join(fp16_dir, '*.log'))
    with open(log) as f:
        assert 'GradientCumulativeFp16OptimizerHook' in f.read()


@pytest.mark.parametrize('name', sorted(EXAMPLES))
def test_test_command(trained, name, tmp_path):
    work_dir, _ = trained[name]
    proc = run_cli('test', osp.join(CONFIGS, f'{name}.py'), osp.join(work_dir, 'latest.pth'),
                   '--eval', 'accuracy', '--work-dir', str(tmp_path), '--out', str(tmp_path / 'res.pkl'),
                   '--cfg-options', *EXAMPLES[name][0])
    assert proc.returncode == 0, proc.stderr[-3000:]
    metric = ast.literal_eval(proc.stdout.strip().splitlines()[-1])
    assert metric['accuracy'] > 0.9
    assert (tmp_path / 'res.pkl').exists() and glob.glob(str(tmp_path / 'eval_*.json'))


def test_auto_resume_continues_from_latest(trained, tmp_path):
    src, _ = trained['mlp_step_epoch']
    work_dir = tmp_path / 'resumed'
    shutil.copytree(src, work_dir, symlinks=True)  # keep latest.pth a relative symlink
    options = [o for o in EXAMPLES['mlp_step_epoch'][0] if not o.startswith('runner.')]
    proc = run_cli('train', STEP, '--work-dir', str(work_dir), '--auto-resume', '--no-validate',
                   '--cfg-options', 'runner.max_epochs=4', *options)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work_dir / 'epoch_4.pth').exists()
    newest = max(glob.glob(str(work_dir / '*.log')))
    with open(newest) as f:
        text = f.read()
    assert 'resumed epoch 3, iter 192' in text and 'EvalHook' not in text


def test_train_helpers(tmp_path):
    from legacy_runner.train import find_latest_checkpoint, loader_args

    assert find_latest_checkpoint(str(tmp_path / 'missing')) is None
    for name in ('epoch_2.pth', 'epoch_10.pth', 'best_accuracy_epoch_12.pth', 'iter_3.pth'):
        (tmp_path / name).write_bytes(b'')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'latest.pth').symlink_to('epoch_2.pth')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'latest.pth')

    cfg = Config(dict(data=dict(samples_per_gpu=8, workers_per_gpu=1, train=dict(),
                                val=dict(samples_per_gpu=4),
                                test=[dict(samples_per_gpu=2), dict(samples_per_gpu=6)],
                                val_dataloader=dict(workers_per_gpu=0))))
    assert loader_args(cfg, 'train') == dict(samples_per_gpu=8, workers_per_gpu=1, persistent_workers=False)
    assert loader_args(cfg, 'val') == dict(samples_per_gpu=4, workers_per_gpu=0, shuffle=False,
                                           persistent_workers=False)
    assert loader_args(cfg, 'test')['samples_per_gpu'] == 6
    cfg.data.train_dataloader = dict(samples_per_gpu=2)
    with pytest.raises(ConfigError, match='both set'):
        loader_args(cfg, 'train')


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize('args, needles', [
    (['train', 'no_such_config.py'], ['config file not found: no_such_config.py']),
    (['print-config', 'configs_v1/nope.py'], ['config file not found: configs_v1/nope.py']),
    (['train', STEP, '--cfg-options', 'model.type=MLPClassifer'],
     ['mlp_step_epoch.py', 'model.type', 'MLPClassifer', 'Did you mean: MLPClassifier']),
    (['train', STEP, '--cfg-options', 'lr_config.policy=stepp'], ['lr_config.policy', 'stepp']),
    (['train', STEP, '--cfg-options', 'runner.type=EpochRunner'], ['runner.type', 'EpochRunner']),
    (['train', STEP, '--cfg-options', 'data.train.type=Toy'], ['data.train.type', "'Toy'"]),
    (['train', STEP, '--cfg-options', 'model.hiden=3'], ['model', 'hiden']),
    (['train', STEP, '--cfg-options', 'foo'], ['--cfg-options', "'foo'"]),
    (['print-config', STEP, '--cfg-options', 'optimizer.lr.x=1'], ['optimizer.lr.x=1', 'mlp_step_epoch.py']),
    (['test', STEP, 'missing.pth', '--eval', 'accuracy'], ['checkpoint file not found: missing.pth']),
    (['test', STEP, 'missing.pth'], ['--eval']),
    (['test', STEP, STEP, '--out', 'res.json'], ['--out', 'res.json']),
])
def test_bad_input_is_one_line_exit_2(args, needles, tmp_path):
    proc = run_cli(*args, '--work-dir', str(tmp_path / 'wd')) if args[0] == 'train' else run_cli(*args)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert 'error:' in lines[0] and 'Traceback' not in proc.stderr
    for needle in needles:
        assert needle in lines[0]
    assert not (tmp_path / 'wd').exists()  # rejected before anything is written


def test_syntax_error_names_the_file(tmp_path):
    bad = tmp_path / 'broken.py'
    bad.write_text("model = dict(type='MLPClassifier'\n")
    proc = run_cli('print-config', str(bad))
    assert proc.returncode == 2
    (line, ) = proc.stderr.strip().splitlines()
    assert str(bad) in line and 'SyntaxError' in line
    debug = run_cli('print-config', str(bad), '--debug')
    assert debug.returncode == 2 and 'Traceback' in debug.stderr


def test_convert_subcommand_and_console_script_reach_the_converter(tmp_path, capsys):
    out = tmp_path / 'v2.py'
    proc = run_cli('convert', 'configs_v1/mlp_step_epoch.py', str(out), '--verify', '--epoch-length', '16')
    assert proc.returncode == 0, proc.stderr
    assert 'tolerance 1e-09: OK' in proc.stdout and out.is_file()
    # the same converter behind the convert-config entry point, on the same input
    out2 = tmp_path / 'v2_again.py'
    assert convert_main([STEP, str(out2)]) == 0
    assert out2.read_bytes() == out.read_bytes()
    help_text = run_cli('convert', '--help')
    assert help_text.returncode == 0 and '--epoch-length' in help_text.stdout
    assert 'convert a v1' in run_cli('--help').stdout
    bad = run_cli('convert', str(tmp_path / 'missing.py'), str(tmp_path / 'x.py'))
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
    assert 'missing.py' in bad.stderr and not (tmp_path / 'x.py').exists()
