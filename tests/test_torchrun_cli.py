"""Example configs trained by ``torchrun --nproc_per_node 2`` (CPU, gloo) through the real CLI
(``python -m legacy_runner train CFG --launcher pytorch``) on both runtimes, and a v1 config on the
v2 runtime (``--runtime v2``). Each run must end with

* the same weights on both ranks, bit for bit (tests/dist_weight_dump.py saves each rank's model,
  loaded through a wrapper config's ``custom_imports``, and records what rank 1 writes);
* one set of checkpoints and logs, written by rank 0: every logged iteration appears once in the
  text log and the json log (v1 ``.log.json``; v2 ``vis_data/scalars.json``), rank 1 writes no
  file into the work dir, and its stdout/stderr hold no training log line.
"""
import json
import os
import os.path as osp
import re
import shutil
from typing import List, Tuple

import pytest
import torch
from dist_helpers import ROOT, _teardown_abort, run_torchrun, torchrun_env

pytestmark = pytest.mark.dist  # tier: see tests/conftest.py

# (config, --runtime, --cfg-options keeping the run short). 2048 train samples, batches of 32 per
# rank: 32 iterations per epoch on each of the 2 ranks; the train log comes every 16 iterations.
CASES = {
    'v1': ('configs_v1/mlp_step_epoch.py', None, ['runner.max_epochs=2']),
    'v2': ('configs_v2/mlp_step_epoch.py', None, ['train_cfg.max_epochs=2']),
    'v1-config-on-v2': ('configs_v1/mlp_poly_iter.py', 'v2',
                        ['runner.max_iters=64', 'checkpoint_config.interval=32', 'evaluation.interval=32',
                         'log_config.interval=16']),
}
TIMESTAMP = r'\d{8}_\d{6}'
# a rank-1 log line of either runtime: the logger prefix or an Epoch/Iter progress entry
LOG_LINE = re.compile(r' - (legacy_runner|mmengine|mmcv) - (INFO|WARNING|DEBUG) - '
                      r'|(Epoch|Iter)(\(\w+\))? ?\[')


def _wrapper_config(tmp_path, example: str) -> str:
    path = tmp_path / 'dist_example.py'
    path.write_text(f'_base_ = [{osp.join(ROOT, example)!r}]\n'
                    "custom_imports = dict(imports=['dist_weight_dump'], allow_failed_imports=False)\n"
                    "custom_hooks = [dict(type='DistWeightDumpHook')]\n")
    return str(path)


def _fresh(*dirs) -> None:
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)


def _files(root: str) -> List[str]:
    found = []
    for dirpath, _, names in os.walk(root):
        found += [osp.relpath(osp.join(dirpath, n), root) for n in names]
    return sorted(found)


def _run(tmp_path, example: str, runtime, options: List[str]):
    work, dump, logs, cwd = (str(tmp_path / d) for d in ('work', 'dump', 'torchrun_logs', 'cwd'))
    _fresh(work, dump, cwd)
    os.rmdir(work)  # the CLI creates it
    args = ['-m', 'legacy_runner', 'train', _wrapper_config(tmp_path, example), '--launcher', 'pytorch',
            '--work-dir', work, '--cfg-options', *options]
    if runtime:
        args += ['--runtime', runtime]

    def on_retry() -> None:
        _fresh(work, dump, cwd)
        os.rmdir(work)

    result = run_torchrun(args, env=torchrun_env(DIST_WEIGHT_DUMP_DIR=dump), cwd=cwd, log_dir=logs,
                          timeout=300, on_retry=on_retry)
    assert result.returncode == 0, result.report()
    assert sorted(result.outputs) == [0, 1], result.report()
    return work, dump, result


def _assert_same_weights(dump: str) -> None:
    weights = [torch.load(osp.join(dump, f'rank{r}.pt')) for r in (0, 1)]
    assert list(weights[0]) == list(weights[1]) and weights[0]
    for name, tensor in weights[0].items():
        assert torch.equal(tensor, weights[1][name]), f'{name} differs between rank 0 and rank 1'
    for r in (0, 1):
        with open(osp.join(dump, f'rank{r}.json')) as f:
            meta = json.load(f)
        assert meta == dict(model_type='MMDistributedDataParallel', world_size=2), meta


