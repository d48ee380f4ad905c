"""Preemption of a 2-process ``torchrun`` run (CPU, gloo) through the real CLI, on both runtimes.

Only rank 0's process gets SIGTERM, after a random iteration ``k`` that is not a checkpoint
iteration. The ranks agree on the flag at the next iteration boundary, so both stop after ``k``:
rank 0 alone writes ``iter_k.pth`` (its continuation record: iteration ``k``, world size 2), every
rank exits with 128 + SIGTERM, and rank 0's last stderr line is the CLI's one-line message. The
same command with ``--auto-resume`` then ends with weights bitwise equal on both ranks and to an
uninterrupted run (tests/dist_weight_dump.py dumps each rank's weights). ``--diff-seed`` gives each
rank its own random streams: a preemption checkpoint holding only rank 0's RNG state (as the v1
PreemptionHook wrote before it gathered the ranks' parts) resumes to other weights.

``k`` is drawn at random; set CRASH_TEST_SEED to replay a failure (the seed is in the messages).
"""
import os
import os.path as osp
import random
import re
import shutil
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Tuple

import pytest
import torch
from crash_helpers import CRASH_TEST_SEED
from dist_helpers import ROOT, TorchrunResult, run_torchrun, torchrun_env
from test_torchrun_cli import _rank1_writes

from compat.v2.checkpoint import load_checkpoint_file

pytestmark = pytest.mark.dist  # tier: see tests/conftest.py

SEED = CRASH_TEST_SEED  # random, fixed under CI=true, or the CRASH_TEST_SEED variable
RNG = random.Random(SEED)
TOTAL, INTERVAL = 48, 16  # 32 iterations per pass over the data on each of the 2 ranks
CASES = {
    'v1': ('configs_v1/mlp_poly_iter.py',
           f"runner = dict(type='IterBasedRunner', max_iters={TOTAL})\n"
           f"checkpoint_config = dict(by_epoch=False, interval={INTERVAL})\n"
           f"evaluation = dict(interval={INTERVAL}, metric='accuracy', save_best='accuracy')\n"
           'log_config = dict(interval=8)\n'),
    'v2': ('configs_v2/mlp_poly_iter.py',
           f'train_cfg = dict(max_iters={TOTAL}, val_interval={INTERVAL})\n'
           f'default_hooks = dict(logger=dict(interval=8), checkpoint=dict(interval={INTERVAL}))\n'),
}
TRACEBACK = 'Traceback (most recent call last)'
NATIVE_ABORT = 'terminate called without an active exception'


def _config(tmp_path, case: str, kill_at: int = 0) -> str:
    base, overrides = CASES[case]
    hooks = [dict(type='DistWeightDumpHook')]
    if kill_at:  # lowest priority, like the PreemptionHook the CLI adds after it: same iteration
        hooks.append(dict(type=f'{case.upper()}KillAtIter', at=kill_at, signum=int(signal.SIGTERM),
                          rank=0, priority='LOWEST'))
    path = tmp_path / f'{case}_{"kill" if kill_at else "plain"}.py'
    path.write_text(f'_base_ = [{osp.join(ROOT, base)!r}]\n'
                    "custom_imports = dict(imports=['crash_hooks', 'dist_weight_dump'], "
                    'allow_failed_imports=False)\n'
                    f'custom_hooks = {hooks!r}\n{overrides}')
    return str(path)


def _fresh(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)


def _train(tmp_path, name: str, config: str, work: str, dump: str, *extra: str,
           retry: bool = True) -> TorchrunResult:
    """A retried run (native teardown abort) starts over, or with ``--auto-resume`` continues
    from the newest checkpoint, which ends bitwise the same."""
    def on_retry() -> None:
        _fresh(dump)
        if '--auto-resume' not in extra:
            shutil.rmtree(work, ignore_errors=True)

    args = ['-m', 'legacy_runner', 'train', config, '--launcher', 'pytorch', '--work-dir', work,
            '--seed', '0', '--diff-seed', '--deterministic', *extra]
    return run_torchrun(args, env=torchrun_env(DIST_WEIGHT_DUMP_DIR=dump), cwd=str(tmp_path),
                        log_dir=str(tmp_path / f'torchrun_logs_{name}'), timeout=120, retry=retry,
                        on_retry=on_retry)


def _weights(dump: str) -> List[Dict[str, torch.Tensor]]:
    return [torch.load(osp.join(dump, f'rank{r}.pt'), weights_only=True) for r in (0, 1)]


