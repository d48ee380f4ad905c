"""Every subpackage and module of mmcls, mmseg and mmpose imports on the mmcv shim."""
import os.path as osp

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
