"""Crash safety of the legacy runtime through the real command line.

A training subprocess is killed (SIGKILL: no cleanup) at random iterations, the same command is
run again with ``--auto-resume``, and the final weights must equal those of an uninterrupted run
bit for bit; for the epoch- and the iteration-based runner, with gradient accumulation across the
kill, with a kill in the middle of a checkpoint write, and with SIGTERM (preemption).

The kill points are drawn at random; set CRASH_TEST_SEED to replay a failure (the seed is in every
assertion message).
"""
import os
import os.path as osp
import random
import signal

import pytest
import torch
from crash_helpers import (
    CRASH_TEST_SEED,
    assert_same_weights,
    killed,
    leftover_temp_files,
    train,
    write_config,
)

pytestmark = pytest.mark.slow  # tier: see tests/conftest.py

SEED = CRASH_TEST_SEED  # random, fixed under CI=true, or the CRASH_TEST_SEED variable
RNG = random.Random(SEED)

EPOCH_CFG = 'configs_v1/mlp_step_epoch.py'  # 64 iterations per epoch, ('train', 1), ('val', 1)
EPOCH_OVERRIDES = "runner = dict(type='EpochBasedRunner', max_epochs=2)\n"
ITER_CFG = 'configs_v1/mlp_poly_iter.py'
ITER_OVERRIDES = ("runner = dict(type='IterBasedRunner', max_iters=80)\n"
                  "checkpoint_config = dict(by_epoch=False, interval=16)\n"
                  "evaluation = dict(interval=32, metric='accuracy', save_best='accuracy')\n"
                  'log_config = dict(interval=8)\n')
# an iteration-interval checkpoint every 5 iterations lands inside 2-iteration accumulation windows
ACCUM_CFG = 'configs_v1/mlp_cosine_accum_fp16.py'
ACCUM_OVERRIDES = ("runner = dict(type='EpochBasedRunner', max_epochs=2)\n"
                   'checkpoint_config = dict(by_epoch=False, interval=5)\n')
LAST = dict(epoch=128, iter=80, accum=128)
SETUPS = dict(epoch=(EPOCH_CFG, EPOCH_OVERRIDES), iter=(ITER_CFG, ITER_OVERRIDES),
              accum=(ACCUM_CFG, ACCUM_OVERRIDES))


def _dump_hook(path):
    return dict(type='DumpWeights', path=path)


def _kill_hook(at, signum=signal.SIGKILL):
    # lowest priority: the kill comes after the iteration's checkpoint, as late as it can be
    return dict(type='KillAtIter', at=at, signum=int(signum), priority='LOWEST')


@pytest.fixture(scope='module')
def reference(tmp_path_factory):
    """Final weights of uninterrupted runs, per setup (computed once, on demand)."""
    root = str(tmp_path_factory.mktemp('reference'))
    cache = {}

    def get(name):
        if name not in cache:
            base, overrides = SETUPS[name]
            path = osp.join(root, f'{name}.pt')
            train(write_config(root, base, 'v1', [_dump_hook(path)], overrides),
                  osp.join(root, f'work_{name}'))
            cache[name] = path
        return cache[name]

    return get


def _kill_then_resume(tmp_path, name, kill_hook, expect_code):
    base, overrides = SETUPS[name]
    work_dir, out = str(tmp_path / 'work'), str(tmp_path / 'resumed.pt')
    proc = train(write_config(str(tmp_path), base, 'v1', [kill_hook], overrides), work_dir, check=False)
    assert proc.returncode == expect_code, f'seed {SEED}: {proc.stderr[-2000:]}'
    train(write_config(str(tmp_path), base, 'v1', [_dump_hook(out)], overrides), work_dir,
          '--auto-resume')
    return proc, work_dir, out


@pytest.mark.parametrize('name', ['epoch', 'iter'])
@pytest.mark.parametrize('attempt', [0, 1])
def test_sigkill_at_a_random_iteration_then_auto_resume_is_bitwise_exact(tmp_path, reference, name,
                                                                         attempt):
    at = RNG.randrange(2, LAST[name])
    _, _, out = _kill_then_resume(tmp_path, name, _kill_hook(at), -signal.SIGKILL)
    try:
        assert_same_weights(reference(name), out)
    except AssertionError as e:
        raise AssertionError(f'seed {SEED}, {name} runner killed after iteration {at}: {e}') from e


