"""Hostile and careless input through the command line, on both runtimes: nothing hangs, nothing
trains silently wrong, no earlier work is lost, and every refusal is one ``error:`` line on stderr
(the last one, even after logging started) with exit code 2.

Runs go through ``legacy_runner.cli.main`` in-process on a small version of the examples (256
training samples, batch 64: 4 iterations per epoch); subprocesses only where a process boundary is
the point (signals, a second concurrent run).
"""
import os
import os.path as osp
import re
import signal
import subprocess
from typing import Any, List

import pytest
import torch
from run_helpers import ROOT, fresh_loggers

from legacy_runner.cli import main

SMALL = {
    'v1': "data = dict(samples_per_gpu=64, train=dict(num_samples=256), val=dict(num_samples=64),\n"
          "            test=dict(num_samples=64))\n"
          "runner = dict(max_epochs=2)\nlog_config = dict(interval=2)\n",
    'v2': "train_dataloader = dict(batch_size=64, dataset=dict(num_samples=256))\n"
          "val_dataloader = dict(dataset=dict(num_samples=64))\n"
          "test_dataloader = dict(dataset=dict(num_samples=64))\n"
          "train_cfg = dict(max_epochs=2)\ndefault_hooks = dict(logger=dict(interval=2))\n",
}


def example(runtime: str, name: str = 'mlp_step_epoch.py') -> str:
    return osp.join(ROOT, f'configs_{runtime}', name)


def config(tmp_path: Any, runtime: str, body: str = '', base: str = 'mlp_step_epoch.py',
           name: str = 'cfg.py') -> str:
    path = tmp_path / name
    path.write_text(f'_base_ = {example(runtime, base)!r}\n{SMALL[runtime]}{body}\n')
    return str(path)


def _fresh_log_streams() -> None:
    # mmcv's get_logger sets a logger up once per process: its StreamHandler would still write to
    # the stderr that pytest captured for an earlier test (closed by now)
    import logging
    import sys
    for logger in [logging.getLogger()] + list(logging.Logger.manager.loggerDict.values()):
        for handler in getattr(logger, 'handlers', []):
            if type(handler) is logging.StreamHandler and getattr(handler.stream, 'closed', False):
                handler.stream = sys.stderr  # setStream would flush the closed one


def run(capsys: Any, monkeypatch: Any, *args: Any) -> subprocess.CompletedProcess:
    """``main(args)`` in-process from the repository root; a CompletedProcess."""
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    _fresh_log_streams()
    with fresh_loggers():  # loggers set up by earlier tests would log into their streams
        try:
            code = main([str(a) for a in args])
        except SystemExit as e:  # argparse's usage errors: one line and exit 2, as in a real process
            code = e.code if isinstance(e.code, int) else 1
    out, err = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, out, err)


@pytest.fixture
def cli(capsys: Any, monkeypatch: Any) -> Any:
    return lambda *args: run(capsys, monkeypatch, *args)


def last_error_line(proc: subprocess.CompletedProcess, *needles: str, code: int = 2) -> str:
    """The refusal contract: exit ``code``, no traceback, the last stderr line is the error."""
    assert proc.returncode == code, (proc.returncode, proc.stderr[-3000:])
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert lines, 'nothing on stderr'
    line = lines[-1]
    for needle in needles:
        assert needle in line, (needle, line)
    return line


def checkpoints(work_dir: str) -> List[str]:
    return sorted(n for n in os.listdir(work_dir) if n.endswith('.pth')) if osp.isdir(work_dir) else []


# ----------------------------------------------------------------- a workflow without train phase

@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_val_only_workflow_is_refused(cli: Any, tmp_path: Any, runtime: str) -> None:
    # mmcv counts epochs in train phases only, so this workflow never ended
    cfg = config(tmp_path, 'v1', "workflow = [('val', 1)]\n")
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w', '--runtime', runtime)
    line = last_error_line(proc, 'workflow', "'val'")
    assert 'train' in line, line
    assert checkpoints(str(tmp_path / 'w')) == []


class _SigtermInVal:
    """Sends SIGTERM to this process after the first iteration of a ('val', n) workflow phase."""

    def __init__(self) -> None:
        from legacy_runner.hooks import Hook
        outer = self

        class SendSigtermInVal(Hook):
            def after_val_iter(self, runner: Any) -> None:
                if not outer.sent:
                    outer.sent = runner.iter
                    os.kill(os.getpid(), signal.SIGTERM)
        self.sent = 0
        self.hook = SendSigtermInVal