def _rank1_writes(work: str, dump: str) -> List[Tuple[str, str]]:
    """What rank 1 wrote under the work dir, less what is allowed: creating the work dir and the
    v2 log dir that rank 0 creates too, and the per-rank part files of the CPU result collection
    (DistEvalHook's tmpdir in the work dir), gone by the end of the run."""
    with open(osp.join(dump, 'rank1_writes.json')) as f:
        writes = [tuple(w) for w in json.load(f)]
    work = osp.realpath(work)
    left = []
    for event, path in writes:
        path = osp.realpath(path)
        if path != work and not path.startswith(work + os.sep):
            continue
        rel = osp.relpath(path, work)
        if event == 'os.mkdir' and (path == work or re.fullmatch(TIMESTAMP, rel)):
            continue
        if re.fullmatch(r'part_1\.pkl', osp.basename(path)) and not osp.exists(osp.dirname(path)):
            continue
        if event == 'os.mkdir' and not osp.exists(path) and rel.startswith('.'):
            continue  # the collection tmpdir itself, removed by rank 0
        left.append((event, rel))
    return left


def _assert_rank_outputs(result, train_line: re.Pattern, n_train: int) -> None:
    out0 = ''.join(result.outputs[0])
    assert len(train_line.findall(out0)) == n_train, result.report()
    out1, err1 = result.outputs[1]
    log_lines = [line for line in (out1 + err1).splitlines() if LOG_LINE.search(line)]
    assert not log_lines, 'rank 1 printed training log lines:\n' + '\n'.join(log_lines[:20])


def _check_v1(work: str, result) -> None:
    files = _files(work)
    (log, ) = [f for f in files if f.endswith('.log')]
    assert re.fullmatch(TIMESTAMP + r'\.log', log)
    best = [f for f in files if f.startswith('best_')]
    assert len(best) == 1 and re.fullmatch(r'best_accuracy_epoch_[12]\.pth', best[0]), files
    assert files == sorted(['dist_example.py', log, log + '.json', 'epoch_1.pth', 'epoch_2.pth', 'latest.pth']
                           + best), files
    text = open(osp.join(work, log)).read()
    entries = re.findall(r' - legacy_runner - INFO - Epoch(?:\((\w+)\))? \[(\d+)\]\[(\d+)', text)
    keys = [(mode or 'train', int(e), int(i)) for mode, e, i in entries]
    # per epoch: two train log points, EvalHook's accuracy, the ('val', 1) phase (8 iterations per rank)
    assert keys == [entry for e in (1, 2) for entry in
                    [('train', e, 16), ('train', e, 32), ('val', e, 1), ('val', e, 8)]], keys
    with open(osp.join(work, log + '.json')) as f:
        records = [json.loads(line) for line in f if line.strip()]
    assert 'env_info' in records[0] and all('mode' in r for r in records[1:])
    assert [(r['mode'], r['epoch'], r['iter']) for r in records[1:]] == keys  # as in the text log
    _assert_rank_outputs(result, re.compile(r' - legacy_runner - INFO - Epoch \[\d+\]\[\d+/\d+\]'), 4)


def _check_v2(work: str, result, by_epoch: bool) -> None:
    files = _files(work)
    (log, ) = [f for f in files if f.endswith('.log')]
    stamp = osp.dirname(log)
    assert re.fullmatch(TIMESTAMP, stamp) and log == osp.join(stamp, stamp + '.log'), files
    unit = 'epoch' if by_epoch else 'iter'
    ckpts = ['epoch_1.pth', 'epoch_2.pth'] if by_epoch else ['iter_32.pth', 'iter_64.pth']
    best = [f for f in files if f.startswith('best_')]
    assert len(best) == 1 and re.fullmatch(rf'best_accuracy_{unit}_\d+\.pth', best[0]), files
    vis = osp.join(stamp, 'vis_data')
    logs = [log, osp.join(vis, 'config.py'), osp.join(vis, 'scalars.json'), osp.join(vis, stamp + '.json')]
    assert files == sorted(['dist_example.py', 'last_checkpoint'] + logs + ckpts + best), files
    text = open(osp.join(work, log)).read()
    entries = re.findall(r' - mmengine - INFO - (?:Epoch|Iter)\((\w+)\)\s*(?:\[(\d+)\])?\s*\[(\d+)/\d+\]',
                         text)
    keys = [(mode, int(e or 0), int(i)) for mode, e, i in entries]
    if by_epoch:  # per epoch: two train log points, then the validation
        expected = [entry for e in (1, 2) for entry in [('train', e, 16), ('train', e, 32), ('val', e, 1)]]
        scalar_steps = [('train', 16), ('train', 32), ('val', 1), ('train', 48), ('train', 64), ('val', 2)]
    else:  # validation every 32 iterations
        expected = [('train', 0, 16), ('train', 0, 32), ('val', 0, 1), ('train', 0, 48), ('train', 0, 64),
                    ('val', 0, 1)]
        scalar_steps = [('train', 16), ('train', 32), ('val', 32), ('train', 48), ('train', 64), ('val', 64)]
    assert keys == expected, keys
    with open(osp.join(work, vis, 'scalars.json')) as f:
        scalars = f.read()
    assert scalars == open(osp.join(work, vis, stamp + '.json')).read()
    records = [json.loads(line) for line in scalars.splitlines()]
    assert [('train' if 'lr' in r else 'val', r['step']) for r in records] == scalar_steps, records
    _assert_rank_outputs(result, re.compile(r' - mmengine - INFO - (?:Epoch|Iter)\(train\)'), 4)


