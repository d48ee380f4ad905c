"""Acceptance: an old mmcv 1.x codebase runs unchanged, in fresh processes, with no real mmcv.

The codebase (tests/old_codebase.py) is run three ways: its own train script through
``python -m legacy_runner exec``, the same script as ``LEGACY_RUNNER_SHIM=1 python train.py``
(through the installed .pth start-up hook), and its config through the generic
``python -m legacy_runner train`` (``custom_imports`` only).
"""
import os
import os.path as osp
import shutil
import site
import subprocess
import sys
import sysconfig
from typing import List

import old_codebase as oc
import pytest

from compat._shim_finder import SHIM_ROOT, find_real_mmcv

pytestmark = [pytest.mark.skipif(find_real_mmcv() is not None,
                                 reason='a real mmcv is installed; these tests need its absence'),
              pytest.mark.slow]  # tier: see tests/conftest.py


@pytest.fixture(scope='module')
def codebase(tmp_path_factory: pytest.TempPathFactory) -> oc.OldCodebase:
    return oc.write_old_codebase(str(tmp_path_factory.mktemp('old_codebase')))


def _run(cmd: List[str], cwd: str, **env: str) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, cwd=cwd, env=oc.subprocess_env(**env), capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, \
        f'{cmd} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}'
    return proc


def _assert_trained(work_dir: str) -> None:
    records = oc.read_hook_records(work_dir)
    run = [r for r in records if r['event'] == 'run']
    assert len(run) == 1 and run[0]['mmcv_version'] == '1.7.0'
    assert osp.abspath(run[0]['mmcv_file']).startswith(SHIM_ROOT), run[0]
    assert [r['iter'] for r in records if r['event'] == 'iter'] == oc.expected_record_iters() == [3, 6]
    assert [r['epoch'] for r in records if r['event'] == 'iter'] == [0, 1]
    assert [(r['epoch'], r['iter']) for r in records if r['event'] == 'epoch'] == [(1, 4), (2, 8)]

    train = oc.train_and_val_records(work_dir, 'train')
    assert [(r['epoch'], r['iter']) for r in train] == [(1, 2), (1, 4), (2, 2), (2, 4)]
    assert all(r['loss'] == r['loss_cls'] > 0 for r in train)
    assert [r['lr'] for r in train] == pytest.approx([0.1, 0.1, 0.01, 0.01])  # step at epoch 1
    assert train[-1]['loss'] < train[0]['loss']
    val = oc.train_and_val_records(work_dir, 'val')
    assert [r['epoch'] for r in val] == [1, 2] and all(0 <= r['accuracy'] <= 1 for r in val)
    assert {'epoch_1.pth', 'epoch_2.pth', 'latest.pth'} <= set(os.listdir(work_dir))


def test_exec_runs_old_train_script(codebase: oc.OldCodebase) -> None:
    work_dir = osp.join(codebase.root, 'work_exec')
    _run([sys.executable, '-m', 'legacy_runner', 'exec', 'train.py', 'configs/old_cfg.py',
          '--work-dir', work_dir], cwd=codebase.root)
    _assert_trained(work_dir)


def _parent_site_dirs() -> List[str]:
    """This interpreter's site directories, in sys.path order (venv, conda, system or user site)."""
    candidates = set(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        candidates.add(site.getusersitepackages())
    candidates.update(sysconfig.get_paths()[k] for k in ('purelib', 'platlib'))
    real = {osp.realpath(c) for c in candidates}
    return list(dict.fromkeys(p for p in sys.path if p and osp.isdir(p) and osp.realpath(p) in real))


def _venv_with_shim_pth(tmp_dir: str) -> str:
    """A venv that sees this interpreter's packages, with the .pth that setup.py installs.

    ``--system-site-packages`` is not enough: when this interpreter is itself a venv, the "system"
    packages would be its base interpreter's (no torch there). A start-up .pth that sorts before
    the shim's adds this interpreter's own site directories with ``site.addsitedir`` instead.
    """
    venv_dir = osp.join(tmp_dir, 'venv')
    subprocess.run([sys.executable, '-m', 'venv', '--without-pip', venv_dir], check=True, timeout=120)
    bindir = 'Scripts' if os.name == 'nt' else 'bin'
    python = osp.join(venv_dir, bindir, 'python')
    purelib = subprocess.run([python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])'],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert purelib != sysconfig.get_paths()['purelib']
    with open(osp.join(purelib, '_parent_site.pth'), 'w') as f:
        f.write(f'import site; list(map(site.addsitedir, {_parent_site_dirs()!r}))\n')
    shutil.copy(osp.join(oc.REPO, 'compat', 'legacy_runner_shim.pth'), purelib)
    return python


def test_env_var_runs_old_train_script_via_pth(codebase: oc.OldCodebase, tmp_path: 'os.PathLike') -> None:
    python = _venv_with_shim_pth(str(tmp_path))
    # the .pth does nothing without the variable ...
    off = subprocess.run([python, '-c', 'import mmcv'], env=oc.subprocess_env(), capture_output=True,
                         text=True, timeout=120)
    assert off.returncode != 0 and "No module named 'mmcv'" in off.stderr
    # ... and with it, `python train.py` is the old command line, unchanged
    work_dir = osp.join(codebase.root, 'work_env')
    _run([python, 'train.py', 'configs/old_cfg.py', '--work-dir', work_dir], cwd=codebase.root,
         LEGACY_RUNNER_SHIM='1')
    _assert_trained(work_dir)


def test_generic_train_and_test_commands_find_old_registries(codebase: oc.OldCodebase) -> None:
    work_dir = osp.join(codebase.root, 'work_generic')
    # --seed: without it the generic flow draws a random seed (mmdet behaviour) and the loss check
    # in _assert_trained would depend on the draw
    _run([sys.executable, '-m', 'legacy_runner', 'train', 'configs/old_cfg.py', '--work-dir', work_dir,
          '--seed', '0'], cwd=codebase.root)
    _assert_trained(work_dir)
    test_dir = osp.join(codebase.root, 'work_generic_test')
    proc = _run([sys.executable, '-m', 'legacy_runner', 'test', 'configs/old_cfg.py',
                 osp.join(work_dir, 'latest.pth'), '--eval', 'accuracy', '--work-dir', test_dir],
                cwd=codebase.root)
    assert 'accuracy' in proc.stdout + proc.stderr
