"""v2 runtime: a run killed at any iteration and resumed with ``--auto-resume`` ends bitwise equal
to an uninterrupted run; SIGTERM saves a checkpoint and exits cleanly; torn writes are ignored.

Every run is a ``python -m legacy_runner train`` subprocess (tests/crash_helpers.py). Independent
runs go two at a time (the references, the kills of one test, then their resumes).
"""
import os
import os.path as osp
import random
import types
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Sequence

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

from compat.v2.checkpoint import load_checkpoint_file
from compat.v2.runner_base import RunnerCore, newest_checkpoint

pytestmark = pytest.mark.slow  # tier: see tests/conftest.py

# 16 iterations per pass (2048 samples / 128): the iter loop crosses pass boundaries
EPOCH = dict(base='configs_v2/mlp_step_epoch.py', length=16, total=48,
             overrides='train_cfg = dict(max_epochs=3)\ntrain_dataloader = dict(batch_size=128)\n'
                       # no best-checkpoint re-save: epoch files keep their after_train_epoch record
                       'default_hooks = dict(checkpoint=dict(save_best=None))\n')
ITER = dict(base='configs_v2/mlp_poly_iter.py', interval=8, total=40,
            overrides='train_cfg = dict(max_iters=40, val_interval=16)\n'
                      'train_dataloader = dict(batch_size=128)\n'
                      'default_hooks = dict(checkpoint=dict(interval=8))\n')
# gradient accumulation over 2 iterations + AmpOptimWrapper; checkpoints at odd iterations
ACCUM = dict(base='configs_v2/mlp_cosine_accum_fp16.py', interval=5, total=32,
             overrides='train_cfg = dict(max_epochs=2)\ntrain_dataloader = dict(batch_size=128)\n'
                       'default_hooks = dict(checkpoint=dict(interval=5, by_epoch=False))\n')
# the AMP example with epoch checkpoints: a resume from epoch_N runs the validation due there
# before any train step (the v1 model's fp16 set-up must not wait for one)
FP16 = dict(base='configs_v2/mlp_cosine_accum_fp16.py', length=16, total=48,
            overrides='train_cfg = dict(max_epochs=3)\ntrain_dataloader = dict(batch_size=128)\n')
# kill points are drawn at random; CRASH_TEST_SEED replays a failure (printed with every test)
SEED = CRASH_TEST_SEED  # random, fixed under CI=true, or the CRASH_TEST_SEED variable


@pytest.fixture(autouse=True)
def _show_seed() -> None:
    print(f'CRASH_TEST_SEED={SEED}')  # pytest shows it with a failure


def _parallel(jobs: Sequence[Callable[[], Any]]) -> List[Any]:
    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda job: job(), jobs))


def _config(tmp: str, setup: Dict[str, Any], hooks: List[Dict[str, Any]]) -> str:
    return write_config(tmp, setup['base'], 'v2', hooks, setup['overrides'])


def _reference(tmp: str, setup: Dict[str, Any]) -> str:
    ref = osp.join(tmp, 'reference.pth')
    train(_config(tmp, setup, [dict(type='DumpWeights', path=ref)]), osp.join(tmp, 'ref_run'))
    return ref


@pytest.fixture(scope='module')
def refs(tmp_path_factory: Any) -> Dict[str, str]:
    """Final weights of uninterrupted runs of the three setups."""
    setups = dict(epoch=EPOCH, iter=ITER, accum=ACCUM, fp16=FP16)
    dirs = {name: str(tmp_path_factory.mktemp(f'ref_{name}')) for name in setups}
    paths = _parallel([lambda n=name: _reference(dirs[n], setups[n]) for name in setups])
    return dict(zip(setups, paths))


def _kill_then_resume(tmp: str, setup: Dict[str, Any], ats: Sequence[int]) -> List[Dict[str, Any]]:
    """For each ``at``: a run SIGKILLed after iteration ``at``, then the same command with
    ``--auto-resume``; returns per run its work_dir, final weights and resume output."""
    runs = []
    for at in ats:
        work_dir = osp.join(tmp, f'kill_{at}')
        runs.append(dict(at=at, work_dir=work_dir, out=osp.join(tmp, f'final_{at}.pth'),
                         kill_cfg=_config(tmp, setup, [dict(type='KillAtIter', at=at)])))
    for run in runs:
        run['resume_cfg'] = _config(tmp, setup, [dict(type='DumpWeights', path=run['out'])])
    procs = _parallel([lambda r=run: train(r['kill_cfg'], r['work_dir'], check=False) for run in runs])
    for run, proc in zip(runs, procs):
        assert killed(proc, 9), \
            f'kill at iteration {run["at"]}: exit code {proc.returncode}\n{proc.stderr[-2000:]}'
    procs = _parallel([lambda r=run: train(r['resume_cfg'], r['work_dir'], '--auto-resume') for run in runs])
    for run, proc in zip(runs, procs):
        run['log'] = proc.stdout + proc.stderr
    return runs