def test_sigterm_stops_a_val_phase(cli: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from legacy_runner.hooks import HOOKS
    sender = _SigtermInVal()
    monkeypatch.setitem(HOOKS._module_dict, 'SendSigtermInVal', sender.hook)
    cfg = config(tmp_path, 'v1', "custom_hooks = [dict(type='SendSigtermInVal')]\n"
                 'runner = dict(max_epochs=50)\n')
    work_dir = tmp_path / 'w'
    proc = cli('train', cfg, '--work-dir', work_dir, '--no-validate')
    line = last_error_line(proc, 'SIGTERM', code=128 + signal.SIGTERM)
    assert sender.sent == 4, sender.sent  # one train epoch of 4 iterations, then the val phase
    assert f'after iteration {sender.sent}' in line, line
    assert checkpoints(str(work_dir)) == ['epoch_1.pth', 'latest.pth'], checkpoints(str(work_dir))


# ----------------------------------------------------------------- non-finite losses

CLIP = {'v1': 'optimizer_config = dict(_delete_=True, grad_clip=dict(max_norm=10.0))\n',
        'v2': 'optim_wrapper = dict(clip_grad=dict(max_norm=10.0))\n'}


def _all_finite(work_dir: str) -> None:
    for name in checkpoints(work_dir):
        state = torch.load(osp.join(work_dir, name), map_location='cpu', weights_only=False)['state_dict']
        bad = [k for k, v in state.items() if v.is_floating_point() and not torch.isfinite(v).all()]
        assert not bad, f'{name} holds non-finite weights: {bad}'


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_nan_loss_stops_at_the_first_iteration(cli: Any, tmp_path: Any, runtime: str) -> None:
    cfg = config(tmp_path, runtime, "model = dict(loss_weight=float('nan'))\n")
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w')
    last_error_line(proc, "non-finite loss = nan at iteration 1 (epoch 1)", '--allow-nonfinite')
    assert checkpoints(str(tmp_path / 'w')) == []


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_divergence_stops_before_a_nonfinite_checkpoint(cli: Any, tmp_path: Any, runtime: str) -> None:
    # an absurd learning rate: finite for a few iterations (checkpoints every 2), then inf/nan
    ckpt = ('checkpoint_config = dict(interval=2, by_epoch=False)\nrunner = dict(max_epochs=8)\n'
            'optimizer = dict(lr=1e6)\n' if runtime == 'v1' else
            'default_hooks = dict(checkpoint=dict(interval=2, by_epoch=False))\n'
            'train_cfg = dict(max_epochs=8)\noptim_wrapper = dict(optimizer=dict(lr=1e6))\n')
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, runtime, ckpt), '--work-dir', work_dir)
    line = last_error_line(proc, 'non-finite loss')
    iteration = int(line.split(' at iteration ')[1].split()[0])
    assert iteration > 2, line
    assert checkpoints(work_dir), (os.listdir(work_dir), line)  # the ones before stay
    _all_finite(work_dir)


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_nonfinite_grad_norm_stops_when_clipping(cli: Any, tmp_path: Any, runtime: str) -> None:
    # the loss itself stays finite (~1.4e38) while the squared gradients overflow float32
    cfg = config(tmp_path, runtime, 'model = dict(loss_weight=1e38)\n' + CLIP[runtime])
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w')
    last_error_line(proc, 'non-finite grad_norm = ', 'at iteration 1 (epoch 1)')
    assert checkpoints(str(tmp_path / 'w')) == []


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
@pytest.mark.parametrize('how', ['flag', 'config'])
def test_allow_nonfinite_keeps_training_as_mmcv(cli: Any, tmp_path: Any, runtime: str, how: str) -> None:
    body = "model = dict(loss_weight=float('nan'))\nrunner = dict(max_epochs=1)\n"
    if runtime == 'v2':
        body = "model = dict(loss_weight=float('nan'))\ntrain_cfg = dict(max_epochs=1)\n"
    extra = ['--allow-nonfinite'] if how == 'flag' else []
    cfg = config(tmp_path, runtime, body + ('allow_nonfinite = True\n' if how == 'config' else ''))
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w', *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'epoch_1.pth' in checkpoints(str(tmp_path / 'w'))


# ----------------------------------------------------------------- a loss dict without 'loss'

