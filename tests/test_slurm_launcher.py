"""``--launcher slurm``: SLURM_* variables mapped to a torch.distributed (env://) init.

* the Slurm hostlist parsing used when ``scontrol`` is not on PATH, and ``scontrol`` when it is;
* the mapping itself (RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR/MASTER_PORT) with the process group
  init replaced by a recorder, and a one-line CLI error for a missing SLURM variable;
* two real ranks started as Slurm would start them (two processes with SLURM_PROCID 0/1 and no
  torchrun variables) through ``python -m legacy_runner train --launcher slurm``, on the v1 and
  the v2 runtime: both exit 0 and end with bitwise-identical weights in a world of size 2.
"""
import os
import os.path as osp
import stat
import subprocess
import sys
import time
import warnings
from types import SimpleNamespace
from typing import Dict, List, Tuple

import pytest
import torch
from dist_helpers import ROOT, free_port, torchrun_env
from test_torchrun_cli import _assert_same_weights, _rank1_writes, _wrapper_config

from legacy_runner import dist as dist_mod
from legacy_runner.errors import ConfigError

_TRACEBACK = 'Traceback (most recent call last)'


# -- hostlist parsing ------------------------------------------------------------------------------
@pytest.mark.parametrize('nodelist, hosts', [
    ('host', ['host']),
    ('host1,host2', ['host1', 'host2']),
    ('node[01-04]', ['node01', 'node02', 'node03', 'node04']),
    ('node[1,3-5]', ['node1', 'node3', 'node4', 'node5']),
    ('gpu-a[001-002],gpu-b7', ['gpu-a001', 'gpu-a002', 'gpu-b7']),
    ('n[8-11]', ['n8', 'n9', 'n10', 'n11']),
    ('n[098-101]', ['n098', 'n099', 'n100', 'n101']),
    ('rack[1-2]-n[01-02]', ['rack1-n01', 'rack1-n02', 'rack2-n01', 'rack2-n02']),
    ('n[1-2]-ib,login', ['n1-ib', 'n2-ib', 'login']),
    (' localhost ', ['localhost']),
])
def test_expand_nodelist(nodelist, hosts):
    assert list(dist_mod.expand_nodelist(nodelist)) == hosts


@pytest.mark.parametrize('bad', ['', ' ', 'a[1-', 'a]', 'a[x]', 'a[3-1]', 'a,,b', 'a[]', 'a[1-2]]'])
def test_expand_nodelist_rejects(bad):
    with pytest.raises(ValueError):
        list(dist_mod.expand_nodelist(bad))


def _no_scontrol(monkeypatch, tmp_path) -> None:
    empty = tmp_path / 'empty_bin'
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv('PATH', str(empty))


@pytest.mark.parametrize('nodelist, first', [
    ('host', 'host'), ('host1,host2', 'host1'), ('node[01-04]', 'node01'), ('node[1,3-5]', 'node1'),
    ('gpu-a[001-002],gpu-b7', 'gpu-a001')])
def test_first_host_without_scontrol(monkeypatch, tmp_path, nodelist, first):
    _no_scontrol(monkeypatch, tmp_path)
    assert dist_mod.slurm_first_host(nodelist) == first


def test_first_host_bad_nodelist_is_a_config_error(monkeypatch, tmp_path):
    _no_scontrol(monkeypatch, tmp_path)
    with pytest.raises(ConfigError, match=r"SLURM_NODELIST='node\[1-'"):
        dist_mod.slurm_first_host('node[1-')


