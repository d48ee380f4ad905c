"""Real mmengine 0.10.7 as the oracle of the converter: every golden v1 schedule (two param groups,
group b at lr_mult 0.5), converted with and without --exact, runs in mmengine's own Runner and is
compared per group with mmcv's recording. With --exact every case is exact; without it each case
is exact or within its reported per-group bound, and each case's class is pinned.

mmengine declares a dependency on opencv-python (not the headless build installed here), so it is
installed with --no-deps (plus its pure dependencies) into a cached --target directory and run in
a subprocess: the test process, and our own v2 runtime, never import it.
"""
import json
import os
import subprocess
import sys

import pytest

from compat.convert import Options, convert_dict
from compat.convert.writer import format_config

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
GOLDEN = os.path.join(HERE, 'data', 'v1_lr_schedules.json')
with open(GOLDEN) as f:
    CASES = json.load(f)['cases']
MMENGINE = 'mmengine==0.10.7'
# its pure dependencies not installed here already (yapf, numpy, pyyaml are)
PURE_DEPS = ('addict', 'rich', 'termcolor', 'markdown-it-py', 'mdurl', 'pygments')
TARGET = os.environ.get('MMENGINE_ORACLE_DIR') or os.path.join(
    os.path.expanduser('~'), '.cache', 'legacy-runner-tests', 'mmengine-0.10.7')

# The class of each case without --exact (the worst status among its lr/momentum keys).
NOT_EXACT = {
    'step_minlr_epoch': 'approximate',              # min_lr clip, two group lrs
    'inv_iter': 'dropped',                          # no built-in inv scheduler
    'cos_minlr_linear2ep_epoch': 'approximate',     # warmup over a cosine with a floor
    'cos_minlrratio_iter': 'approximate',           # warmup over a cosine with a floor
    'cosrestart_epoch': 'approximate',              # absolute min_lr, two group lrs
    'linearanneal_iter': 'approximate',             # absolute min_lr, two group lrs
    'step_with_step_momentum_warm': 'dropped',      # momentum warmup
    'onecycle_threephase_linear_iter': 'approximate',  # per-group max_lr: fails to build on mmengine
}
# Plain conversions that real mmengine refuses to build, and the message it gives.
FAILS_ON_MMENGINE = {'onecycle_threephase_linear_iter': 'expected 3 values for max_lr, got 2'}
_RANK = {'exact': 0, 'carried': 0, 'approximate': 1, 'dropped': 2}


def _env() -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([TARGET, REPO]))
    env.pop('LEGACY_RUNNER_SHIM', None)
    return env


def _importable() -> bool:
    probe = 'import mmengine; assert mmengine.__version__ == "0.10.7"; from mmengine.runner import Runner'
    return subprocess.run([sys.executable, '-c', probe], env=_env(), capture_output=True).returncode == 0


@pytest.fixture(scope='module')
def mmengine_dir():
    if not _importable():
        cmd = [sys.executable, '-m', 'pip', 'install', '--quiet', '--no-deps', '--target', TARGET, MMENGINE,
               *PURE_DEPS]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            pytest.skip(f'cannot install {MMENGINE} into {TARGET}: {proc.stderr.strip()[-300:]}')
    assert _importable(), f'{MMENGINE} installed in {TARGET} does not import'
    return TARGET


def _converted(case, exact):
    from test_convert_golden import _v1_config
    return convert_dict(_v1_config(case), Options(epoch_length=case['iters_per_epoch'], exact=exact),
                        case['name'])


@pytest.fixture(scope='module')
def oracle(mmengine_dir, tmp_path_factory):
    root = tmp_path_factory.mktemp('oracle')
    jobs, results, same_as = [], {}, {}
    for case in CASES:
        texts = {}
        for exact in (False, True):
            r = _converted(case, exact)
            name = f"{case['name']}-{'exact' if exact else 'plain'}"
            results[name] = r
            texts[name] = format_config(r.v2)
            if exact and texts[name] == texts[f"{case['name']}-plain"]:
                same_as[name] = f"{case['name']}-plain"  # one mmengine run serves both modes
                continue
            path = root / f'{name}.py'
            path.write_text(texts[name])
            jobs.append(dict(name=name, path=str(path), iters_per_epoch=case['iters_per_epoch']))
    (root / 'jobs.json').write_text(json.dumps(jobs))
    proc = subprocess.run([sys.executable, os.path.join(HERE, 'mmengine_oracle.py'), str(root / 'jobs.json')],
                          env=_env(), capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    runs = json.loads(proc.stdout)
    runs.update({name: runs[twin] for name, twin in same_as.items()})
    return runs, results


def _per_group(records, got, param):
    out = []
    for g in range(2):
        worst = 0.0
        for want, have in zip(records, got):
            a, b = want[param][g], have[param][g]
            worst = max(worst, abs(a - b) / abs(a) if a else abs(b))
        out.append(worst)
    return out


def test_not_exact_names_real_cases():
    assert set(NOT_EXACT) <= {c['name'] for c in CASES} and len(CASES) == 41


@pytest.mark.slow
@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_real_mmengine_matches_mmcv(case, oracle):
    runs, results = oracle
    # --exact: every case, every group, every iteration
    got = runs[f"{case['name']}-exact"]
    assert len(got) == len(case['records'])
    r = results[f"{case['name']}-exact"]
    assert all(e.status == 'exact' for e in r.entries if e.param), case['name']
    for param in ('lr', 'momentum'):
        assert max(_per_group(case['records'], got, param)) <= 1e-9, (case['name'], param)
    uses_plugin = 'custom_imports' in r.v2
    assert uses_plugin == (case['name'] in NOT_EXACT)  # built-in types wherever they are exact
    # plain mmengine types only: the pinned class, and within the reported per-group bound
    r = results[f"{case['name']}-plain"]
    assert 'custom_imports' not in r.v2
    assert not any(str(s.get('type', '')).startswith('V1Policy') for s in r.v2.get('param_scheduler') or [])
    sched = [e for e in r.entries if e.key.split('.')[0] in ('lr_config', 'momentum_config')]
    cls = max((e.status for e in sched), key=_RANK.__getitem__)
    assert cls == NOT_EXACT.get(case['name'], 'exact'), [(e.key, e.status) for e in sched]
    got = runs[f"{case['name']}-plain"]
    if case['name'] in FAILS_ON_MMENGINE:
        assert FAILS_ON_MMENGINE[case['name']] in got['error']
        return
    groups = next((e.groups for e in sched if e.groups), None)
    for param in ('lr', 'momentum'):
        diff = _per_group(case['records'], got, param)
        if cls == 'exact':
            assert max(diff) <= 1e-9, (param, diff)
            continue
        for g in range(2):
            assert diff[g] <= groups[param][g] * (1 + 1e-6) + 1e-9, (param, g, diff, groups)
        assert max(diff) == pytest.approx(max(groups[param]), rel=1e-6, abs=1e-9)  # tight, not a guess
