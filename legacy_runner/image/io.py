"""Image reading/writing with mmcv 1.x semantics: ``imread``, ``imwrite``, ``imfrombytes``,
``use_backend``.

OpenCV, Pillow, PyTurboJPEG and tifffile are imported at first use, not at import time. The cv2 flag
values below are OpenCV's stable constants (tests compare them with cv2's); ``TurboJPEG``, its
pixel-format constants and ``tifffile`` resolve on first access, to None when not installed, as in
mmcv.
"""
import io
import os.path as osp
import warnings
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from ..utils import FileClient, is_filepath, is_str  # noqa: F401  (is_filepath: mmcv.image.io has it)
from . import _deps

# OpenCV's cv2.IMREAD_* values (fixed since OpenCV 3).
IMREAD_COLOR = 1
IMREAD_GRAYSCALE = 0
IMREAD_UNCHANGED = -1
IMREAD_IGNORE_ORIENTATION = 128

# The TurboJPEG decoder instance, created by use_backend('turbojpeg') (or the first turbojpeg decode).
jpeg = None

supported_backends = ['cv2', 'turbojpeg', 'pillow', 'tifffile']

imread_flags = {
    'color': IMREAD_COLOR,
    'grayscale': IMREAD_GRAYSCALE,
    'unchanged': IMREAD_UNCHANGED,
    'color_ignore_orientation': IMREAD_IGNORE_ORIENTATION | IMREAD_COLOR,
    'grayscale_ignore_orientation': IMREAD_IGNORE_ORIENTATION | IMREAD_GRAYSCALE,
}

imread_backend = 'cv2'

_TURBOJPEG_NAMES = ('TurboJPEG', 'TJCS_RGB', 'TJPF_BGR', 'TJPF_GRAY')


def __getattr__(name: str) -> Any:
    # mmcv binds these at import time (None when the package is missing); here they are looked up
    # on first access so that importing this module does not import the packages.
    if name in _TURBOJPEG_NAMES:
        module = _deps.optional('turbojpeg')
        return None if module is None else getattr(module, name)
    if name == 'tifffile':
        return _deps.optional('tifffile')
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _turbojpeg_decoder(caller: str) -> Any:
    global jpeg
    if jpeg is None:
        jpeg = _deps.load('turbojpeg', caller).TurboJPEG()
    return jpeg


def use_backend(backend: str) -> None:
    """Select the default decoding backend of ``imread``/``imfrombytes``.

    Args:
        backend (str): One of ``supported_backends``: 'cv2', 'turbojpeg', 'pillow', 'tifffile'.
    """
    assert backend in supported_backends
    global imread_backend
    # Check the package first, so that a failed switch leaves the previous backend in place.
    if backend == 'turbojpeg':
        _turbojpeg_decoder("use_backend('turbojpeg')")
    elif backend == 'pillow':
        _deps.pil_image("use_backend('pillow')")
    elif backend == 'tifffile':
        _deps.load('tifffile', "use_backend('tifffile')")
    imread_backend = backend


def _jpegflag(flag: Union[str, int] = 'color', channel_order: str = 'bgr') -> Any:
    turbojpeg = _deps.load('turbojpeg', "imfrombytes(backend='turbojpeg')")
    channel_order = channel_order.lower()
    if channel_order not in ['rgb', 'bgr']:
        raise ValueError('channel order must be either "rgb" or "bgr"')
    if flag == 'color':
        return turbojpeg.TJPF_BGR if channel_order == 'bgr' else turbojpeg.TJCS_RGB
    if flag == 'grayscale':
        return turbojpeg.TJPF_GRAY
    raise ValueError('flag must be "color" or "grayscale"')


def _pillow2array(img: Any, flag: Union[str, int] = 'color', channel_order: str = 'bgr') -> np.ndarray:
    """A PIL image as an array with mmcv's flag and channel-order rules.

    Args:
        img (PIL.Image.Image): The decoded image.
        flag (str): 'color', 'grayscale', 'unchanged', 'color_ignore_orientation' or
            'grayscale_ignore_orientation'. Without '_ignore_orientation' the EXIF orientation is
            applied.
        channel_order (str): 'bgr' or 'rgb' for colour results.
    """
    Image = _deps.pil_image("imfrombytes(backend='pillow')")
    from PIL import ImageOps

    channel_order = channel_order.lower()
    if channel_order not in ['rgb', 'bgr']:
        raise ValueError('channel order must be either "rgb" or "bgr"')

    if flag == 'unchanged':
        array = np.array(img)
        if array.ndim >= 3 and array.shape[2] >= 3:
            array[:, :, :3] = array[:, :, (2, 1, 0)]  # Pillow gives RGB(A); mmcv returns BGR(A)
        return array

    if flag in ['color', 'grayscale']:
        img = ImageOps.exif_transpose(img)
    if img.mode != 'RGB':
        if img.mode != 'LA':
            img = img.convert('RGB')
        else:
            # Plain LA -> RGB conversion fills transparent pixels with black; mmcv composites them
            # on the fixed colour (124, 117, 104) instead.
            rgba = img.convert('RGBA')
            img = Image.new('RGB', rgba.size, (124, 117, 104))
            img.paste(rgba, mask=rgba.split()[3])
    if flag in ['color', 'color_ignore_orientation']:
        array = np.array(img)
        if channel_order != 'rgb':
            array = array[:, :, ::-1]
    elif flag in ['grayscale', 'grayscale_ignore_orientation']:
        array = np.array(img.convert('L'))
    else:
        raise ValueError('flag must be "color", "grayscale", "unchanged", "color_ignore_orientation" or '
                         f'"grayscale_ignore_orientation" but got {flag}')
    return array