def _resumed_from(log: str) -> str:
    line = next(ln for ln in log.splitlines() if 'Auto resumed from the latest checkpoint' in ln)
    return osp.basename(line.rsplit(' ', 1)[-1].rstrip('.'))


def _record(path: str) -> Dict[str, Any]:
    return load_checkpoint_file(path)['meta']


def test_epoch_loop_kill_anywhere(refs: Dict[str, str], tmp_path: Any) -> None:
    rng = random.Random(SEED)
    length = EPOCH['length']
    # one kill in the middle of an epoch, one anywhere after the first epoch checkpoint
    mid = rng.choice([k for k in range(length + 1, EPOCH['total']) if k % length])
    anywhere = rng.choice([k for k in range(length + 1, EPOCH['total'] + 1) if k != mid])
    for run in _kill_then_resume(str(tmp_path), EPOCH, [mid, anywhere]):
        at, log = run['at'], run['log']
        # an epoch's own file is written after its last iteration (after the kill)
        expected = f'epoch_{(at - 1) // length}.pth'
        assert _resumed_from(log) == expected, f'killed at iteration {at}: resumed from {_resumed_from(log)}'
        assert f'the next iteration is {(at - 1) // length * length + 1}' in log, f'killed at {at}'
        try:
            assert_same_weights(refs['epoch'], run['out'])
        except AssertionError as e:
            raise AssertionError(f'epoch loop killed at iteration {at} (kills {mid}, {anywhere}): {e}') from e


def test_iter_loop_kill_anywhere(refs: Dict[str, str], tmp_path: Any) -> None:
    rng = random.Random(SEED + 1)
    interval = ITER['interval']
    ats = rng.sample(range(interval + 1, ITER['total'] + 1), 2)
    for run in _kill_then_resume(str(tmp_path), ITER, ats):
        at, log = run['at'], run['log']
        saved = (at - 1) // interval * interval
        assert _resumed_from(log) == f'iter_{saved}.pth', f'killed at iteration {at} (kills {ats})'
        assert f'the next iteration is {saved + 1}' in log, f'killed at {at} (kills {ats})'
        try:
            assert_same_weights(refs['iter'], run['out'])
        except AssertionError as e:
            raise AssertionError(f'iter loop killed at iteration {at} (kills {ats}): {e}') from e


