"""Machinery of the ``mmcv`` import shim (importing this module activates nothing; importing
``compat.mmcv_shim`` does).

A meta-path finder serves ``mmcv`` and its submodules from ``compat/_mmcv`` (thin re-export
modules over legacy_runner). It never shadows a real mmcv that is installed, unless forced
(``install(force=True)``, ``LEGACY_RUNNER_SHIM=force`` or ``python -m legacy_runner exec
--force-shim``). Other ways to activate it: ``python -m legacy_runner exec SCRIPT`` and
``LEGACY_RUNNER_SHIM=1`` (through the ``.pth`` file installed with the package). Submodules the
shim does not provide (``mmcv.ops``, ``mmcv.image`` ...) and missing names in
``from mmcv.x import name`` raise ImportError naming what is missing.
"""
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
import warnings
from types import ModuleType
from typing import Optional, Sequence

SHIM_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '_mmcv')
ENV_VAR = 'LEGACY_RUNNER_SHIM'
OUT_OF_SCOPE = {
    'ops': 'compiled mmcv ops (mmcv.ops, the mmcv-full CUDA/C++ extensions) are out of scope',
    '_ext': 'compiled mmcv ops (mmcv-full extensions) are out of scope',
    'image': 'image I/O and transforms (mmcv.image) are out of scope',
    'video': 'video helpers (mmcv.video) are out of scope',
    'visualization': 'visualization helpers (mmcv.visualization) are out of scope',
    'transforms': 'mmcv 2.x data transforms are out of scope',
    'tensorrt': 'TensorRT helpers are out of scope',
    'onnx': 'ONNX export helpers are out of scope',
    'device': 'IPU/MLU/MPS device runners are out of scope',
}


def _missing_message(fullname: str) -> str:
    parts = fullname.split('.')
    reason = OUT_OF_SCOPE.get(parts[1]) if len(parts) > 1 else None
    if reason is None:
        parent, name = fullname.rsplit('.', 1)
        reason = (f'{name!r} is not provided by {parent} (legacy_runner re-implements the mmcv 1.x '
                  'training stack: utils, fileio, runner, hooks, parallel, engine, cnn bricks)')
    return f'cannot import {fullname}: {reason} [legacy_runner mmcv shim]'


class MmcvShimFinder(importlib.abc.MetaPathFinder):
    """Finds ``mmcv`` and ``mmcv.*`` in ``compat/_mmcv``; raises ImportError for the rest."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != 'mmcv' and not fullname.startswith('mmcv.'):
            return None
        base = os.path.join(SHIM_ROOT, *fullname.split('.')[1:])
        init = os.path.join(base, '__init__.py')
        if os.path.isfile(init):
            return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[base])
        if os.path.isfile(base + '.py'):
            return importlib.util.spec_from_file_location(fullname, base + '.py')
        # name=None on purpose: `from mmcv.x import missing` then surfaces this message.
        raise ModuleNotFoundError(_missing_message(fullname))


_FINDER = MmcvShimFinder()


def _under_shim(origin: Optional[str]) -> bool:
    return bool(origin) and os.path.abspath(origin).startswith(SHIM_ROOT + os.sep)  # type: ignore


def is_shim_module(module: Optional[ModuleType]) -> bool:
    """True if ``module`` was loaded from the shim tree."""
    return _under_shim(getattr(getattr(module, '__spec__', None), 'origin', None))


def find_real_mmcv() -> Optional[str]:
    """Where a real (non-shim) mmcv lives, or None: an imported one or one on sys.path."""
    loaded = sys.modules.get('mmcv')
    if loaded is not None and not is_shim_module(loaded):
        return getattr(loaded, '__file__', None) or 'mmcv'
    for finder in sys.meta_path:
        if finder is _FINDER or not hasattr(finder, 'find_spec'):
            continue
        try:
            spec = finder.find_spec('mmcv', None)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and not _under_shim(spec.origin):
            return spec.origin or 'mmcv'
    return None


def is_active() -> bool:
    return _FINDER in sys.meta_path


def install(force: bool = False) -> bool:
    """Activate the shim; returns False (and changes nothing) when a real mmcv is installed.

    With ``force`` the shim goes first in ``sys.meta_path`` and a real mmcv already imported is
    dropped from ``sys.modules``.
    """
    if is_active():
        return True
    real = find_real_mmcv()
    if real is not None and not force:
        return False
    if real is not None:
        for name in [n for n in sys.modules if n == 'mmcv' or n.startswith('mmcv.')]:
            del sys.modules[name]
    sys.meta_path.insert(0, _FINDER)
    return True


def uninstall() -> None:
    """Deactivate the shim and forget the ``mmcv`` modules it served."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name in [n for n in sys.modules if n == 'mmcv' or n.startswith('mmcv.')]:
        if is_shim_module(sys.modules[name]):
            del sys.modules[name]


def env_mode(value: Optional[str] = None) -> Optional[str]:
    """``LEGACY_RUNNER_SHIM`` -> None (off), 'auto' or 'force'."""
    value = os.environ.get(ENV_VAR, '') if value is None else value
    value = value.strip().lower()
    if value in ('', '0', 'false', 'no', 'off'):
        return None
    return 'force' if value == 'force' else 'auto'


def activate(force: Optional[bool] = None, warn: bool = True) -> bool:
    """``install`` with ``force`` defaulting to ``LEGACY_RUNNER_SHIM=force``; warns when a real
    mmcv keeps the shim inactive."""
    if force is None:
        force = env_mode() == 'force'
    ok = install(force=force)
    if not ok and warn:
        warnings.warn(f'a real mmcv is installed ({find_real_mmcv()}); the legacy_runner mmcv shim '
                      f'stays inactive (set {ENV_VAR}=force to use the shim anyway)', stacklevel=2)
    return ok