def _differing(a: Dict[str, torch.Tensor], b: Dict[str, torch.Tensor]) -> List[str]:
    assert a.keys() == b.keys() and a
    return [k for k in a if not torch.equal(a[k], b[k])]


def _last_lines(result: TorchrunResult) -> Tuple[str, str]:
    """Each rank's last stderr line, less the line of a native gloo teardown abort (see
    tests/dist_helpers.py): the preempted run is not repeated, and such an abort after the clean
    stop is not what this test is about."""
    lines = [[ln for ln in result.outputs[r][1].strip().splitlines() if ln != NATIVE_ABORT] or ['']
             for r in (0, 1)]
    return lines[0][-1], lines[1][-1]


@pytest.mark.parametrize('case', list(CASES))
def test_sigterm_on_rank0_stops_both_ranks_and_auto_resume_is_bitwise_exact(tmp_path, case):
    k = RNG.choice([i for i in range(2, TOTAL) if i % INTERVAL])
    where = f'CRASH_TEST_SEED={SEED}, {case}, SIGTERM to rank 0 after iteration {k}'
    work, ref_dump, dump = (str(tmp_path / d) for d in ('work', 'ref_dump', 'dump'))

    plain, killing = _config(tmp_path, case), _config(tmp_path, case, kill_at=k)
    _fresh(ref_dump)
    _fresh(dump)
    # 1. the uninterrupted reference and 2. the preempted run, side by side; the preempted run is
    # never repeated (its ranks' exit code 143 is the expected outcome, not a teardown abort)
    with ThreadPoolExecutor(2) as pool:
        ref_job = pool.submit(_train, tmp_path, 'ref', plain, str(tmp_path / 'ref_work'), ref_dump)
        stopped = _train(tmp_path, 'stopped', killing, work, dump, retry=False)
        ref = ref_job.result()
    assert ref.returncode == 0, f'{where}\n{ref.report()}'
    reference = _weights(ref_dump)
    assert not _differing(*reference), f'{where}: the reference ranks differ: {_differing(*reference)}'

    report = f'{where}\n{stopped.report()}'
    assert stopped.returncode != 0 and sorted(stopped.outputs) == [0, 1], report
    assert re.search(rf'exitcode\s*:\s*{128 + signal.SIGTERM}\b', stopped.proc.stderr), report
    ckpt = osp.join(work, f'iter_{k}.pth')
    message = (f'legacy-runner train: received SIGTERM: stopped after iteration {k}, checkpoint saved '
               f'to {ckpt}; run the same command with --auto-resume to continue')
    last0, last1 = _last_lines(stopped)
    assert last0 == message, report
    assert f'stopped after iteration {k},' in last1, report  # the agreed flag: the same iteration
    assert not any(TRACEBACK in text for pair in stopped.outputs.values() for text in pair), report
    assert not any(osp.exists(osp.join(dump, f'rank{r}.pt')) for r in (0, 1)), report  # no after_run
    names = sorted(os.listdir(work))
    assert [n for n in names if n.endswith('.pth')].count(f'iter_{k}.pth') == 1, names
    # rank 1 records its writes at exit; torchrun SIGTERMs a rank still exiting once rank 0 has
    # exited (cosmetic: "exitcode -15" for rank 1), which so far always came after that record
    assert osp.exists(osp.join(dump, 'rank1_writes.json')), f'{where}: no rank 1 write record\n{report}'
    assert _rank1_writes(work, dump) == [], f'{where}: rank 1 wrote into the work dir'
    record = load_checkpoint_file(ckpt)['meta']['continuation']
    counters = record if case == 'v1' else record['loop']  # v2: the loop's part holds the counters
    assert (counters['iter'], record['world_size']) == (k, 2), f'{where}: {record}'

    # 3. the same command with --auto-resume (the kill hook stays: iteration k is not run again)
    _fresh(dump)
    resumed = _train(tmp_path, 'resumed', killing, work, dump, '--auto-resume')
    assert resumed.returncode == 0, f'{where}\n{resumed.report()}'
    final = _weights(dump)
    between_ranks, from_reference = _differing(*final), _differing(reference[0], final[0])
    assert not between_ranks, f'{where}: the ranks differ after the resume: {between_ranks}'
    assert not from_reference, f'{where}: weights differ from the uninterrupted run: {from_reference}'
