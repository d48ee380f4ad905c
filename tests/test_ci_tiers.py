"""tests/conftest.py's tiers, on a throw-away suite run by a separate pytest: the fast tier runs
first whatever the file order, a fast-tier failure skips the later tiers (naming the failure),
``--all-tiers`` runs them anyway, and the summary gives each tier's time and counts."""
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

from run_helpers import TESTS, subprocess_env

SUITE = {
    # file names sort so that the slow and dist files come first in collection order
    'test_a_dist.py': 'import pytest\n\n\n@pytest.mark.dist\ndef test_d():\n    pass\n',
    'test_b_slow.py': 'import pytest\n\npytestmark = pytest.mark.slow\n\n\ndef test_s():\n    pass\n',
    'test_c_fast.py': 'import os\n\n\ndef test_f():\n    assert os.environ.get("FAST_FAILS") != "1"\n',
}
MARKERS = '[pytest]\nmarkers =\n    slow: s\n    dist: d\n    codebases: c\n'


def _run(tmp_path, *args: str, fast_fails: bool = False) -> subprocess.CompletedProcess:
    suite = tmp_path / 'suite'
    if not suite.exists():
        suite.mkdir()
        shutil.copy(osp.join(TESTS, 'conftest.py'), str(suite / 'conftest.py'))
        (suite / 'pytest.ini').write_text(MARKERS)
        for name, text in SUITE.items():
            (suite / name).write_text(text)
    env = subprocess_env(FAST_FAILS='1' if fast_fails else '0')
    return subprocess.run([sys.executable, '-m', 'pytest', '-v', '-p', 'no:cacheprovider', '-rs', *args],
                          cwd=str(suite), env=env, capture_output=True, text=True, timeout=120)


def _order(stdout: str) -> list:
    return re.findall(r'^test_\w+\.py::(test_\w+) ', stdout, re.M)


def test_fast_tier_first_then_slow_then_dist(tmp_path):
    proc = _run(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _order(proc.stdout) == ['test_f', 'test_s', 'test_d']
    tiers = dict(re.findall(r'^\s*(fast|slow|dist|codebases):\s+[\d.]+ s\s+\((.*)\)$', proc.stdout, re.M))
    assert tiers == {'fast': '1 passed', 'slow': '1 passed', 'dist': '1 passed'}, proc.stdout


def test_fast_failure_skips_the_later_tiers(tmp_path):
    proc = _run(tmp_path, fast_fails=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert _order(proc.stdout) == ['test_f', 'test_s', 'test_d']
    skips = [line for line in proc.stdout.splitlines() if line.startswith('SKIPPED')]
    assert len(skips) == 2 and all('fast-tier test(s) failed, first test_c_fast.py::test_f' in s
                                   for s in skips), proc.stdout
    assert re.search(r'^\s*slow:.*\(1 skipped\)$', proc.stdout, re.M), proc.stdout
    forced = _run(tmp_path, '--all-tiers', fast_fails=True)
    assert forced.returncode == 1 and '1 failed, 2 passed' in forced.stdout, forced.stdout


def test_ci_fixes_the_crash_test_seed(tmp_path):
    code = 'import crash_helpers as c; print(c.CRASH_TEST_SEED, c.CRASH_TEST_SEED_SOURCE)'
    runs = []
    for extra in ({'CI': 'true'}, {'CI': 'true'}, {'CI': 'true', 'CRASH_TEST_SEED': '7'}):
        env = {k: v for k, v in subprocess_env(pythonpath=(TESTS,)).items() if k != 'CRASH_TEST_SEED'}
        env.update(extra)
        proc = subprocess.run([sys.executable, '-c', code], env=env, capture_output=True, text=True,
                              timeout=120, cwd=os.getcwd())
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.split(' ', 1))
    assert runs[0] == runs[1] and 'CI=true' in runs[0][1]
    assert runs[2][0] == '7'