def test_sigkill_inside_an_accumulation_window(tmp_path, reference):
    # checkpoints at iterations 5, 10, ...: odd ones save half an accumulation window
    at = RNG.choice([i for i in range(6, LAST['accum']) if (i // 5 * 5) % 2])
    _, work_dir, out = _kill_then_resume(tmp_path, 'accum', _kill_hook(at), -signal.SIGKILL)
    try:
        assert_same_weights(reference('accum'), out)
    except AssertionError as e:
        raise AssertionError(f'seed {SEED}, killed after iteration {at}: {e}') from e
    # the window's gradients came back with the record: no "gradient ... is lost" warning
    assert 'not divisible' not in open(_newest_log(work_dir)).read()


def test_kill_during_a_checkpoint_write_leaves_nothing_resume_would_pick(tmp_path, reference):
    # iteration 48 writes iter_48.pth: it dies half-way, so resume must use iter_32.pth
    base, overrides = SETUPS['iter']
    work_dir = str(tmp_path / 'work')
    proc = train(write_config(str(tmp_path), base, 'v1', [dict(type='KillDuringSave', at=48)],
                              overrides), work_dir, check=False)
    assert killed(proc, signal.SIGKILL), proc.stderr[-2000:]
    names = os.listdir(work_dir)
    assert 'iter_48.pth' not in names and leftover_temp_files(work_dir), names
    assert os.readlink(osp.join(work_dir, 'latest.pth')) == 'iter_32.pth'
    out = str(tmp_path / 'resumed.pt')
    proc = train(write_config(str(tmp_path), base, 'v1', [_dump_hook(out)], overrides), work_dir,
                 '--auto-resume')
    assert 'resumed from epoch: 0, iter 32' in open(_newest_log(work_dir)).read()
    assert_same_weights(reference('iter'), out)


def _newest_log(work_dir):
    logs = sorted(n for n in os.listdir(work_dir) if n.endswith('.log'))
    return osp.join(work_dir, logs[-1])


def test_sigterm_saves_at_the_next_iteration_and_resume_continues_from_there(tmp_path, reference):
    at = RNG.randrange(65, LAST['epoch'])  # inside the second epoch: a mid-epoch checkpoint
    proc, work_dir, out = _kill_then_resume(tmp_path, 'epoch', _kill_hook(at, signal.SIGTERM),
                                            128 + signal.SIGTERM)
    message = proc.stderr.strip().splitlines()[-1]
    ckpt = osp.join(work_dir, f'iter_{at}.pth')
    assert message == (f'legacy-runner train: received SIGTERM: stopped after iteration {at}, '
                       f'checkpoint saved to {ckpt}; run the same command with --auto-resume to '
                       'continue'), f'seed {SEED}: {message}'
    record = torch.load(ckpt, weights_only=True)['meta']['continuation']
    assert (record['iter'], record['epoch'], record['in_epoch']) == (at, 1, True)
    assert record['pass']['consumed'] == at - 64
    log = open(_newest_log(work_dir)).read()
    assert f'resumed epoch 1, iter {at}' in log, f'seed {SEED}'
    assert_same_weights(reference('epoch'), out)


def test_world_size_mismatch_on_resume_is_one_line(tmp_path, reference):
    base, overrides = SETUPS['iter']
    reference('iter')
    work_dir = str(tmp_path / 'work')
    proc = train(write_config(str(tmp_path), base, 'v1', [_kill_hook(20)], overrides), work_dir,
                 check=False)
    assert killed(proc, signal.SIGKILL)
    ckpt = torch.load(osp.join(work_dir, 'iter_16.pth'), weights_only=True)
    ckpt['meta']['continuation']['world_size'] = 2
    torch.save(ckpt, osp.join(work_dir, 'two_ranks.pth'))
    proc = train(write_config(str(tmp_path), base, 'v1', [], overrides), work_dir, '--resume-from',
                 osp.join(work_dir, 'two_ranks.pth'), check=False)
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    error = proc.stderr.strip().splitlines()[-1]  # the log lines before it go to stderr too
    assert error.startswith('legacy-runner train: error: ') and 'two_ranks.pth' in error
    assert 'with 2 process(es), this run has 1' in error