@pytest.mark.parametrize('case', list(CASES))
def test_torchrun_two_ranks_through_the_cli(tmp_path, case):
    work, dump, result = _run(tmp_path, *CASES[case])
    _assert_same_weights(dump)
    runtime = 'v1' if case == 'v1' else 'v2'
    assert _rank1_writes(work, dump) == []
    if runtime == 'v1':
        _check_v1(work, result)
    else:
        _check_v2(work, result, by_epoch=case == 'v2')


def test_rank1_write_filter(tmp_path):
    """The allowances of ``_rank1_writes`` stay narrow: a log or checkpoint written by rank 1 counts."""
    work, dump = tmp_path / 'work', tmp_path / 'dump'
    (work / '20261121_000000').mkdir(parents=True)
    dump.mkdir()
    writes = [['os.mkdir', str(work)], ['os.mkdir', str(work / '20261121_000000')],
              ['os.mkdir', str(work / '.eval_hook')], ['open', str(work / '.eval_hook' / 'part_1.pkl')],
              ['open', str(tmp_path / 'elsewhere.txt')],
              ['open', str(work / '20261121_000000' / 'vis_data' / 'scalars.json')],
              ['torch.save', str(work / 'epoch_1.pth')], ['os.mkdir', str(work / 'vis_data')],
              ['open', str(work / 'dist_example.py')]]
    (dump / 'rank1_writes.json').write_text(json.dumps(writes))
    assert _rank1_writes(str(work), str(dump)) == [
        ('open', osp.join('20261121_000000', 'vis_data', 'scalars.json')),
        ('torch.save', 'epoch_1.pth'), ('os.mkdir', 'vis_data'), ('open', 'dist_example.py')]


def test_only_a_native_abort_is_retried():
    """run_torchrun repeats a run only when the first failing rank died by a signal and no rank
    printed a traceback (torchrun always prints its own, for ChildFailedError)."""
    from subprocess import CompletedProcess

    launcher = 'Traceback (most recent call last):\n  ...\nChildFailedError:\n'
    aborted = launcher + 'Root Cause (first observed failure):\n  exitcode  : -6 (pid: 7)  (SIGABRT)\n'
    python_error = (launcher + 'Failures:\n  exitcode  : -15 (pid: 8)  (SIGTERM)\n'
                    'Root Cause (first observed failure):\n  exitcode  : 1 (pid: 7)\n')
    worker_tb = 'Traceback (most recent call last):\nValueError: boom\n'
    assert _teardown_abort(CompletedProcess([], 1, '', aborted), {})
    assert _teardown_abort(CompletedProcess([], 1, '', aborted),
                           {0: ('', ''), 1: ('', 'terminate called without an active exception')})
    assert not _teardown_abort(CompletedProcess([], 1, '', aborted), {1: ('', worker_tb)})
    assert not _teardown_abort(CompletedProcess([], 1, '', worker_tb + aborted), {})
    assert not _teardown_abort(CompletedProcess([], 1, '', python_error), {})
    assert not _teardown_abort(CompletedProcess([], 0, '', ''), {})


def test_torchrun_fp16_accumulation_v1_config_on_v2(tmp_path):
    """A v1 fp16 + gradient-accumulation config on the v2 runtime under DDP: the wrapper's step
    keeps the v1 autocast scope (only @auto_fp16 methods), so validation gets float32 scores."""
    _, dump, _ = _run(tmp_path, 'configs_v1/mlp_cosine_accum_fp16.py', 'v2', ['runner.max_epochs=1'])
    _assert_same_weights(dump)

