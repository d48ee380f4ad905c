"""Harness of the ``codebases`` test tier: real OpenMMLab 1.x codebases run on the mmcv shim.

- :func:`install_codebases`: pip-installs the pinned codebases (``--no-deps``) and the pure
  dependencies they import into a cached ``--target`` directory, keyed by the requirement list,
  reused when present (``LEGACY_RUNNER_CODEBASES_CACHE`` chooses the parent folder, default
  ``~/.cache/legacy_runner/codebases``). Dependencies the running interpreter already has are not
  installed again; mmcv/mmcv-full never are, and neither is torchvision (it would pin another torch).
- :func:`codebase_env`: the environment of a subprocess that runs a codebase on the shim
  (``LEGACY_RUNNER_SHIM=1``, the target directory first on ``PYTHONPATH``).
- :func:`run_tool`: runs one tool (a codebase's ``tools/train.py``, ``python -m legacy_runner ...``)
  and returns its output, failing the test with the output's tail when the tool fails.
- :func:`write_png`, :func:`write_cls_folder`, :func:`write_seg_folder`: tiny generated datasets.
- :func:`walk_failures`: imports every subpackage of a codebase in one subprocess.
"""
import glob
import hashlib
import json
import os
import os.path as osp
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from importlib.util import find_spec
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# The codebases under test: import name -> pip requirement (installed with --no-deps).
CODEBASES: Dict[str, str] = {
    'mmcls': 'mmcls==0.25.0',
    'mmseg': 'mmsegmentation==0.30.0',
    'mmpose': 'mmpose==0.29.0',
    'mmdet': 'mmdet==2.28.2',
}
# What the codebases import at module level (beyond torch/numpy): import name -> requirement.
# Installed only when the running interpreter lacks the module.
PURE_DEPS: Dict[str, str] = {
    'packaging': 'packaging',        # mmcls/mmseg version checks
    'matplotlib': 'matplotlib',      # visualization modules of all four
    'scipy': 'scipy',                # mmcls embed, mmdet assigners, mmpose filters
    'cv2': 'opencv-python-headless',  # mmcv.image backend
    'PIL': 'pillow',                 # mmseg datasets, mmcv.image pillow backend
    'prettytable': 'prettytable',    # mmseg CustomDataset.evaluate
    'wcwidth': 'wcwidth',            # prettytable's dependency
    'terminaltables': 'terminaltables',  # mmdet evaluation tables
    'pycocotools': 'pycocotools',    # mmdet COCO datasets and masks
    'six': 'six',                    # mmdet.core.utils.misc
    'json_tricks': 'json_tricks',    # mmpose datasets
    'munkres': 'munkres',            # mmpose bottom-up grouping
    'onnxruntime': 'onnxruntime',    # mmcls.core.export (ONNX export checks)
}
# Third-party modules the codebases import that cannot be installed beside this torch/numpy:
# xtcocotools' wheels are built against numpy 1 (its C extension fails to load on numpy 2);
# torchvision pins its own torch release. Modules importing them are skipped by the walk.
UNAVAILABLE: Dict[str, str] = {
    'xtcocotools': 'binary wheels built for numpy 1, fails to load on numpy 2',
    'torchvision': 'not installed: it would replace the tested torch',
}
CACHE_ENV = 'LEGACY_RUNNER_CODEBASES_CACHE'


def requirements() -> List[str]:
    """The pip requirements to install: every codebase, and the pure dependencies missing here."""
    reqs = list(CODEBASES.values())
    reqs += sorted(req for mod, req in PURE_DEPS.items() if find_spec(mod) is None)
    return reqs


def _cache_root() -> str:
    root = os.environ.get(CACHE_ENV)
    return root or osp.join(osp.expanduser('~'), '.cache', 'legacy_runner', 'codebases')


