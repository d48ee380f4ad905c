"""collect-env: the report's entries, real mmcv/mmengine detection, and the tree-conversion bar."""
import io
import json
import os
import os.path as osp
import subprocess
import sys

from run_helpers import ROOT

from legacy_runner.utils import env as env_mod
from legacy_runner.version import __version__


def test_cli_collect_env():
    proc = subprocess.run([sys.executable, '-m', 'legacy_runner', 'collect-env', '--json'], cwd=ROOT,
                          env=dict(os.environ, PYTHONWARNINGS='ignore'), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    env = json.loads(proc.stdout)
    for key in ('Python', 'PyTorch', 'CUDA available', 'cuDNN', 'GCC', 'NumPy', 'yapf', 'mmcv (real)',
                'mmengine (real)', 'mmcv resolves to'):
        assert key in env, key
    assert env['legacy_runner'] == __version__
    assert env['Python'].startswith(sys.version.split()[0])
    try:
        import cv2
    except ImportError:
        assert 'OpenCV' not in env
    else:  # read from the wheel's metadata without importing cv2, and the same as cv2 says
        assert env['OpenCV'] == cv2.__version__
    if env['mmcv (real)'] == 'not installed':
        assert env['mmcv resolves to'].startswith('legacy_runner (shim)')


def test_opencv_version_without_importing_cv2(monkeypatch, tmp_path):
    from importlib import metadata
    versions = {'opencv-python-headless': '4.8.1.78'}

    def version(name):
        if name not in versions:
            raise metadata.PackageNotFoundError(name)
        return versions[name]
    monkeypatch.setattr(metadata, 'version', version)
    (tmp_path / 'cv2.py').write_text("__version__ = '4.9.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    real = sys.modules.pop('cv2', None)
    try:
        assert env_mod._opencv_version() == '4.8.1' and 'cv2' not in sys.modules
        versions['opencv-contrib-python'] = '4.9.0.80'  # two wheels: only cv2 itself can tell
        assert env_mod._opencv_version() == '4.9.0' and sys.modules['cv2'].__file__.startswith(str(tmp_path))
    finally:
        sys.modules.pop('cv2', None)
        if real is not None:
            sys.modules['cv2'] = real


def test_real_mmcv_is_detected(tmp_path, monkeypatch):
    pkg = tmp_path / 'mmcv'
    pkg.mkdir()
    (pkg / '__init__.py').write_text("__version__ = '1.7.0'\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, 'mmcv', raising=False)
    info = env_mod.openmmlab_env()
    assert info['mmcv (real)'].endswith(str(pkg))
    assert info['mmcv resolves to'].startswith('real mmcv')
    assert 'mmcv' not in sys.modules  # detection imports nothing


def test_no_real_mmcv_resolves_to_shim(monkeypatch):
    monkeypatch.setattr(env_mod, '_real_module', lambda name: None)
    info = env_mod.openmmlab_env()
    assert info['mmcv (real)'] == 'not installed' and info['mmengine (real)'] == 'not installed'
    assert info['mmcv resolves to'].startswith('legacy_runner (shim)')


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_tree_conversion_progress_bar(monkeypatch, capsys):
    from compat.convert.tree import convert_tree

    src = osp.join(ROOT, 'configs_v1')
    n = len(convert_tree(src, progress=True))
    assert capsys.readouterr().err == ''  # not a terminal: quiet
    tty = _Tty()
    monkeypatch.setattr(sys, 'stderr', tty)
    convert_tree(src, progress=True)
    assert f'{n}/{n}' in tty.getvalue()
    tty2 = _Tty()
    monkeypatch.setattr(sys, 'stderr', tty2)
    convert_tree(src)  # progress is opt-in
    assert tty2.getvalue() == ''