def test_accumulation_window_open_at_the_checkpoint(refs: Dict[str, str], tmp_path: Any) -> None:
    rng = random.Random(SEED + 2)
    interval = ACCUM['interval']
    # the last checkpoint before the kill is at an odd iteration: half an accumulation window
    at = rng.choice([k for k in range(interval + 1, ACCUM['total']) if ((k - 1) // interval) % 2 == 1])
    run, = _kill_then_resume(str(tmp_path), ACCUM, [at])
    saved = (at - 1) // interval * interval
    assert _resumed_from(run['log']) == f'iter_{saved}.pth', f'killed at {at}'
    record = _record(osp.join(run['work_dir'], f'iter_{saved}.pth'))['continuation']
    assert record.get('grads') is not None, f'iter_{saved}.pth (kill at {at}) holds no pending gradients'
    try:
        assert_same_weights(refs['accum'], run['out'])
    except AssertionError as e:
        raise AssertionError(f'accumulation run killed at iteration {at}: {e}') from e
    # the window's gradients came back with the record: no "gradient ... is lost" warning
    assert 'not divisible' not in run['log']


def test_fp16_amp_kill_anywhere(refs: Dict[str, str], tmp_path: Any) -> None:
    rng = random.Random(SEED + 4)
    length = FP16['length']
    ats = rng.sample(range(length + 1, FP16['total'] + 1), 2)
    for run in _kill_then_resume(str(tmp_path), FP16, ats):
        at, log = run['at'], run['log']
        assert _resumed_from(log) == f'epoch_{(at - 1) // length}.pth', f'killed at {at} (kills {ats})'
        try:
            assert_same_weights(refs['fp16'], run['out'])
        except AssertionError as e:
            raise AssertionError(f'AMP run killed at iteration {at} (kills {ats}): {e}') from e


def test_fp16_checkpoint_test_command(refs: Dict[str, str], capsys: Any) -> None:
    """``test`` on an AMP checkpoint: the same accuracy as the legacy runtime's test flow, which
    wraps the model for fp16 itself before the first batch."""
    from legacy_runner.cli import main
    ckpt = osp.join(osp.dirname(refs['fp16']), 'ref_run', 'epoch_1.pth')
    config = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), FP16['base'])
    v1_config = config.replace('configs_v2', 'configs_v1')
    assert main(['test', config, ckpt]) == 0
    v2_out = capsys.readouterr().out.strip().splitlines()[-1]
    assert main(['test', v1_config, ckpt, '--eval', 'accuracy']) == 0
    v1_out = capsys.readouterr().out.strip().splitlines()[-1]
    assert v2_out.startswith("{'accuracy'") and v2_out == v1_out, (v2_out, v1_out)


def test_kill_during_checkpoint_write(refs: Dict[str, str], tmp_path: Any) -> None:
    tmp, at = str(tmp_path), 3 * ITER['interval']
    work_dir, out = osp.join(tmp, 'work'), osp.join(tmp, 'final.pth')
    proc = train(_config(tmp, ITER, [dict(type='KillDuringSave', at=at)]), work_dir, check=False)
    assert killed(proc, 9), proc.stderr[-2000:]
    assert leftover_temp_files(work_dir), os.listdir(work_dir)  # the torn write
    assert not osp.exists(osp.join(work_dir, f'iter_{at}.pth'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert osp.basename(f.read()) == f'iter_{at - ITER["interval"]}.pth'
    proc = train(_config(tmp, ITER, [dict(type='DumpWeights', path=out)]), work_dir, '--auto-resume')
    assert _resumed_from(proc.stdout + proc.stderr) == f'iter_{at - ITER["interval"]}.pth'
    assert_same_weights(refs['iter'], out)


def test_sigterm_saves_and_stops(refs: Dict[str, str], tmp_path: Any) -> None:
    rng = random.Random(SEED + 3)
    at = rng.choice([k for k in range(2, ITER['total']) if k % ITER['interval']])
    tmp = str(tmp_path)
    work_dir, out = osp.join(tmp, 'work'), osp.join(tmp, 'final.pth')
    proc = train(_config(tmp, ITER, [dict(type='KillAtIter', at=at, signum=15)]), work_dir, check=False)
    assert proc.returncode == 143, \
        f'SIGTERM after iteration {at}: exit {proc.returncode}\n{proc.stderr[-3000:]}'
    last = proc.stderr.strip().splitlines()[-1]
    saved = osp.join(work_dir, f'iter_{at}.pth')
    assert 'SIGTERM' in last and saved in last, f'SIGTERM after iteration {at}: {last!r}'
    assert 'Traceback' not in proc.stderr
    assert _record(saved)['iter'] == at
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        assert f.read() == saved
    proc = train(_config(tmp, ITER, [dict(type='DumpWeights', path=out)]), work_dir, '--auto-resume')
    assert f'the next iteration is {at + 1}' in proc.stdout + proc.stderr, f'SIGTERM after iteration {at}'
    try:
        assert_same_weights(refs['iter'], out)
    except AssertionError as e:
        raise AssertionError(f'SIGTERM after iteration {at}: {e}') from e


def test_world_size_mismatch_is_one_error_line(refs: Dict[str, str], tmp_path: Any) -> None:
    ref_run = osp.join(osp.dirname(refs['iter']), 'ref_run')
    checkpoint = load_checkpoint_file(osp.join(ref_run, f'iter_{ITER["interval"]}.pth'))
    checkpoint['meta']['continuation']['world_size'] = 2
    work_dir = osp.join(str(tmp_path), 'work')
    os.makedirs(work_dir)
    path = osp.join(work_dir, f'iter_{ITER["interval"]}.pth')
    torch.save(checkpoint, path)
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(path)
    proc = train(_config(str(tmp_path), ITER, []), work_dir, '--auto-resume', check=False)
    assert proc.returncode == 2, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr and lines, proc.stderr[-3000:]
    assert 'error:' in lines[-1] and '2 process(es)' in lines[-1] and 'has 1' in lines[-1], lines[-1]


def test_auto_resume_falls_back_when_the_pointer_names_a_missing_file(tmp_path: Any) -> None:
    work_dir = str(tmp_path)
    for i, name in enumerate(['iter_8.pth', 'iter_16.pth', 'best_accuracy_iter_16.pth',
                              '.iter_24.pth.0123456789ab.tmp']):
        with open(osp.join(work_dir, name), 'wb') as f:
            f.write(b'x')
        os.utime(osp.join(work_dir, name), ns=(i * 10**9, i * 10**9))
    assert newest_checkpoint(work_dir) == osp.join(work_dir, 'iter_16.pth')
    with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
        f.write(osp.join(work_dir, 'iter_24.pth'))
    warnings: List[str] = []
    stub = types.SimpleNamespace(work_dir=work_dir, logger=types.SimpleNamespace(warning=warnings.append))
    assert RunnerCore._auto_resume_target(stub) == osp.join(work_dir, 'iter_16.pth')
    assert warnings and 'iter_24.pth' in warnings[0]
