"""Colour-space conversions with mmcv 1.x semantics (OpenCV at first call; YCbCr in numpy)."""
from typing import Any, Callable, Union  # noqa: F401  (Union: mmcv.image.colorspace has it)

import numpy as np

from . import _deps


def imconvert(img: np.ndarray, src: str, dst: str) -> np.ndarray:
    """Convert ``img`` from colour space ``src`` to ``dst`` with cv2's ``COLOR_{SRC}2{DST}`` code.

    Args:
        img (ndarray): The input image.
        src (str): The source colour space, e.g. 'bgr'.
        dst (str): The destination colour space, e.g. 'lab'.

    Returns:
        ndarray: The converted image.
    """
    cv2 = _deps.cv2('imconvert()')
    code = getattr(cv2, f'COLOR_{src.upper()}2{dst.upper()}')
    return cv2.cvtColor(img, code)


def bgr2gray(img: np.ndarray, keepdim: bool = False) -> np.ndarray:
    """BGR to grayscale; ``keepdim=True`` keeps a trailing channel axis of size 1."""
    cv2 = _deps.cv2('bgr2gray()')
    out_img = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    if keepdim:
        out_img = out_img[..., None]
    return out_img


def rgb2gray(img: np.ndarray, keepdim: bool = False) -> np.ndarray:
    """RGB to grayscale; ``keepdim=True`` keeps a trailing channel axis of size 1."""
    cv2 = _deps.cv2('rgb2gray()')
    out_img = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    if keepdim:
        out_img = out_img[..., None]
    return out_img


def gray2bgr(img: np.ndarray) -> np.ndarray:
    """Grayscale (H, W) or (H, W, 1) to BGR."""
    cv2 = _deps.cv2('gray2bgr()')
    img = img[..., None] if img.ndim == 2 else img
    return cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)


def gray2rgb(img: np.ndarray) -> np.ndarray:
    """Grayscale (H, W) or (H, W, 1) to RGB."""
    cv2 = _deps.cv2('gray2rgb()')
    img = img[..., None] if img.ndim == 2 else img
    return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)


def _convert_input_type_range(img: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] or float32 [0, 1] in, float32 [0, 1] out."""
    img_type = img.dtype
    img = img.astype(np.float32)
    if img_type == np.float32:
        pass
    elif img_type == np.uint8:
        img /= 255.
    else:
        raise TypeError(f'The img type should be np.float32 or np.uint8, but got {img_type}')
    return img


def _convert_output_type_range(img: np.ndarray, dst_type: Any) -> np.ndarray:
    """A [0, 255] float result back to ``dst_type``: rounded uint8, or float32 in [0, 1]."""
    if dst_type not in (np.uint8, np.float32):
        raise TypeError(f'The dst_type should be np.float32 or np.uint8, but got {dst_type}')
    if dst_type == np.uint8:
        img = img.round()
    else:
        img /= 255.
    return img.astype(dst_type)


# ITU-R BT.601 (studio swing) matrices, the ones MATLAB's rgb2ycbcr/ycbcr2rgb use; rows follow the
# input channel order.
_RGB2YCBCR = [[65.481, -37.797, 112.0], [128.553, -74.203, -93.786], [24.966, 112.0, -18.214]]
_BGR2YCBCR = [[24.966, 112.0, -18.214], [128.553, -74.203, -93.786], [65.481, -37.797, 112.0]]
_YCBCR2RGB = [[0.00456621, 0.00456621, 0.00456621], [0, -0.00153632, 0.00791071],
              [0.00625893, -0.00318811, 0]]
_YCBCR2BGR = [[0.00456621, 0.00456621, 0.00456621], [0.00791071, -0.00153632, 0],
              [0, -0.00318811, 0.00625893]]


def rgb2ycbcr(img: np.ndarray, y_only: bool = False) -> np.ndarray:
    """RGB to YCbCr (BT.601, MATLAB convention); uint8 [0, 255] or float32 [0, 1] in and out.

    Args:
        img (ndarray): uint8 or float32 image.
        y_only (bool): Return only the Y channel.
    """
    img_type = img.dtype
    img = _convert_input_type_range(img)
    if y_only:
        out_img = np.dot(img, [65.481, 128.553, 24.966]) + 16.0
    else:
        out_img = np.matmul(img, _RGB2YCBCR) + [16, 128, 128]
    return _convert_output_type_range(out_img, img_type)


def bgr2ycbcr(img: np.ndarray, y_only: bool = False) -> np.ndarray:
    """BGR to YCbCr (BT.601, MATLAB convention); uint8 [0, 255] or float32 [0, 1] in and out.

    Args:
        img (ndarray): uint8 or float32 image.
        y_only (bool): Return only the Y channel.
    """
    img_type = img.dtype
    img = _convert_input_type_range(img)
    if y_only:
        out_img = np.dot(img, [24.966, 128.553, 65.481]) + 16.0
    else:
        out_img = np.matmul(img, _BGR2YCBCR) + [16, 128, 128]
    return _convert_output_type_range(out_img, img_type)


def ycbcr2rgb(img: np.ndarray) -> np.ndarray:
    """YCbCr (BT.601, MATLAB convention) to RGB; uint8 or float32 [0, 1] in and out."""
    img_type = img.dtype
    img = _convert_input_type_range(img) * 255
    out_img = np.matmul(img, _YCBCR2RGB) * 255.0 + [-222.921, 135.576, -276.836]
    return _convert_output_type_range(out_img, img_type)


def ycbcr2bgr(img: np.ndarray) -> np.ndarray:
    """YCbCr (BT.601, MATLAB convention) to BGR; uint8 or float32 [0, 1] in and out."""
    img_type = img.dtype
    img = _convert_input_type_range(img) * 255
    out_img = np.matmul(img, _YCBCR2BGR) * 255.0 + [-276.836, 135.576, -222.921]
    return _convert_output_type_range(out_img, img_type)


def convert_color_factory(src: str, dst: str) -> Callable[[np.ndarray], np.ndarray]:
    """A function converting images from ``src`` to ``dst`` (cv2's code looked up at each call)."""
    attr = f'COLOR_{src.upper()}2{dst.upper()}'
    name = f'{src}2{dst}'

    def convert_color(img: np.ndarray) -> np.ndarray:
        cv2 = _deps.cv2(f'{name}()')
        return cv2.cvtColor(img, getattr(cv2, attr))

    convert_color.__doc__ = f"""Convert a {src.upper()} image to {dst.upper()}.

    Args:
        img (ndarray): The input image.

    Returns:
        ndarray: The converted {dst.upper()} image.
    """
    return convert_color


bgr2rgb = convert_color_factory('bgr', 'rgb')
rgb2bgr = convert_color_factory('rgb', 'bgr')
bgr2hsv = convert_color_factory('bgr', 'hsv')
hsv2bgr = convert_color_factory('hsv', 'bgr')
bgr2hls = convert_color_factory('bgr', 'hls')
hls2bgr = convert_color_factory('hls', 'bgr')
