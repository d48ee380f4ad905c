"""``collect_env``: the environment summary that 1.x training scripts log and store in meta."""
import os.path as osp
import platform
import subprocess
import sys
from collections import OrderedDict
from typing import Dict


def _first_line(cmd: str) -> str:
    try:
        out = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=5).stdout
    except (OSError, subprocess.SubprocessError):
        return 'n/a'
    return out.strip().split('\n')[0] if out.strip() else 'n/a'


def collect_env() -> Dict[str, str]:
    """sys.platform, Python, CUDA/GPU, GCC, PyTorch (+ build config), TorchVision, OpenCV, package.

    Keys follow mmcv's ``collect_env``; entries that do not apply (no CUDA, no torchvision) are
    left out or marked 'n/a'. torch is imported here, not at module import.
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
    try:
        import torchvision
        env['TorchVision'] = torchvision.__version__
    except ImportError:
        pass
    try:
        import cv2
        env['OpenCV'] = cv2.__version__
    except ImportError:
        pass
    env['legacy_runner'] = __version__
    return env
