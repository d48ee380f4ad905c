"""Hostile and careless input through the command line, on both runtimes: nothing hangs, nothing
trains silently wrong, no earlier work is lost, and every refusal is one ``error:`` line on stderr
(the last one, even after logging started) with exit code 2.

Runs go through ``legacy_runner.cli.main`` in-process on a small version of the examples (256
training samples, batch 64: 4 iterations per epoch); subprocesses only where a process boundary is
the point (signals, a second concurrent run).
"""
import os
import os.path as osp
import signal
import subprocess
from typing import Any, List

import pytest

from legacy_runner.cli import main

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
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


def run(capsys: Any, monkeypatch: Any, *args: Any) -> subprocess.CompletedProcess:
    """``main(args)`` in-process from the repository root; a CompletedProcess."""
    monkeypatch.chdir(ROOT)
    capsys.readouterr()
    code = main([str(a) for a in args])
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