def install_codebases(reqs: Optional[Sequence[str]] = None) -> str:
    """The target directory holding ``reqs`` (installed on first use); fails the test on pip errors."""
    reqs = list(requirements() if reqs is None else reqs)
    key = hashlib.sha256(json.dumps([sys.version_info[:2], sorted(reqs)]).encode()).hexdigest()[:16]
    target = osp.join(_cache_root(), key)
    if osp.isfile(osp.join(target, '.complete')):
        return target
    os.makedirs(_cache_root(), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f'{key}.tmp-', dir=_cache_root())
    cmd = [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-compile',
           '--disable-pip-version-check', '--target', tmp, *reqs]
    proc = None
    for _ in range(2):  # one retry: a network hiccup should not fail the tier
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode == 0:
            break
    assert proc is not None
    if proc.returncode != 0:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(f'pip could not install the codebases ({" ".join(reqs)}):\n'
                    f'{(proc.stdout + proc.stderr)[-3000:]}')
    # mmpose's wheel ships a top-level `tests` package and pip drops console scripts in bin/:
    # neither belongs on PYTHONPATH (`tests` would shadow other test helpers).
    for junk in ('tests', 'bin'):
        shutil.rmtree(osp.join(tmp, junk), ignore_errors=True)
    with open(osp.join(tmp, '.complete'), 'w') as f:
        f.write('\n'.join(reqs) + '\n')
    try:
        os.replace(tmp, target)
    except OSError:  # another session finished the same install first
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def codebase_env(target: str, **extra: str) -> Dict[str, str]:
    """Environment of a subprocess running a codebase on the shim."""
    env = dict(os.environ)
    env.pop('LEGACY_RUNNER_SHIM', None)
    parts = [target, REPO] + [p for p in env.get('PYTHONPATH', '').split(os.pathsep) if p]
    env.update(PYTHONPATH=os.pathsep.join(parts), LEGACY_RUNNER_SHIM='1', PYTHONHASHSEED='0',
               OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONWARNINGS='ignore')
    env.update(extra)
    return env


def run_tool(args: Sequence[str], env: Dict[str, str], cwd: str, timeout: float = 240,
             expect_rc: int = 0) -> str:
    """Run ``python ARGS`` in ``cwd``; the combined output, or a test failure with its tail."""
    proc = subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)
    out = proc.stdout + proc.stderr
    if proc.returncode != expect_rc:
        pytest.fail(f'`python {" ".join(args)}` exited {proc.returncode} (expected {expect_rc}):\n'
                    f'{out[-6000:]}')
    return out


def mim_path(target: str, package: str, *parts: str) -> str:
    """A file shipped in a codebase's ``.mim`` folder (its configs and tools)."""
    path = osp.join(target, package, '.mim', *parts)
    assert osp.exists(path), f'{package} ships no {osp.join(*parts)} (looked in {path})'
    return path


