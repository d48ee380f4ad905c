"""Every subpackage and module of mmcls, mmseg and mmpose imports on the mmcv shim."""
import os.path as osp
import subprocess
import sys
from typing import Dict

import pytest
from codebases_harness import UNAVAILABLE, walk_failures


def _report(result: dict) -> str:
    failures = result['failures']
    return f'{len(failures)} of {result["count"]} modules fail to import:\n' + '\n'.join(
        f'  {name}: {err.strip().splitlines()[-1] if err.strip() else err}'
        for name, err in sorted(failures.items()))


@pytest.mark.parametrize('package', ['mmcls', 'mmseg', 'mmpose'])
def test_every_module_imports(package: str, codebases_target: str, shim_env: dict, tmp_path) -> None:
    result = walk_failures(package, shim_env, str(tmp_path))
    # the codebase came from the tier's install and mmcv from the shim, not from anything else here
    assert osp.dirname(osp.dirname(result['file'])) == codebases_target
    assert 'compat' in result['mmcv'] or 'legacy_runner' in result['mmcv'], result['mmcv']
    assert not result['failures'], _report(result)
    assert result['count'] > 20
    assert set(result['skipped'].values()) <= set(UNAVAILABLE)


@pytest.mark.parametrize('env, version', [({}, '1.7.0'), ({'LEGACY_RUNNER_MMCV_VERSION': '1.6.2'}, '1.6.2')])
def test_version_gate_of_real_codebases(env: Dict[str, str], version: str, shim_env: dict) -> None:
    """The codebases' own `assert mmcv_min <= mmcv.__version__ <= mmcv_max` pass out of the box."""
    code = 'import mmcv\nprint(mmcv.__version__)\nimport mmcls, mmseg, mmdet\n'
    if version == '1.7.0':
        code += 'import mmpose\n'  # mmpose 0.29 wants mmcv <= 1.7.0
    proc = subprocess.run([sys.executable, '-c', code], env={**shim_env, **env}, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split()[0] == version
