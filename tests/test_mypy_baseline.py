"""mypy over legacy_runner and compat stays at or under the committed per-layer baseline
(.ci/mypy_baseline.json); the count may only go down."""
import importlib.util
import json
import os.path as osp
import subprocess
import sys

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.slow  # one full mypy run: minutes on a busy machine
def test_mypy_errors_do_not_exceed_the_baseline():
    if importlib.util.find_spec('mypy') is None:
        pytest.skip('mypy is not installed (it is in the test extra)')
    out = subprocess.run([sys.executable, osp.join(ROOT, '.ci', 'mypy_check.py')], cwd=ROOT,
                         capture_output=True, text=True, timeout=1800)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    with open(osp.join(ROOT, '.ci', 'mypy_baseline.json')) as f:
        baseline = json.load(f)
    for group in baseline:  # every group is reported, so a reviewer sees the numbers in the log
        assert f'mypy {group:8s}' in out.stdout