@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_loss_dict_without_loss_key_is_one_line(cli: Any, tmp_path: Any, monkeypatch: Any,
                                                runtime: str) -> None:
    import torch.nn.functional as F

    from legacy_runner.builder import MODELS
    from legacy_runner.examples.mlp import MLPClassifier

    class NoLossKeyMLP(MLPClassifier):
        def forward_train(self, img: torch.Tensor, gt_label: torch.Tensor) -> Any:
            return dict(ce=F.cross_entropy(self._logits(img), gt_label))  # not named *loss*

    class NoLossStepMLP(MLPClassifier):
        def train_step(self, data_batch: Any, optimizer: Any = None, **kwargs: Any) -> Any:
            out = super().train_step(data_batch, optimizer, **kwargs)
            del out['loss']  # a custom train_step that forgets it
            return out

    monkeypatch.setitem(MODELS._module_dict, 'NoLossKeyMLP', NoLossKeyMLP)
    monkeypatch.setitem(MODELS._module_dict, 'NoLossStepMLP', NoLossStepMLP)
    cfg = config(tmp_path, runtime, "model = dict(type='NoLossKeyMLP')\n")
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w')
    last_error_line(proc, "no entry whose name contains 'loss'", "['ce'")
    assert checkpoints(str(tmp_path / 'w')) == []
    cfg = config(tmp_path, runtime, "model = dict(type='NoLossStepMLP')\n", name='step.py')
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w2')
    last_error_line(proc, "train_step returned no 'loss'", "['log_vars', 'num_samples']")
    assert checkpoints(str(tmp_path / 'w2')) == []


# ----------------------------------------------------------------- one run per work dir

def _start_holder(cfg: str, work_dir: str) -> subprocess.Popen:
    """A long run in a subprocess; returns once it holds the work dir lock."""
    import sys
    import time
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=ROOT)
    proc = subprocess.Popen([sys.executable, '-m', 'legacy_runner', 'train', cfg, '--work-dir', work_dir],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lock = osp.join(work_dir, 'train.lock')
    deadline = time.monotonic() + 120
    while not (osp.exists(lock) and os.path.getsize(lock)):
        assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, 'the first run never took the lock'
        time.sleep(0.2)  # test-side polling only
    return proc


@pytest.mark.slow
@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_second_run_into_a_busy_work_dir_is_refused(cli: Any, tmp_path: Any, runtime: str) -> None:
    long_run = f"{'runner' if runtime == 'v1' else 'train_cfg'} = dict(max_epochs=10000)\n"
    work_dir = str(tmp_path / 'w')
    holder = _start_holder(config(tmp_path, runtime, long_run, name='long.py'), work_dir)
    try:
        with open(osp.join(work_dir, 'train.lock')) as f:
            owner = f.read().strip()
        assert owner.startswith(f'pid {holder.pid} on host '), owner
        proc = cli('train', config(tmp_path, runtime), '--work-dir', work_dir)
        last_error_line(proc, f'work dir {work_dir} is in use', f'pid {holder.pid}', '--no-work-dir-lock')
        assert 'cfg.py' not in os.listdir(work_dir)  # refused before its config dump
    finally:
        holder.kill()  # SIGKILL: no clean-up; the kernel drops the lock with the process
        holder.wait()
    assert osp.exists(osp.join(work_dir, 'train.lock'))  # stale: left by the killed run
    proc = cli('train', config(tmp_path, runtime, name='short.py'), '--work-dir', work_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not osp.exists(osp.join(work_dir, 'train.lock'))  # released (and removed) at the end


@pytest.mark.slow
def test_lock_released_after_an_error_and_opt_out(cli: Any, tmp_path: Any) -> None:
    from legacy_runner import workdir_lock
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, 'v1', "model = dict(loss_weight=float('nan'))\n", name='nan.py'),
               '--work-dir', work_dir)
    last_error_line(proc, 'non-finite')
    assert workdir_lock.held(work_dir) is None and not osp.exists(osp.join(work_dir, 'train.lock'))
    long_run = 'runner = dict(max_epochs=10000)\n'
    holder = _start_holder(config(tmp_path, 'v1', long_run, name='long.py'), work_dir)
    try:  # mmcv's behaviour on request: the second run goes ahead
        proc = cli('train', config(tmp_path, 'v1', 'runner = dict(max_epochs=1)\n'), '--work-dir', work_dir,
                   '--no-work-dir-lock')
        assert proc.returncode == 0, proc.stderr[-3000:]
    finally:
        holder.kill()
        holder.wait()


# ----------------------------------------------------------------- auto-resume past torn files

def _two_epochs(cli: Any, tmp_path: Any, runtime: str) -> str:
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, runtime, name='two.py'), '--work-dir', work_dir, '--seed', '0')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert {'epoch_1.pth', 'epoch_2.pth'} <= set(checkpoints(work_dir))
    return work_dir