def _fake_scontrol(tmp_path, body: str) -> str:
    bindir = tmp_path / 'bin'
    bindir.mkdir(exist_ok=True)
    script = bindir / 'scontrol'
    script.write_text('#!/bin/sh\n' + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(bindir)


def test_first_host_asks_scontrol_when_present(monkeypatch, tmp_path):
    log = tmp_path / 'calls.txt'
    bindir = _fake_scontrol(tmp_path, f'echo "$@" >> {log}\necho from-scontrol-1\necho from-scontrol-2\n')
    monkeypatch.setenv('PATH', bindir)
    assert dist_mod.slurm_first_host('node[01-04]') == 'from-scontrol-1'
    assert log.read_text().split() == ['show', 'hostnames', 'node[01-04]']


def test_first_host_falls_back_when_scontrol_fails(monkeypatch, tmp_path):
    monkeypatch.setenv('PATH', _fake_scontrol(tmp_path, 'echo "no controller" >&2\nexit 1\n'))
    assert dist_mod.slurm_first_host('node[07-08]') == 'node07'


# -- the mapping, with the process group init recorded -----------------------------------------
_RANK_VARS = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')


@pytest.fixture
def slurm_env(monkeypatch, tmp_path):
    """A private os.environ for dist.py (restored afterwards), no scontrol, a recorded init."""
    env = {k: v for k, v in os.environ.items() if k not in _RANK_VARS and not k.startswith('SLURM_')}
    env['PATH'] = str(tmp_path / 'empty_bin')
    monkeypatch.setattr(dist_mod.os, 'environ', env)
    calls: List[Tuple[Dict[str, str], Dict]] = []
    monkeypatch.setattr(dist_mod.dist, 'init_process_group',
                        lambda **kw: calls.append(({k: env.get(k) for k in _RANK_VARS}, kw)))
    return SimpleNamespace(env=env, calls=calls)


def test_slurm_mapping(slurm_env):
    slurm_env.env.update(SLURM_PROCID='5', SLURM_NTASKS='8', SLURM_NODELIST='gpu-a[001-002],gpu-b7',
                         SLURM_LOCALID='1', MASTER_PORT='31234')
    dist_mod._init_dist_slurm('nccl')
    (seen, kwargs), = slurm_env.calls
    assert seen == dict(RANK='5', WORLD_SIZE='8', LOCAL_RANK='1', MASTER_ADDR='gpu-a001', MASTER_PORT='31234')
    expected_backend = 'nccl' if torch.cuda.is_available() else 'gloo'
    assert kwargs == dict(backend=expected_backend)


def test_slurm_mapping_keeps_master_addr_and_takes_the_port_argument(slurm_env):
    slurm_env.env.update(SLURM_PROCID='0', SLURM_NTASKS='2', SLURM_NODELIST='node[1-2]',
                         MASTER_ADDR='10.0.0.9', MASTER_PORT='1111')
    dist_mod._init_dist_slurm('gloo', port=29877, timeout=None)
    (seen, kwargs), = slurm_env.calls
    assert seen['MASTER_ADDR'] == '10.0.0.9' and seen['MASTER_PORT'] == '29877'
    assert kwargs == dict(backend='gloo', timeout=None)
    # without SLURM_LOCALID (and without GPUs) the local rank is 0
    if not torch.cuda.is_available():
        assert seen['LOCAL_RANK'] == '0'


def test_slurm_mapping_picks_a_port(slurm_env):
    slurm_env.env.update(SLURM_PROCID='1', SLURM_NTASKS='2', SLURM_NODELIST='localhost', SLURM_LOCALID='1')
    dist_mod._init_dist_slurm('gloo')
    (seen, _), = slurm_env.calls
    assert seen['MASTER_PORT'].isdigit() and seen['LOCAL_RANK'] == '1' and seen['MASTER_ADDR'] == 'localhost'


@pytest.mark.parametrize('missing', ['SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'])
def test_unset_slurm_variable_is_a_one_line_config_error(slurm_env, missing):
    slurm_env.env.update(SLURM_PROCID='0', SLURM_NTASKS='2', SLURM_NODELIST='localhost')
    del slurm_env.env[missing]
    with pytest.raises(ConfigError) as info:
        dist_mod._init_dist_slurm('gloo')
    msg = str(info.value)
    assert missing in msg and '\n' not in msg
    assert not slurm_env.calls


def test_non_integer_slurm_variable_is_a_config_error(slurm_env):
    slurm_env.env.update(SLURM_PROCID='0', SLURM_NTASKS='two', SLURM_NODELIST='localhost')
    with pytest.raises(ConfigError, match="SLURM_NTASKS='two' is not an integer"):
        dist_mod._init_dist_slurm('gloo')


@pytest.mark.parametrize('config', ['configs_v1/mlp_step_epoch.py', 'configs_v2/mlp_step_epoch.py'])
def test_cli_reports_a_missing_slurm_variable(tmp_path, config):
    """Both runtimes go through dist.init_dist: exit 2 and one error line naming the variable."""
    env = torchrun_env(SLURM_PROCID='0', SLURM_NODELIST='localhost')
    for var in [v for v in env if v.startswith('SLURM_') and v not in ('SLURM_PROCID', 'SLURM_NODELIST')]:
        del env[var]
    proc = subprocess.run([sys.executable, '-m', 'legacy_runner', 'train', osp.join(ROOT, config),
                           '--launcher', 'slurm', '--work-dir', str(tmp_path / 'work')],
                          env=env, cwd=str(tmp_path), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if 'error:' in line]
    assert len(errors) == 1 and 'SLURM_NTASKS' in errors[0], proc.stderr[-3000:]
    assert _TRACEBACK not in proc.stderr


# -- two real ranks ---------------------------------------------------------------------------------
def _start_rank(rank: int, args: List[str], env: Dict[str, str], cwd: str, log_dir: str):
    out = open(osp.join(log_dir, f'rank{rank}.out'), 'w')
    err = open(osp.join(log_dir, f'rank{rank}.err'), 'w')
    proc = subprocess.Popen([sys.executable, '-m', 'legacy_runner', *args], env=env, cwd=cwd,
                            stdout=out, stderr=err)
    return proc, out, err


def _run_two_slurm_tasks(args: List[str], base_env: Dict[str, str], work: str, dump: str, cwd: str,
                         log_dir: str, timeout: float = 240) -> Tuple[List[int], List[Tuple[str, str]]]:
    """Start SLURM_PROCID 0 and 1 on one node; ``(returncodes, [(stdout, stderr)] per rank)``."""
    port = str(free_port())
    procs = []
    for rank in (0, 1):
        env = dict(base_env, SLURM_PROCID=str(rank), SLURM_NTASKS='2', SLURM_NODELIST='localhost',
                   SLURM_LOCALID=str(rank), MASTER_PORT=port, DIST_WEIGHT_DUMP_DIR=dump)
        procs.append(_start_rank(rank, args + ['--work-dir', work], env, cwd, log_dir))
    deadline = time.monotonic() + timeout
    codes = []
    try:
        for proc, _, _ in procs:
            codes.append(proc.wait(timeout=max(1.0, deadline - time.monotonic())))
    finally:
        for proc, out, err in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            out.close()
            err.close()
    outputs = []
    for rank in (0, 1):
        with open(osp.join(log_dir, f'rank{rank}.out'), errors='replace') as f_out, \
                open(osp.join(log_dir, f'rank{rank}.err'), errors='replace') as f_err:
            outputs.append((f_out.read(), f_err.read()))
    return codes, outputs


def _teardown_abort(codes: List[int], outputs: List[Tuple[str, str]]) -> bool:
    """The rule of dist_helpers._teardown_abort for directly started tasks: a task died by a
    signal, every other task exited 0 or by a signal, and no task printed a Python traceback."""
    if not any(code < 0 for code in codes) or any(code > 0 for code in codes):
        return False
    return not any(_TRACEBACK in text for pair in outputs for text in pair)


def _report(codes, outputs, attempts) -> str:
    parts = [f'exit codes {codes} after {attempts} attempt(s)']
    for rank, (out, err) in enumerate(outputs):
        parts += [f'--- rank {rank} stdout ---', out[-3000:], f'--- rank {rank} stderr ---', err[-6000:]]
    return '\n'.join(parts)


@pytest.mark.dist  # tier: see tests/conftest.py
@pytest.mark.parametrize('config, option', [('configs_v1/mlp_step_epoch.py', 'runner.max_epochs=1'),
                                            ('configs_v2/mlp_step_epoch.py', 'train_cfg.max_epochs=1')])
def test_two_slurm_tasks_train_through_the_cli(tmp_path, config, option):
    args = ['train', _wrapper_config(tmp_path, config), '--launcher', 'slurm', '--cfg-options', option]
    env = torchrun_env()  # no RANK/WORLD_SIZE/LOCAL_RANK/MASTER_ADDR: the slurm mapping sets them
    for var in [v for v in env if v.startswith('SLURM_')]:
        del env[var]
    for attempt in (1, 2):
        run_dir = tmp_path / f'attempt{attempt}'
        work, dump, cwd, logs = (str(run_dir / d) for d in ('work', 'dump', 'cwd', 'logs'))
        for d in (dump, cwd, logs):
            os.makedirs(d)
        codes, outputs = _run_two_slurm_tasks(args, env, work, dump, cwd, logs)
        if attempt == 2 or not _teardown_abort(codes, outputs):
            break
        warnings.warn('slurm tasks: a task died by a signal without a Python traceback (native gloo '
                      'teardown abort?); running them once more')
    assert codes == [0, 0], _report(codes, outputs, attempt)
    _assert_same_weights(dump)  # bit for bit, and MMDistributedDataParallel with world size 2
    assert _rank1_writes(work, dump) == []  # logs and checkpoints come from rank 0 only
    assert osp.isdir(work) and any(name.endswith('.pth') for _, _, names in os.walk(work) for name in names)
