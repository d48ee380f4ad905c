"""Shared by the tests that start 2-process CPU/gloo runs: a free port, and ``torchrun`` and
``torch.multiprocessing.spawn`` with one retry.

Native gloo teardown sometimes aborts a rank after its work is done ("terminate called without an
active exception", SIGABRT, about 1 run in 15 here). :func:`run_torchrun` repeats such a run once
when a rank died by a signal and no rank printed a Python traceback; a Python error is never retried.
:func:`spawn_with_retry` applies the same rule to ``mp.spawn``.
"""
import glob
import os
import os.path as osp
import re
import shutil
import socket
import subprocess
import sys
import warnings
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from run_helpers import ROOT, subprocess_env
from run_helpers import TESTS as HERE

_SIGNAL_EXIT = re.compile(r'exitcode\s*:\s*-\d+')
_TRACEBACK = 'Traceback (most recent call last)'
RETRIED: List[str] = []  # one line per repeated run, for the end-of-run summary (tests/conftest.py)


def _note_retry(message: str) -> None:
    """Warn about a repeated run and keep it, with the running test's id, for the run's summary."""
    test = os.environ.get('PYTEST_CURRENT_TEST', '?').rsplit(' (', 1)[0]
    RETRIED.append(f'{test}: {message}')
    warnings.warn(message, stacklevel=3)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def spawn_with_retry(fn: Callable[..., None], make_args: Callable[[int], tuple], nprocs: int = 2) -> None:
    """``mp.spawn(fn, make_args(attempt), nprocs)``, once more (with fresh arguments: a new port or
    rendezvous file) when a process died by a signal; an exception raised in a worker propagates."""
    import torch.multiprocessing as mp
    for attempt in (1, 2):
        try:
            mp.spawn(fn, args=make_args(attempt), nprocs=nprocs, join=True)
            return
        except mp.ProcessExitedException as e:
            if attempt == 2 or not e.signal_name:
                raise
            _note_retry(f'a spawned process died by {e.signal_name} (native gloo teardown abort?); '
                        'running them once more')


def torchrun_env(**extra: str) -> Dict[str, str]:
    """The environment for a 2-process CPU run: gloo on loopback, one OMP thread, the repo and
    tests/ importable, and no leftover rank variables of an enclosing launcher."""
    env = subprocess_env(pythonpath=(ROOT, HERE), GLOO_SOCKET_IFNAME='lo', CUDA_VISIBLE_DEVICES='')
    for var in ('WORLD_SIZE', 'RANK', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT', 'TORCHELASTIC_RUN_ID'):
        env.pop(var, None)
    env.update(extra)
    return env


class TorchrunResult:
    """The finished ``torchrun``: its own process, and each rank's stdout/stderr when they were
    redirected to files (``outputs[rank] = (stdout, stderr)``)."""

    def __init__(self, proc: subprocess.CompletedProcess, outputs: Dict[int, Tuple[str, str]],
                 attempts: int) -> None:
        self.proc = proc
        self.returncode = proc.returncode
        self.outputs = outputs
        self.attempts = attempts

    def report(self) -> str:
        parts = [f'torchrun exit {self.returncode} after {self.attempts} attempt(s)',
                 '--- torchrun stdout ---', self.proc.stdout[-3000:],
                 '--- torchrun stderr ---', self.proc.stderr[-6000:]]
        for rank, (out, err) in sorted(self.outputs.items()):
            parts += [f'--- rank {rank} stdout ---', out[-3000:], f'--- rank {rank} stderr ---', err[-6000:]]
        return '\n'.join(parts)


def _rank_outputs(log_dir: str) -> Dict[int, Tuple[str, str]]:
    """``<log_dir>/<run id>/attempt_<n>/<rank>/std{out,err}.log`` as written by ``--redirects 3``."""
    outputs: Dict[int, Tuple[str, str]] = {}
    for rank_dir in glob.glob(osp.join(log_dir, '*', 'attempt_*', '*')):
        if not osp.basename(rank_dir).isdigit():
            continue
        texts = []
        for name in ('stdout.log', 'stderr.log'):
            path = osp.join(rank_dir, name)
            if osp.exists(path):
                with open(path, errors='replace') as f:
                    texts.append(f.read())
            else:
                texts.append('')
        outputs[int(osp.basename(rank_dir))] = (texts[0], texts[1])
    return outputs


def _teardown_abort(proc: subprocess.CompletedProcess, outputs: Dict[int, Tuple[str, str]]) -> bool:
    """The first failing rank died by a signal (torchrun's "Root Cause" entry) and no rank printed
    a Python traceback (torchrun prints one of its own, for its ChildFailedError)."""
    if proc.returncode == 0:
        return False
    root_cause = proc.stderr.rpartition('Root Cause')[2]
    if not _SIGNAL_EXIT.search(root_cause):
        return False
    launcher_own = 1 if 'ChildFailedError' in proc.stderr else 0
    if proc.stderr.count(_TRACEBACK) + proc.stdout.count(_TRACEBACK) > launcher_own:
        return False  # a rank's traceback on the console (not redirected)
    return not any(_TRACEBACK in text for pair in outputs.values() for text in pair)


def run_torchrun(args: Sequence[str], *, nproc: int = 2, env: Optional[Dict[str, str]] = None,
                 cwd: Optional[str] = None, log_dir: Optional[str] = None, timeout: float = 300,
                 on_retry: Optional[Callable[[], None]] = None, retry: bool = True) -> TorchrunResult:
    """``python -m torch.distributed.run --nproc_per_node <nproc> <args>`` on a free port.

    ``args`` is a script path or ``-m module`` followed by its arguments. With ``log_dir`` each
    rank's stdout/stderr go to files there (``--redirects 3``) and come back in ``outputs``.
    A run whose rank died by a signal without a Python traceback is repeated once, on a new port
    and after ``on_retry()`` (e.g. emptying the work dir); ``retry=False`` never repeats it (for a
    run expected to end by a signal).
    """
    env = torchrun_env() if env is None else env
    proc: subprocess.CompletedProcess
    outputs: Dict[int, Tuple[str, str]] = {}
    for attempt in (1, 2):
        cmd: List[str] = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(nproc),
                          '--master_addr', '127.0.0.1', '--master_port', str(free_port())]
        if log_dir is not None:
            if osp.exists(log_dir):
                shutil.rmtree(log_dir)
            os.makedirs(log_dir)
            cmd += ['--log-dir', log_dir, '--redirects', '3']
        proc = subprocess.run(cmd + list(args), env=env, cwd=cwd, capture_output=True, text=True,
                              timeout=timeout)
        outputs = _rank_outputs(log_dir) if log_dir is not None else {}
        if attempt == 2 or not retry or not _teardown_abort(proc, outputs):
            return TorchrunResult(proc, outputs, attempt)
        _note_retry('torchrun: a rank died by a signal without a Python traceback (native gloo '
                    'teardown abort?); running it once more')
        if on_retry is not None:
            on_retry()
    raise AssertionError('unreachable')  # pragma: no cover