# -- tiny datasets -------------------------------------------------------------------------------
def write_png(path: str, array: np.ndarray) -> None:
    """An 8-bit PNG: ``HxW`` grayscale or ``HxWx3`` RGB (no image library needed)."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    if array.ndim == 2:
        color_type, rows = 0, array
    elif array.ndim == 3 and array.shape[2] == 3:
        color_type, rows = 2, array.reshape(array.shape[0], -1)
    else:
        raise ValueError(f'write_png: expected HxW or HxWx3, got {array.shape}')
    raw = b''.join(b'\x00' + row.tobytes() for row in rows)  # filter type 0 on every row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + tag + data + struct.pack('>I', zlib.crc32(tag + data))

    header = struct.pack('>IIBBBBB', array.shape[1], array.shape[0], 8, color_type, 0, 0, 0)
    os.makedirs(osp.dirname(path) or '.', exist_ok=True)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(raw))
                + chunk(b'IEND', b''))


# Class colours (RGB) of the classification set: close, under heavy noise, so that a few
# iterations give an accuracy that depends on the weights (not a trivial 100%).
CLS_COLORS = ((140, 110, 110), (110, 110, 140))


def write_cls_folder(root: str, per_class: int = 8, size: int = 32, seed: int = 0, noise: float = 60.0,
                     classes: Sequence[str] = ('reddish', 'bluish')) -> List[str]:
    """``root/<class>/<i>.png`` (mmcls CustomDataset layout): noisy images of one colour per class."""
    rng = np.random.default_rng(seed)
    for name, color in zip(classes, CLS_COLORS):
        for i in range(per_class):
            img = np.asarray(color, np.float64) + rng.normal(0, noise, (size, size, 3))
            write_png(osp.join(root, name, f'{i:03d}.png'), np.clip(img, 0, 255))
    return list(classes)


def write_seg_folder(root: str, split: str, count: int = 4, size: Tuple[int, int] = (32, 48),
                     seed: int = 0) -> None:
    """``root/img_dir/<split>/<i>.png`` and ``root/ann_dir/<split>/<i>.png`` (mmseg CustomDataset
    layout): a bright rectangle (label 1) on a dark noisy background (label 0)."""
    rng = np.random.default_rng(seed)
    h, w = size
    for i in range(count):
        label = np.zeros((h, w), np.uint8)
        y0, x0 = rng.integers(0, h // 2), rng.integers(0, w // 2)
        label[y0:y0 + h // 2, x0:x0 + w // 2] = 1
        img = np.where(label[..., None] == 1, 200.0, 50.0) + rng.normal(0, 20, (h, w, 3))
        write_png(osp.join(root, 'img_dir', split, f'{i:03d}.png'), np.clip(img, 0, 255))
        write_png(osp.join(root, 'ann_dir', split, f'{i:03d}.png'), label)


def json_log(work_dir: str) -> List[Dict[str, object]]:
    """The records of the one ``*.log.json`` a legacy (mmcv-style) run left in ``work_dir``."""
    logs = sorted(glob.glob(osp.join(work_dir, '*.log.json')))
    assert len(logs) == 1, f'expected one .log.json in {work_dir}, found {logs}'
    with open(logs[0]) as f:
        return [json.loads(line) for line in f if line.strip()]


def state_dict(path: str) -> Dict[str, object]:
    """The ``state_dict`` of a checkpoint file (either layout)."""
    import torch
    return torch.load(path, map_location='cpu', weights_only=False)['state_dict']


def assert_same_weights(a: str, b: str) -> None:
    """Two checkpoints hold bitwise-equal weights (same keys)."""
    import torch
    sa, sb = state_dict(a), state_dict(b)
    assert sa.keys() == sb.keys(), f'{a} and {b} have different keys'
    different = [k for k in sa if not torch.equal(sa[k], sb[k])]
    assert not different, f'{a} and {b} differ in {len(different)} tensors, e.g. {different[:3]}'


# -- import walk ---------------------------------------------------------------------------------
_WALK = r'''
import importlib, json, pkgutil, sys
pkg = importlib.import_module(sys.argv[1])
skip_mods = set(json.loads(sys.argv[2]))
names = [pkg.__name__]
# a package that fails to import is still listed (its children are not): the loop below reports it
for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.', onerror=lambda name: None):
    names.append(info.name)
failures, skipped = {}, {}
for name in names:
    try:
        importlib.import_module(name)
    except Exception as e:
        missing = getattr(e, 'name', None) if isinstance(e, ImportError) else None
        root = (missing or '').split('.')[0]
        if root in skip_mods:
            skipped[name] = root
        else:
            failures[name] = f'{type(e).__name__}: {e}'
import mmcv
print('WALK' + json.dumps(dict(file=pkg.__file__, mmcv=mmcv.__file__, count=len(names),
                                failures=failures, skipped=skipped)))
'''


def walk_failures(package: str, env: Dict[str, str], cwd: str) -> Dict[str, object]:
    """Import ``package`` and every subpackage/module under it in one subprocess.

    Returns ``dict(file, mmcv, count, failures={module: error}, skipped={module: missing})``;
    modules whose import fails only for a package of :data:`UNAVAILABLE` are ``skipped``.
    """
    out = run_tool(['-c', _WALK, package, json.dumps(sorted(UNAVAILABLE))], env, cwd, timeout=240)
    line = next(line for line in out.splitlines() if line.startswith('WALK'))
    return json.loads(line[4:])
