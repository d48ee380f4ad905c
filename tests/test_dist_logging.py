"""dist helpers and get_logger / print_log."""
import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest
import torch
from dist_helpers import free_port, torchrun_env

import legacy_runner.dist as dist_mod
from legacy_runner.dist import (
    allreduce_grads,
    allreduce_params,
    get_dist_info,
    get_host_info,
    get_time_str,
    init_dist,
    master_only,
)
from legacy_runner.utils.logging import get_logger, logger_initialized, print_log


def test_single_process_helpers(monkeypatch):
    assert get_dist_info() == (0, 1)

    @master_only
    def f(x):
        """doc"""
        return x * 2

    assert f(2) == 4 and f.__doc__ == 'doc'
    monkeypatch.setattr(dist_mod, 'get_dist_info', lambda: (1, 2))
    assert f(2) is None
    monkeypatch.undo()
    p = torch.nn.Parameter(torch.ones(2))
    p.grad = torch.full((2,), 3.0)
    allreduce_grads([p])
    allreduce_params([p])
    assert torch.equal(p.grad, torch.full((2,), 3.0)) and torch.equal(p.data, torch.ones(2))
    assert re.fullmatch(r'\d{8}_\d{6}', get_time_str())
    assert re.fullmatch(r'[^@]+@[^@]+', get_host_info())
    with pytest.raises(ValueError, match='Invalid launcher type'):
        init_dist('bogus')


def test_get_host_info_failure(monkeypatch):
    def boom():
        raise OSError('no user')

    monkeypatch.setattr(dist_mod.getpass, 'getuser', boom)
    with pytest.warns(UserWarning, match='no user'):
        assert get_host_info() == ''


WORKER = textwrap.dedent('''
    import json, logging, sys
    import torch
    from legacy_runner.dist import allreduce_grads, allreduce_params, get_dist_info, init_dist, master_only
    from legacy_runner.utils.logging import get_logger

    init_dist('pytorch')  # backend 'nccl' falls back to gloo without CUDA
    rank, world = get_dist_info()
    a = torch.tensor([float(rank + 1), 10.0 * rank])
    b = torch.tensor([rank], dtype=torch.float64)
    allreduce_params([a, b])
    p = torch.nn.Parameter(torch.zeros(3))
    p.grad = torch.full((3,), float(rank))
    allreduce_grads([p], bucket_size_mb=1)
    q = torch.ones(1)
    allreduce_params([q], coalesce=False)
    # BatchNorm-style buffers: an integer counter must survive both paths (mmcv crashes here)
    bn = torch.nn.BatchNorm1d(2)
    bn.num_batches_tracked += 3 + 2 * rank
    allreduce_params(bn.buffers())
    n = torch.tensor([7 + rank])
    allreduce_params([n], coalesce=False)
    logger = get_logger('distlog', log_file=sys.argv[1] + f'.{rank}')
    out = dict(rank=rank, world=world, a=a.tolist(), b=b.tolist(), nbt=bn.num_batches_tracked.item(),
               n=n.item(), grad=p.grad.tolist(), q=q.tolist(),
               master=master_only(lambda: 'ran')(), level=logger.level, handlers=len(logger.handlers),
               backend=torch.distributed.get_backend())
    print(json.dumps(out))
    torch.distributed.barrier()  # both ranks are done before gloo tears down
    torch.distributed.destroy_process_group()
''')


@pytest.mark.dist  # tier: see tests/conftest.py
def test_two_process_gloo(tmp_path):
    script = tmp_path / 'worker.py'
    script.write_text(WORKER)
    port = str(free_port())
    procs = []
    for rank in range(2):
        env = dict(torchrun_env(), RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE='2',
                   MASTER_ADDR='127.0.0.1', MASTER_PORT=port)
        procs.append(subprocess.Popen([sys.executable, str(script), str(tmp_path / 'log')], env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for r in results:
        assert r['world'] == 2 and r['backend'] == 'gloo'
        assert r['a'] == [1.5, 5.0] and r['b'] == [0.5] and r['grad'] == [0.5] * 3 and r['q'] == [1.0]
        assert r['nbt'] == (3 + 5) // 2 and r['n'] == (7 + 8) // 2
    r0, r1 = sorted(results, key=lambda r: r['rank'])
    assert r0['master'] == 'ran' and r1['master'] is None
    # rank 0 logs at INFO with a file; other ranks only log errors and write no file
    assert (r0['level'], r0['handlers']) == (logging.INFO, 2)
    assert (r1['level'], r1['handlers']) == (logging.ERROR, 1)
    assert os.path.exists(str(tmp_path / 'log.0')) and not os.path.exists(str(tmp_path / 'log.1'))


# ---------------------------------------------------------------------------------- logging
def test_logging_module_does_not_import_torch():
    code = ('import sys, legacy_runner.utils.logging as l; l.get_logger("x").info("hi"); '
            'assert "torch" not in sys.modules, "torch imported"')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.endswith(' - x - INFO - hi\n')


def test_get_logger(tmp_path):
    root_handler = logging.StreamHandler()
    logging.root.addHandler(root_handler)
    try:
        log_file = tmp_path / 'a.log'
        logger = get_logger('tlog_a', log_file=str(log_file), log_level=logging.DEBUG)
        assert root_handler.level == logging.ERROR  # avoids printing every line twice
    finally:
        logging.root.removeHandler(root_handler)
    assert logger_initialized['tlog_a'] is True and logger.level == logging.DEBUG
    assert [type(h) for h in logger.handlers] == [logging.StreamHandler, logging.FileHandler]
    assert logger.handlers[0].formatter._fmt == '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
    logger.debug('hello')
    logger.handlers[1].flush()
    line = r'\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - tlog_a - DEBUG - hello\n'
    assert re.fullmatch(line, log_file.read_text())
    # initialised names (and their children) come back unchanged
    assert get_logger('tlog_a', log_file=str(tmp_path / 'b.log')) is logger and len(logger.handlers) == 2
    child = get_logger('tlog_a.child')
    assert child.handlers == [] and 'tlog_a.child' not in logger_initialized
    assert get_logger().name == 'mmcv'


def test_print_log(capsys, caplog):
    print_log('plain')
    assert capsys.readouterr().out == 'plain\n'
    logger = logging.getLogger('tlog_print')
    with caplog.at_level(logging.INFO, logger='tlog_print'):
        print_log('to logger', logger=logger, level=logging.WARNING)
    assert caplog.records[-1].getMessage() == 'to logger' and caplog.records[-1].levelno == logging.WARNING
    print_log('nothing', logger='silent')
    assert capsys.readouterr().out == ''
    print_log('by name', logger='tlog_named')
    assert 'tlog_named' in logger_initialized
    with pytest.raises(TypeError, match='logger should be either a logging.Logger object, str, "silent"'):
        print_log('x', logger=1)