def _check_backend(backend: Optional[str]) -> str:
    if backend is None:
        backend = imread_backend
    if backend not in supported_backends:
        raise ValueError(f'backend: {backend} is not supported. Supported backends are '
                         "'cv2', 'turbojpeg', 'pillow', 'tifffile'")
    return backend


def imread(img_or_path: Union[np.ndarray, str, Path],
           flag: Union[str, int] = 'color',
           channel_order: str = 'bgr',
           backend: Optional[str] = None,
           file_client_args: Optional[dict] = None) -> np.ndarray:
    """Read an image from a file path (str or pathlib.Path); an array is returned unchanged.

    Args:
        img_or_path (ndarray | str | Path): The image or its path.
        flag (str | int): 'color', 'grayscale', 'unchanged', 'color_ignore_orientation',
            'grayscale_ignore_orientation' (or a cv2 IMREAD flag for the cv2 backend).
        channel_order (str): 'bgr' (default) or 'rgb'.
        backend (str | None): Decoding backend; None uses the one chosen by ``use_backend``.
        file_client_args (dict | None): Arguments of the FileClient that reads the bytes.

    Returns:
        ndarray: The loaded image.
    """
    backend = _check_backend(backend)
    if isinstance(img_or_path, Path):
        img_or_path = str(img_or_path)
    if isinstance(img_or_path, np.ndarray):
        return img_or_path
    if is_str(img_or_path):
        file_client = FileClient.infer_client(file_client_args, img_or_path)
        img_bytes = file_client.get(img_or_path)
        return imfrombytes(img_bytes, flag, channel_order, backend)
    raise TypeError('"img" must be a numpy array or a str or a pathlib.Path object')


def imfrombytes(content: bytes,
                flag: Union[str, int] = 'color',
                channel_order: str = 'bgr',
                backend: Optional[str] = None) -> np.ndarray:
    """Decode an image from encoded bytes.

    Args:
        content (bytes): The encoded image.
        flag (str | int): Same as :func:`imread`.
        channel_order (str): 'bgr' (default) or 'rgb'.
        backend (str | None): Decoding backend; None uses the one chosen by ``use_backend``.

    Returns:
        ndarray: The decoded image (None when OpenCV cannot decode the bytes, as in mmcv).
    """
    backend = _check_backend(backend)
    if backend == 'turbojpeg':
        img = _turbojpeg_decoder("imfrombytes(backend='turbojpeg')").decode(
            content, _jpegflag(flag, channel_order))
        if img.shape[-1] == 1:
            img = img[:, :, 0]
        return img
    if backend == 'pillow':
        Image = _deps.pil_image("imfrombytes(backend='pillow')")
        with io.BytesIO(content) as buff:
            img = Image.open(buff)
            return _pillow2array(img, flag, channel_order)
    if backend == 'tifffile':
        tifffile = _deps.load('tifffile', "imfrombytes(backend='tifffile')")
        with io.BytesIO(content) as buff:
            return tifffile.imread(buff)
    cv2 = _deps.cv2('imfrombytes()')
    img_np = np.frombuffer(content, np.uint8)
    cv2_flag = imread_flags[flag] if isinstance(flag, str) else flag
    img = cv2.imdecode(img_np, cv2_flag)
    # Only the plain 'color' flag honours channel_order='rgb' (mmcv behaves the same).
    if cv2_flag == IMREAD_COLOR and channel_order == 'rgb':
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, img)
    return img


def imwrite(img: np.ndarray,
            file_path: Union[str, Path],
            params: Optional[list] = None,
            auto_mkdir: Optional[bool] = None,
            file_client_args: Optional[dict] = None) -> bool:
    """Encode ``img`` by the extension of ``file_path`` and write it (parent folders are created).

    Args:
        img (ndarray): Image array to be written.
        file_path (str | Path): Image file path; its extension picks the format.
        params (None | list): cv2.imencode parameters.
        auto_mkdir (bool | None): Deprecated; folders are always created.
        file_client_args (dict | None): Arguments of the FileClient that writes the bytes.

    Returns:
        bool: Whether encoding succeeded.
    """
    if isinstance(file_path, Path):
        file_path = str(file_path)
    if auto_mkdir is not None:
        warnings.warn('The parameter `auto_mkdir` will be deprecated in the future and every file '
                      'clients will make directory automatically.')
    cv2 = _deps.cv2('imwrite()')
    file_client = FileClient.infer_client(file_client_args, file_path)
    img_ext = osp.splitext(file_path)[-1]
    flag, img_buff = cv2.imencode(img_ext, img, params if params is not None else [])
    file_client.put(img_buff.tobytes(), file_path)
    return flag

