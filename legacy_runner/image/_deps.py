"""Optional image libraries, imported at first use.

``import legacy_runner.image`` (and ``mmcv.image`` through the shim) must stay cheap and must work
without OpenCV or Pillow installed; the functions that need them call these loaders instead.
A missing package gives one ImportError line naming the call and how to install it.
"""
import importlib
from types import ModuleType
from typing import Optional

_FIXES = {
    'cv2': ('OpenCV (cv2)', "pip install 'legacy-runner[image]' (or: pip install opencv-python-headless)"),
    'PIL': ('Pillow (PIL)', "pip install 'legacy-runner[image]' (or: pip install Pillow)"),
    'turbojpeg': ('PyTurboJPEG (turbojpeg)', 'pip install PyTurboJPEG'),
    'tifffile': ('tifffile', 'pip install tifffile'),
}


def load(name: str, caller: str) -> ModuleType:
    """Import the module ``name`` (cv2, PIL, turbojpeg, tifffile) or raise one clear ImportError."""
    try:
        return importlib.import_module(name)
    except ImportError:
        what, fix = _FIXES[name]
        raise ImportError(f'{caller} needs {what}, which is not installed; fix: {fix}') from None


def cv2(caller: str) -> ModuleType:
    """The ``cv2`` module, for the function named ``caller``."""
    return load('cv2', caller)


def pil_image(caller: str) -> ModuleType:
    """``PIL.Image``, for the function named ``caller``."""
    load('PIL', caller)
    return importlib.import_module('PIL.Image')


def optional(name: str) -> Optional[ModuleType]:
    """The module ``name`` when it can be imported, else None (mmcv's ``X = None`` fallbacks)."""
    try:
        return importlib.import_module(name)
    except ImportError:
        return None