def _cut(path: str, keep: int) -> None:
    with open(path, 'rb') as f:
        data = f.read()
    with open(path, 'wb') as f:  # through a symlink (v1 latest.pth) too
        f.write(data[:keep] if keep >= 0 else data[:len(data) + keep])


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
@pytest.mark.parametrize('cut', [-7, 1000])  # a few bytes short, most of the file gone
def test_auto_resume_passes_over_a_torn_newest_checkpoint(cli: Any, tmp_path: Any, runtime: str,
                                                          cut: int) -> None:
    work_dir = _two_epochs(cli, tmp_path, runtime)
    _cut(osp.join(work_dir, 'epoch_2.pth'), cut)
    # named directly, the cut file is one error line that says it looks truncated
    proc = cli('test', config(tmp_path, runtime, name='two.py'), osp.join(work_dir, 'epoch_2.pth'),
               *(['--eval', 'accuracy'] if runtime == 'v1' else []))
    last_error_line(proc, 'epoch_2.pth', 'looks truncated')
    three = f"{'runner' if runtime == 'v1' else 'train_cfg'} = dict(max_epochs=3)\n"
    proc = cli('train', config(tmp_path, runtime, three, name='three.py'), '--work-dir', work_dir,
               '--seed', '0', '--auto-resume')
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'looks truncated' in log and 'epoch_1.pth' in log, log[-3000:]
    assert 'epoch_3.pth' in checkpoints(work_dir)


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_random_bytes_checkpoint_gets_no_unsafe_load_advice(cli: Any, tmp_path: Any, runtime: str) -> None:
    work_dir = _two_epochs(cli, tmp_path, runtime)
    with open(osp.join(work_dir, 'epoch_2.pth'), 'wb') as f:
        f.write(bytes(range(7, 250)) * 40)
    three = f"{'runner' if runtime == 'v1' else 'train_cfg'} = dict(max_epochs=3)\n"
    proc = cli('train', config(tmp_path, runtime, three, name='three.py'), '--work-dir', work_dir,
               '--auto-resume')
    line = last_error_line(proc, 'is not a checkpoint')
    assert 'unsafe' not in line, line
    assert 'epoch_1.pth' in checkpoints(work_dir)  # earlier work untouched


# ----------------------------------------------------------------- run lengths and loader sizes

@pytest.mark.parametrize('runtime,body,needle', [
    ('v1', 'runner = None', 'runner: expected a dict'),
    ('v1', "runner = dict(max_epochs='two')", "runner.max_epochs: must be an int, got 'two'"),
    ('v1', 'runner = dict(max_epochs=1e400)', 'runner.max_epochs: must be an int, got inf'),
    ('v1', 'runner = dict(max_epochs=1.5)', 'runner.max_epochs: must be an int, got 1.5'),
    ('v2', 'train_cfg = dict(max_epochs=0)', 'train_cfg.max_epochs: must be a positive int, got 0'),
    ('v2', 'train_cfg = dict(max_epochs=-3)', 'train_cfg.max_epochs: must be a positive int, got -3'),
    ('v2', "train_cfg = dict(max_epochs='two')", "train_cfg.max_epochs: must be a positive int, got 'two'"),
    ('v2', 'train_cfg = dict(max_epochs=1e400)', 'train_cfg.max_epochs: must be a positive int, got inf'),
    ('v2', 'train_dataloader = dict(batch_size=0)',
     'train_dataloader.batch_size: must be a positive int, got 0'),
])
def test_bad_run_length_or_batch_size_is_one_line(cli: Any, tmp_path: Any, runtime: str, body: str,
                                                  needle: str) -> None:
    cfg = config(tmp_path, runtime, body + '\n')
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w')
    last_error_line(proc, cfg, needle)
    assert checkpoints(str(tmp_path / 'w')) == []


def test_zero_epochs_warns_on_v1(cli: Any, tmp_path: Any) -> None:
    # mmcv trained nothing and exited 0: kept, with a warning that says so
    with pytest.warns(UserWarning, match='runner.max_epochs=0: nothing will be trained'):
        proc = cli('train', config(tmp_path, 'v1', 'runner = dict(max_epochs=0)\n'), '--work-dir',
                   tmp_path / 'w')
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert checkpoints(str(tmp_path / 'w')) == []


# ----------------------------------------------------------------- unreadable or unwritable input

def _malicious_pickle(path: str) -> None:
    import pickle

    class RunsCode:
        def __reduce__(self) -> Any:
            return (os.system, ('echo ran-code-from-a-checkpoint',))
    with open(path, 'wb') as f:
        pickle.dump({'state_dict': RunsCode()}, f, protocol=2)


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
@pytest.mark.parametrize('kind,needle', [('missing', 'load_from checkpoint file not found'),
                                         ('truncated', 'looks truncated'),
                                         ('malicious', 'refusing to load')])
def test_bad_load_from_is_one_line(cli: Any, tmp_path: Any, runtime: str, kind: str, needle: str) -> None:
    path = str(tmp_path / f'{kind}.pth')
    if kind == 'truncated':
        torch.save({'state_dict': {'w': torch.zeros(4096)}}, path)
        _cut(path, 1000)
    elif kind == 'malicious':
        _malicious_pickle(path)
    proc = cli('train', config(tmp_path, runtime, f'load_from = {path!r}\n'), '--work-dir', tmp_path / 'w')
    last_error_line(proc, path, needle)
    assert 'ran-code-from-a-checkpoint' not in proc.stdout + proc.stderr
    assert checkpoints(str(tmp_path / 'w')) == []


