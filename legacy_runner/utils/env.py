"""``collect_env``: the environment summary that 1.x training scripts log and store in meta."""
import importlib.util
import os.path as osp
import platform
import subprocess
import sys
from collections import OrderedDict
from typing import Any, Dict, Optional, Tuple


def _first_line(cmd: str) -> str:
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return 'n/a'
    return out.strip().split('\n')[0] if out.strip() else 'n/a'


def _dist_version(*names: str) -> Optional[str]:
    """The installed version of the first distribution found among ``names`` (metadata only)."""
    from importlib import metadata

    for name in names:
        try:
            return f'{metadata.version(name)} ({name})'
        except metadata.PackageNotFoundError:
            continue
    return None


_OPENCV_WHEELS = ('opencv-python', 'opencv-python-headless', 'opencv-contrib-python',
                  'opencv-contrib-python-headless')


def _opencv_version() -> Optional[str]:
    """``cv2.__version__``, or None without OpenCV. Read from the wheel's metadata where one wheel
    is installed (its version is cv2's plus a build number: 4.8.1.78 is 4.8.1), which spares the
    launch importing cv2 (~25 ms); imported otherwise (a source build, or several wheels)."""
    cv2: Any = sys.modules.get('cv2')
    if cv2 is None:
        from importlib import metadata
        found = set()
        for name in _OPENCV_WHEELS:
            try:
                found.add('.'.join(metadata.version(name).split('.')[:3]))
            except metadata.PackageNotFoundError:
                continue
        if len(found) == 1:
            return found.pop()
        try:
            import cv2
        except ImportError:
            return None
    return str(cv2.__version__)


def _module_version(name: str) -> str:
    """``module.__version__`` of an importable light module, or 'not installed'."""
    try:
        module = importlib.import_module(name)
    except ImportError:
        return 'not installed'
    return str(getattr(module, '__version__', 'unknown version'))


def _shim_finder() -> Any:
    """The mmcv import shim's finder if it is installed. The shim lives in a layer above this core
    module, which never imports it: its finder and loader carry ``is_mmcv_shim``."""
    return next((f for f in sys.meta_path if getattr(f, 'is_mmcv_shim', False)), None)


def _real_module(name: str) -> Optional[str]:
    """Where a real (not shim-served) ``name`` would be imported from, or None.

    Nothing is imported or activated: an active shim is asked (it knows its own finder), otherwise
    the import system is searched.
    """
    finder = _shim_finder()
    if name == 'mmcv' and finder is not None:
        return finder.find_real_mmcv()
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None:
        return None
    origin = spec.origin or (list(spec.submodule_search_locations or []) or [name])[0]
    if getattr(spec.loader, 'is_mmcv_shim', False):
        return None
    return origin


def openmmlab_env() -> Dict[str, str]:
    """Real mmcv / mmengine installations and what ``import mmcv`` resolves to (no torch import)."""
    env: Dict[str, str] = OrderedDict()
    real: Dict[str, Tuple[Optional[str], Optional[str]]] = {
        'mmcv': (_real_module('mmcv'), _dist_version('mmcv-full', 'mmcv', 'mmcv-lite')),
        'mmengine': (_real_module('mmengine'), _dist_version('mmengine', 'mmengine-lite')),
    }
    for name, (where, version) in real.items():
        if where is None:
            env[f'{name} (real)'] = 'not installed'
        else:
            env[f'{name} (real)'] = f'{version or "unknown version"} at {osp.dirname(where)}'
    mmcv_at, mmcv_version = real['mmcv']
    if mmcv_at is not None:
        env['mmcv resolves to'] = f'real mmcv {mmcv_version or ""}'.rstrip()
    else:
        active = _shim_finder() is not None
        env['mmcv resolves to'] = 'legacy_runner (shim)' + ('' if active else (
            '; not active in this process: `python -m legacy_runner exec`, LEGACY_RUNNER_SHIM=1 or '
            '`import compat.mmcv_shim` activate it'))
    return env


def collect_env() -> Dict[str, str]:
    """sys.platform, Python, CUDA/cuDNN/GPU, GCC, PyTorch (+ build config), TorchVision, OpenCV,
    numpy, yapf, this package, and the real mmcv/mmengine (or the shim) ``import mmcv`` finds.

    Keys follow mmcv's ``collect_env`` where they exist; entries that do not apply (no CUDA, no
    torchvision) are left out or marked 'n/a'. torch is imported here, not at module import.
    """
    import torch

    from ..version import __version__

    env: Dict[str, str] = OrderedDict()
    env['sys.platform'] = sys.platform
    env['Python'] = sys.version.replace('\n', '')
    cuda_available = torch.cuda.is_available()
    env['CUDA available'] = str(cuda_available)
    if cuda_available:
        devices: Dict[str, list] = {}
        for k in range(torch.cuda.device_count()):
            devices.setdefault(torch.cuda.get_device_name(k), []).append(str(k))
        for name, ids in devices.items():
            env['GPU ' + ','.join(ids)] = name
        from torch.utils.cpp_extension import CUDA_HOME
        env['CUDA_HOME'] = str(CUDA_HOME)
        if CUDA_HOME is not None and osp.isdir(CUDA_HOME):
            env['NVCC'] = _first_line(f'"{osp.join(CUDA_HOME, "bin", "nvcc")}" -V | tail -n1')
    env['GCC'] = _first_line('gcc --version')
    env['Platform'] = platform.platform()
    env['PyTorch'] = torch.__version__
    env['PyTorch compiling details'] = torch.__config__.show()
    cudnn = torch.backends.cudnn
    env['cuDNN'] = str(cudnn.version()) if cudnn.is_available() else 'not available'
    try:
        import torchvision  # type: ignore[import-not-found,import-untyped]  # optional
        env['TorchVision'] = torchvision.__version__
    except ImportError:
        pass
    opencv = _opencv_version()
    if opencv is not None:
        env['OpenCV'] = opencv
    env['NumPy'] = _module_version('numpy')
    env['yapf'] = _module_version('yapf')
    env['legacy_runner'] = __version__
    env.update(openmmlab_env())
    return env