def _unwritable_dir(tmp_path: Any) -> str:
    """An existing directory this process cannot create files in (root ignores modes: sysfs then)."""
    if os.geteuid() != 0:
        path = tmp_path / 'read_only'
        path.mkdir()
        path.chmod(0o555)
        return str(path)
    if osp.isdir('/sys/kernel'):
        return '/sys/kernel'
    pytest.skip('running as root without sysfs: no directory refuses writes')


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
@pytest.mark.parametrize('where', ['read-only', 'below read-only', 'file in the way'])
@pytest.mark.parametrize('lock', [True, False])
def test_unwritable_work_dir_is_one_line(cli: Any, tmp_path: Any, runtime: str, where: str,
                                         lock: bool) -> None:
    if where == 'file in the way':
        (tmp_path / 'a_file').write_text('x')
        work_dir = str(tmp_path / 'a_file' / 'w')
    else:
        work_dir = _unwritable_dir(tmp_path)
        if where == 'below read-only':
            work_dir = osp.join(work_dir, 'new', 'w')
    proc = cli('train', config(tmp_path, runtime), '--work-dir', work_dir,
               *([] if lock else ['--no-work-dir-lock']))
    last_error_line(proc, f'work dir {work_dir}: cannot write there')


@pytest.mark.parametrize('runtime', ['v2', 'v1 config on v2'])
def test_garbage_last_checkpoint_falls_back_to_the_newest_checkpoint(cli: Any, tmp_path: Any,
                                                                     runtime: str) -> None:
    extra = [] if runtime == 'v2' else ['--runtime', 'v2']
    fmt = 'v2' if runtime == 'v2' else 'v1'
    key = 'train_cfg' if fmt == 'v2' else 'runner'
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, fmt, f'{key} = dict(max_epochs=1)\n', name='one.py'),
               '--work-dir', work_dir, *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(osp.join(work_dir, 'last_checkpoint'), 'wb') as f:
        f.write(b'\xff\xfe\x00\x80 not a path \x81')
    proc = cli('train', config(tmp_path, fmt, f'{key} = dict(max_epochs=2)\n', name='two.py'),
               '--work-dir', work_dir, '--auto-resume', *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert 'epoch_1.pth' in log, log[-3000:]  # resumed from the newest checkpoint in the work dir
    ckpt = torch.load(osp.join(work_dir, 'epoch_2.pth'), map_location='cpu', weights_only=False)
    assert ckpt['meta']['epoch'] == 2


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_iteration_run_over_an_empty_loader_is_one_line(cli: Any, tmp_path: Any, runtime: str) -> None:
    # 10 samples, batch 64, drop_last: no batch at all; mmcv's IterLoader raised StopIteration
    body = {'v1': "runner = dict(_delete_=True, type='IterBasedRunner', max_iters=4)\n"
                  "workflow = [('train', 1)]\n"
                  'data = dict(samples_per_gpu=64, train=dict(num_samples=10),\n'
                  '            train_dataloader=dict(drop_last=True))\n',
            'v2': "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=4)\n"
                  'train_dataloader = dict(batch_size=64, drop_last=True, dataset=dict(num_samples=10))\n'
            }[runtime]
    proc = cli('train', config(tmp_path, runtime, body), '--work-dir', tmp_path / 'w')
    last_error_line(proc, 'train data loader yields no batch', '10 samples, batch size 64, drop_last=True')
    assert checkpoints(str(tmp_path / 'w')) == []


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_config_nested_too_deeply_to_print_is_one_line(cli: Any, tmp_path: Any, runtime: str) -> None:
    deep = 'deep = ' + 'dict(a=' * 100 + '1' + ')' * 100 + '\n'
    cfg = config(tmp_path, runtime, deep)
    work_dir = tmp_path / 'w'
    proc = cli('train', cfg, '--work-dir', work_dir)
    last_error_line(proc, cfg, 'cannot print the merged config', 'nested too deeply')
    left = [osp.join(root, n) for root, _, names in os.walk(work_dir) for n in names]
    assert not [p for p in left if p.endswith('.py')], left  # no empty config dump


# ----------------------------------------------------------------- wrong types in built sections

@pytest.mark.parametrize('runtime,option,needle', [
    ('v1', 'evaluation.metric=0', 'evaluation.metric: expected a metric name or a list of names, got 0'),
    ('v2', 'val_evaluator.metric=0', 'val_evaluator.metric: expected a metric name or a list of names'),
    ('v1', 'model.hidden_channels=8', "model: TypeError"),
    ('v2', 'model.hidden_channels=8', "model: TypeError"),
    ('v2', 'optim_wrapper.optimizer.lr=abc', 'optim_wrapper: TypeError'),
    ('v2', 'optim_wrapper.optimizer=3', 'optim_wrapper: AttributeError'),
    ('v2', 'optim_wrapper.clip_grad=3', 'optim_wrapper: AssertionError'),
    ('v2', 'optim_wrapper.accumulative_counts=x', 'optim_wrapper: TypeError'),
    ('v2', 'param_scheduler=3', 'param_scheduler: TypeError: scheduler should be a _ParamScheduler object'),
    ('v2', 'val_evaluator=3', 'val_evaluator: TypeError: evaluator should be one of dict'),
    ('v1', 'optimizer_config.grad_clip=abc', "optimizer_config.grad_clip: expected None or a dict"),
    ('v2', 'train_dataloader.dataset.type=Nope', 'train_cfg/train_dataloader: KeyError'),
])
def test_wrong_type_in_a_built_section_is_one_line(cli: Any, tmp_path: Any, runtime: str, option: str,
                                                   needle: str) -> None:
    cfg = config(tmp_path, runtime)
    proc = cli('train', cfg, '--work-dir', tmp_path / 'w', '--cfg-options', option)
    last_error_line(proc, cfg, needle)
    assert checkpoints(str(tmp_path / 'w')) == []


def test_v2_runner_api_keeps_the_builders_exceptions(tmp_path: Any) -> None:
    # only the command line turns build errors into one line; the Python API raises as mmengine does
    from compat.v2.api import build_runner
    from legacy_runner.config import Config
    cfg = Config.fromfile(config(tmp_path, 'v2'))
    cfg.work_dir = str(tmp_path / 'w')
    cfg.param_scheduler = 3
    runner = build_runner(cfg)
    with pytest.raises(TypeError, match='scheduler should be a _ParamScheduler object or dict'):
        runner.train()


# ----------------------------------------------------------------- resume after the run changed

_MID_EPOCH_SAVE = {'v1': 'checkpoint_config = dict(interval=3, by_epoch=False)\n',
                   'v2': 'default_hooks = dict(logger=dict(interval=2), '
                         'checkpoint=dict(interval=3, by_epoch=False, save_last=False))\n'}
_CHANGED_DATA = {
    ('v1', 'batch'): 'data = dict(samples_per_gpu=32, train=dict(num_samples=256))\n',
    ('v1', 'length'): 'data = dict(samples_per_gpu=64, train=dict(num_samples=100))\n',
    ('v2', 'batch'): 'train_dataloader = dict(batch_size=32, dataset=dict(num_samples=256))\n',
    ('v2', 'length'): 'train_dataloader = dict(batch_size=64, dataset=dict(num_samples=100))\n',
}
_CHANGE_TEXT = {'batch': 'batch size 64 -> 32', 'length': 'dataset length 256 -> 100'}


def _epochs(runtime: str, n: int) -> str:
    return f"{'runner' if runtime == 'v1' else 'train_cfg'} = dict(max_epochs={n})\n"


def _saved_after_iteration_3(work_dir: str, runtime: str) -> str:
    # v1's epoch runner names an iteration save after the epoch it is in
    return osp.join(work_dir, 'epoch_1.pth' if runtime == 'v1' else 'iter_3.pth')


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
@pytest.mark.parametrize('change', ['batch', 'length'])
@pytest.mark.parametrize('where', ['mid-epoch', 'epoch boundary'])
def test_resume_after_the_train_data_changed_warns(cli: Any, tmp_path: Any, runtime: str, change: str,
                                                    where: str) -> None:
    # the saved position inside a pass over 256 samples in batches of 64 means nothing for another
    # batch size or dataset length (it ended in StopIteration): the run goes on with a warning
    work_dir = str(tmp_path / 'w')
    first = _epochs(runtime, 1) + (_MID_EPOCH_SAVE[runtime] if where == 'mid-epoch' else '')
    proc = cli('train', config(tmp_path, runtime, first, name='first.py'), '--work-dir', work_dir,
               '--seed', '0')
    assert proc.returncode == 0, proc.stderr[-3000:]
    saved = _saved_after_iteration_3(work_dir, runtime) if where == 'mid-epoch' else osp.join(
        work_dir, 'epoch_1.pth')
    changed = config(tmp_path, runtime, _epochs(runtime, 2) + _CHANGED_DATA[runtime, change],
                     name='changed.py')
    expected = 'cannot be kept' if where == 'mid-epoch' else 'continuing at the epoch boundary'
    with pytest.warns(UserWarning, match=rf'{re.escape(_CHANGE_TEXT[change])}.*{expected}'):
        proc = cli('train', changed, '--work-dir', work_dir, '--seed', '0', '--resume-from', saved)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr
    assert 'epoch_2.pth' in checkpoints(work_dir) or runtime == 'v2' and where == 'mid-epoch'


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_resume_iteration_run_after_the_batch_size_changed_starts_a_fresh_pass(
        cli: Any, tmp_path: Any, runtime: str) -> None:
    loop = {'v1': "runner = dict(_delete_=True, type='IterBasedRunner', max_iters={})\n"
                  "workflow = [('train', 1)]\n" + _MID_EPOCH_SAVE['v1']
                  + 'evaluation = dict(by_epoch=False)\n',
            'v2': "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters={}, val_interval=3)\n"
                  + _MID_EPOCH_SAVE['v2']}[runtime]
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, runtime, loop.format(3), name='first.py'), '--work-dir', work_dir,
               '--seed', '0')
    assert proc.returncode == 0, proc.stderr[-3000:]
    changed = config(tmp_path, runtime, loop.format(6) + _CHANGED_DATA[runtime, 'batch'], name='changed.py')
    with pytest.warns(UserWarning, match=r'batch size 64 -> 32.*continuing at iteration 3 with a fresh pass'):
        proc = cli('train', changed, '--work-dir', work_dir, '--seed', '0', '--resume-from',
                   osp.join(work_dir, 'iter_3.pth'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'iter_6.pth' in checkpoints(work_dir)


def test_resume_into_another_runner_kind_warns_on_v1(cli: Any, tmp_path: Any) -> None:
    # an epoch-based record has no data-loader states for an IterBasedRunner (it was KeyError 'loaders')
    work_dir = str(tmp_path / 'w')
    proc = cli('train', config(tmp_path, 'v1', _epochs('v1', 1) + _MID_EPOCH_SAVE['v1'], name='first.py'),
               '--work-dir', work_dir, '--seed', '0')
    assert proc.returncode == 0, proc.stderr[-3000:]
    iters = ("runner = dict(_delete_=True, type='IterBasedRunner', max_iters=8)\nworkflow = [('train', 4)]\n"
             'checkpoint_config = dict(interval=4, by_epoch=False)\n')
    with pytest.warns(UserWarning, match='saved by an epoch-based runner, this run is iter-based: resuming '
                                         r'with mmcv semantics instead \(epoch 1, iteration 3'):
        proc = cli('train', config(tmp_path, 'v1', iters, name='iters.py'), '--work-dir', work_dir,
                   '--resume-from', osp.join(work_dir, 'epoch_1.pth'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'iter_8.pth' in checkpoints(work_dir)


# ----------------------------------------------------------------- leftovers and misleading messages

@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_partial_saves_of_a_killed_run_are_removed_at_the_next_start(cli: Any, tmp_path: Any,
                                                                     runtime: str) -> None:
    # atomic_write's temporary name; a killed save leaves it behind, as large as a checkpoint
    work_dir = tmp_path / 'w'
    work_dir.mkdir()
    partial = work_dir / '.epoch_2.pth.0123456789ab.tmp'
    partial.write_bytes(os.urandom(4096))
    kept = [work_dir / 'notes.tmp', work_dir / '.epoch_2.pth.tmp']  # not names atomic_write uses
    for path in kept:
        path.write_text('mine')
    with pytest.warns(UserWarning, match=r'removed 1 partial checkpoint file\(s\) left by an interrupted '
                                         r'save: \.epoch_2\.pth\.0123456789ab\.tmp'):
        proc = cli('train', config(tmp_path, runtime, _epochs(runtime, 1)), '--work-dir', work_dir)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert not partial.exists()
    assert all(path.read_text() == 'mine' for path in kept)


def test_base_reference_without_a_base_is_one_line(cli: Any, tmp_path: Any) -> None:
    # mmcv left the placeholder string ('_lr_<6 hex>') as the value
    cfg = tmp_path / 'no_base.py'
    cfg.write_text('lr = {{_base_.lr}}\n')
    last_error_line(cli('print-config', cfg), str(cfg), '{{_base_.lr}}', 'has no _base_')


def test_base_reference_inside_a_string_keeps_mmcv_value_with_a_warning(cli: Any, tmp_path: Any) -> None:
    (tmp_path / 'base.py').write_text('lr = 0.1\n')
    cfg = tmp_path / 'child.py'
    cfg.write_text("_base_ = './base.py'\nquoted = '{{_base_.lr}}'\nwhole = {{_base_.lr}}\n")
    with pytest.warns(UserWarning, match=r'\{\{_base_\.lr\}\} in config file .*child\.py is inside a string'):
        proc = cli('print-config', cfg)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'''quoted ?= ?'"_lr_[0-9a-f]{6}"\'''', proc.stdout), proc.stdout  # mmcv's value
    assert re.search(r'whole ?= ?0\.1', proc.stdout), proc.stdout


def test_base_that_is_a_directory_says_so(cli: Any, tmp_path: Any) -> None:
    cfg = tmp_path / 'cfg.py'
    cfg.write_text("_base_ = './'\n")
    line = last_error_line(cli('print-config', cfg), 'is a directory, not a config file')
    assert 'does not exist' not in line


@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_unknown_cfg_options_key_is_added_with_a_warning(cli: Any, tmp_path: Any, runtime: str) -> None:
    key = 'optimizer.lrr' if runtime == 'v1' else 'optim_wrapper.optimizer.lrr'
    with pytest.warns(UserWarning, match=rf'--cfg-options added key\(s\) the config did not have: {key} '):
        proc = cli('print-config', example(runtime), '--cfg-options', f'{key}=0.5',
                   'model.num_classes=4')
    assert proc.returncode == 0, proc.stderr
    assert re.search(r'lrr ?= ?0\.5', proc.stdout), proc.stdout  # still added, as mmcv's merge_from_dict does


@pytest.mark.parametrize('runtime,body,key', [
    ('v1', 'data = dict(samples_per_gpu=64, train=dict(num_samples=256), val=dict(num_samples=0))\n',
     'data.val'),
    ('v1', "data = dict(samples_per_gpu=64, train=dict(num_samples=256), val=dict(num_samples=0))\n"
           "workflow = [('train', 1), ('val', 1)]\n", 'data.val'),
    ('v2', 'val_dataloader = dict(dataset=dict(num_samples=0))\n', 'val_dataloader.dataset'),
    ('v2', 'train_dataloader = dict(batch_size=64, dataset=dict(num_samples=0))\n',
     'train_dataloader.dataset'),
])
def test_empty_dataset_is_reported_under_its_own_key(cli: Any, tmp_path: Any, runtime: str, body: str,
                                                     key: str) -> None:
    # an empty val set was reported as data.train_dataloader (v1) or a ZeroDivisionError (v2)
    cfg = config(tmp_path, runtime, body)
    line = last_error_line(cli('train', cfg, '--work-dir', tmp_path / 'w'), cfg,
                           f'{key}: the dataset is empty (0 samples)')
    assert 'train_dataloader' not in line or key.startswith('train')


# ----------------------------------------------------------------- a full disk

@pytest.mark.parametrize('runtime', ['v1', 'v2'])
def test_full_disk_is_one_line_and_keeps_the_earlier_checkpoint(cli: Any, tmp_path: Any, runtime: str,
                                                                monkeypatch: Any) -> None:
    import errno
    real_save = torch.save
    saves: List[int] = []

    def fills_up_after_the_first(obj: Any, f: Any, *args: Any, **kwargs: Any) -> None:
        if saves:  # the device is full from the second checkpoint on
            f.write(b'PK\x03\x04partial')
            raise OSError(errno.ENOSPC, 'No space left on device')
        real_save(obj, f, *args, **kwargs)
        saves.append(1)

    monkeypatch.setattr(torch, 'save', fills_up_after_the_first)
    work_dir = tmp_path / 'w'
    proc = cli('train', config(tmp_path, runtime), '--work-dir', work_dir, '--seed', '0')
    last_error_line(proc, 'no space left on the device', 'earlier checkpoints are intact')
    assert checkpoints(str(work_dir)), 'the first checkpoint stays'
    first = osp.join(str(work_dir), checkpoints(str(work_dir))[0])
    assert torch.load(first, weights_only=False)['state_dict']
    assert not [n for n in os.listdir(work_dir) if '.tmp' in n]  # no partial file left


@pytest.mark.slow
def test_full_disk_on_a_real_small_filesystem(tmp_path: Any) -> None:
    """The real thing: torch.save on a full tmpfs fails with a bare RuntimeError from its zip writer."""
    mount_point = tmp_path / 'small'
    mount_point.mkdir()
    if subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=150k', 'tmpfs', str(mount_point)],
                      capture_output=True).returncode != 0:
        pytest.skip('cannot mount a small tmpfs here (needs root)')
    try:
        from run_helpers import cli_subprocess
        proc = cli_subprocess('train', example('v1', 'mlp_step_epoch.py'), '--work-dir', mount_point / 'w')
        last_error_line(proc, 'no space left on the device')
        assert checkpoints(str(mount_point / 'w')), 'the first checkpoint fitted and stays'
    finally:
        subprocess.run(['umount', str(mount_point)], capture_output=True)
