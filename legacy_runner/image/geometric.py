"""Geometric image transforms with mmcv 1.x semantics: resize/rescale, flip, rotate, crop, pad,
shear, translate, cutout.

OpenCV and Pillow are imported at first call. ``cv2_interp_codes`` and ``cv2_border_modes`` hold
OpenCV's (stable) integer constants; ``pillow_interp_codes`` resolves on first access.
"""
import numbers
from typing import Any, List, Optional, Tuple, Union, no_type_check

import numpy as np

from ..utils import to_2tuple
from . import _deps

# Bound at import time, as in mmcv: use_backend() does not change the default resize backend ('cv2').
from .io import imread_backend

# cv2.INTER_* values.
cv2_interp_codes = {
    'nearest': 0,  # INTER_NEAREST
    'bilinear': 1,  # INTER_LINEAR
    'bicubic': 2,  # INTER_CUBIC
    'area': 3,  # INTER_AREA
    'lanczos': 4,  # INTER_LANCZOS4
}

# cv2.BORDER_* values.
cv2_border_modes = {
    'constant': 0,  # BORDER_CONSTANT
    'replicate': 1,  # BORDER_REPLICATE
    'reflect': 2,  # BORDER_REFLECT
    'wrap': 3,  # BORDER_WRAP
    'reflect_101': 4,  # BORDER_REFLECT_101
    'transparent': 5,  # BORDER_TRANSPARENT
    'isolated': 16,  # BORDER_ISOLATED
}


def _pillow_interp_codes() -> dict:
    Image = _deps.pil_image("imresize(backend='pillow')")
    modes = getattr(Image, 'Resampling', Image)  # Pillow >= 9.1 keeps them in Image.Resampling
    return {
        'nearest': modes.NEAREST,
        'bilinear': modes.BILINEAR,
        'bicubic': modes.BICUBIC,
        'box': modes.BOX,
        'lanczos': modes.LANCZOS,
        'hamming': modes.HAMMING,
    }


def __getattr__(name: str) -> Any:
    # mmcv defines pillow_interp_codes only when Pillow is importable.
    if name == 'pillow_interp_codes':
        if _deps.optional('PIL') is None:
            raise AttributeError(f'module {__name__!r} has no attribute {name!r} (Pillow is not installed)')
        return _pillow_interp_codes()
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def _scale_size(size: Tuple[int, int], scale: Union[float, int, tuple]) -> Tuple[int, int]:
    """(w, h) times ``scale`` (a number or a (w, h) pair of factors), rounded half up."""
    scales = (scale, scale) if isinstance(scale, (float, int)) else scale
    w, h = size
    return int(w * float(scales[0]) + 0.5), int(h * float(scales[1]) + 0.5)


def imresize(img: np.ndarray,
             size: Tuple[int, int],
             return_scale: bool = False,
             interpolation: str = 'bilinear',
             out: Optional[np.ndarray] = None,
             backend: Optional[str] = None) -> Union[Tuple[np.ndarray, float, float], np.ndarray]:
    """Resize ``img`` to ``size`` = (w, h).

    Args:
        img (ndarray): The input image.
        size (tuple[int]): Target size (w, h).
        return_scale (bool): Also return ``w_scale`` and ``h_scale``.
        interpolation (str): 'nearest', 'bilinear', 'bicubic', 'area', 'lanczos' (cv2); Pillow also
            takes 'box' and 'hamming'.
        out (ndarray): Output destination (cv2 backend).
        backend (str | None): 'cv2' or 'pillow'; None means 'cv2'.

    Returns:
        tuple | ndarray: (``resized_img``, ``w_scale``, ``h_scale``) or ``resized_img``.
    """
    h, w = img.shape[:2]
    if backend is None:
        backend = imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported for resize.'
                         f"Supported backends are 'cv2', 'pillow'")

    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        Image = _deps.pil_image("imresize(backend='pillow')")
        pil_image = Image.fromarray(img).resize(size, _pillow_interp_codes()[interpolation])
        resized_img = np.array(pil_image)
    else:
        cv2 = _deps.cv2('imresize()')
        resized_img = cv2.resize(img, size, dst=out, interpolation=cv2_interp_codes[interpolation])
    if not return_scale:
        return resized_img
    w_scale = size[0] / w
    h_scale = size[1] / h
    return resized_img, w_scale, h_scale


@no_type_check
def imresize_to_multiple(img: np.ndarray,
                         divisor: Union[int, Tuple[int, int]],
                         size: Union[int, Tuple[int, int], None] = None,
                         scale_factor: Union[float, Tuple[float, float], None] = None,
                         keep_ratio: bool = False,
                         return_scale: bool = False,
                         interpolation: str = 'bilinear',
                         out: Optional[np.ndarray] = None,
                         backend: Optional[str] = None) -> Union[Tuple[np.ndarray, float, float], np.ndarray]:
    """Resize to ``size`` or by ``scale_factor``, then round each edge up to a multiple of ``divisor``.

    Args:
        img (ndarray): The input image.
        divisor (int | tuple): Edges become multiples of it ((w, h) when a tuple).
        size (None | int | tuple[int]): Target (w, h); exclusive with ``scale_factor``.
        scale_factor (None | float | tuple[float]): Scaling factor(s) (w, h).
        keep_ratio (bool): With ``size``, fit inside it keeping the aspect ratio.
        return_scale (bool): Also return ``w_scale`` and ``h_scale``.
        interpolation (str): Same as :func:`imresize`.
        out (ndarray): Output destination.
        backend (str | None): Same as :func:`imresize`.

    Returns:
        tuple | ndarray: (``resized_img``, ``w_scale``, ``h_scale``) or ``resized_img``.
    """
    h, w = img.shape[:2]
    if size is not None and scale_factor is not None:
        raise ValueError('only one of size or scale_factor should be defined')
    elif size is None and scale_factor is None:
        raise ValueError('one of size or scale_factor should be defined')
    elif size is not None:
        size = to_2tuple(size)
        if keep_ratio:
            size = rescale_size((w, h), size, return_scale=False)
    else:
        size = _scale_size((w, h), scale_factor)

    divisor = to_2tuple(divisor)
    size = tuple(int(np.ceil(s / d)) * d for s, d in zip(size, divisor))
    resized_img, w_scale, h_scale = imresize(
        img, size, return_scale=True, interpolation=interpolation, out=out, backend=backend)
    if return_scale:
        return resized_img, w_scale, h_scale
    return resized_img


def imresize_like(img: np.ndarray,
                  dst_img: np.ndarray,
                  return_scale: bool = False,
                  interpolation: str = 'bilinear',
                  backend: Optional[str] = None) -> Union[Tuple[np.ndarray, float, float], np.ndarray]:
    """Resize ``img`` to the height and width of ``dst_img`` (see :func:`imresize`)."""
    h, w = dst_img.shape[:2]
    return imresize(img, (w, h), return_scale, interpolation, backend=backend)


def rescale_size(old_size: tuple,
                 scale: Union[float, int, tuple],
                 return_scale: bool = False) -> tuple:
    """The size (w, h) that ``old_size`` = (w, h) is rescaled to.

    Args:
        old_size (tuple[int]): The old size (w, h).
        scale (float | int | tuple[int]): A scaling factor, or a (long edge, short edge) bound: the
            largest size that fits inside it keeping the aspect ratio.
        return_scale (bool): Also return the scaling factor.

    Returns:
        tuple[int]: The new size (and the factor when ``return_scale``).
    """
    w, h = old_size
    if isinstance(scale, (float, int)):
        if scale <= 0:
            raise ValueError(f'Invalid scale {scale}, must be positive.')
        scale_factor = scale
    elif isinstance(scale, tuple):
        max_long_edge = max(scale)
        max_short_edge = min(scale)
        scale_factor = min(max_long_edge / max(h, w), max_short_edge / min(h, w))
    else:
        raise TypeError(f'Scale must be a number or tuple of int, but got {type(scale)}')

    new_size = _scale_size((w, h), scale_factor)
    if return_scale:
        return new_size, scale_factor
    return new_size


def imrescale(img: np.ndarray,
              scale: Union[float, Tuple[int, int]],
              return_scale: bool = False,
              interpolation: str = 'bilinear',
              backend: Optional[str] = None) -> Any:
    """Resize keeping the aspect ratio (``scale`` as in :func:`rescale_size`).

    Returns:
        ndarray | tuple: The rescaled image (and the factor when ``return_scale``).
    """
    h, w = img.shape[:2]
    new_size, scale_factor = rescale_size((w, h), scale, return_scale=True)
    rescaled_img = imresize(img, new_size, interpolation=interpolation, backend=backend)
    if return_scale:
        return rescaled_img, scale_factor
    return rescaled_img


def imflip(img: np.ndarray, direction: str = 'horizontal') -> np.ndarray:
    """Flip 'horizontal', 'vertical' or 'diagonal' (both); returns a view."""
    assert direction in ['horizontal', 'vertical', 'diagonal']
    if direction == 'horizontal':
        return np.flip(img, axis=1)
    if direction == 'vertical':
        return np.flip(img, axis=0)
    return np.flip(img, axis=(0, 1))


def imflip_(img: np.ndarray, direction: str = 'horizontal') -> np.ndarray:
    """Flip in place ('horizontal', 'vertical' or 'diagonal') and return ``img``."""
    assert direction in ['horizontal', 'vertical', 'diagonal']
    cv2 = _deps.cv2('imflip_()')
    code = {'horizontal': 1, 'vertical': 0, 'diagonal': -1}[direction]
    return cv2.flip(img, code, img)


def imrotate(img: np.ndarray,
             angle: float,
             center: Optional[Tuple[float, float]] = None,
             scale: float = 1.0,
             border_value: int = 0,
             interpolation: str = 'bilinear',
             auto_bound: bool = False,
             border_mode: str = 'constant') -> np.ndarray:
    """Rotate an image clockwise by ``angle`` degrees.

    Args:
        img (ndarray): Image to be rotated.
        angle (float): Degrees; positive values rotate clockwise.
        center (tuple[float], optional): Centre (x, y); the image centre by default.
        scale (float): Isotropic scale factor.
        border_value (int | tuple): Fill value of the border.
        interpolation (str): Same as :func:`imresize`.
        auto_bound (bool): Grow the output to hold the whole rotated image (exclusive with center).
        border_mode (str): A key of ``cv2_border_modes``.

    Returns:
        ndarray: The rotated image.
    """
    if center is not None and auto_bound:
        raise ValueError('`auto_bound` conflicts with `center`')
    cv2 = _deps.cv2('imrotate()')
    h, w = img.shape[:2]
    if center is None:
        center = ((w - 1) * 0.5, (h - 1) * 0.5)
    assert isinstance(center, tuple)

    matrix = cv2.getRotationMatrix2D(center, -angle, scale)
    if auto_bound:
        cos = np.abs(matrix[0, 0])
        sin = np.abs(matrix[0, 1])
        new_w = h * sin + w * cos
        new_h = h * cos + w * sin
        matrix[0, 2] += (new_w - w) * 0.5
        matrix[1, 2] += (new_h - h) * 0.5
        w = int(np.round(new_w))
        h = int(np.round(new_h))
    return cv2.warpAffine(
        img, matrix, (w, h),
        flags=cv2_interp_codes[interpolation],
        borderMode=cv2_border_modes[border_mode],
        borderValue=border_value)


def bbox_clip(bboxes: np.ndarray, img_shape: Tuple[int, int]) -> np.ndarray:
    """Clip boxes (..., 4*k) to ``img_shape`` = (h, w): x to [0, w - 1], y to [0, h - 1]."""
    assert bboxes.shape[-1] % 4 == 0
    cmin = np.empty(bboxes.shape[-1], dtype=bboxes.dtype)
    cmin[0::2] = img_shape[1] - 1
    cmin[1::2] = img_shape[0] - 1
    return np.maximum(np.minimum(bboxes, cmin), 0)


def bbox_scaling(bboxes: np.ndarray,
                 scale: float,
                 clip_shape: Optional[Tuple[int, int]] = None) -> np.ndarray:
    """Scale boxes (..., 4) about their centres (inclusive pixel widths), optionally clipped."""
    if float(scale) == 1.0:
        scaled_bboxes = bboxes.copy()
    else:
        w = bboxes[..., 2] - bboxes[..., 0] + 1
        h = bboxes[..., 3] - bboxes[..., 1] + 1
        dw = (w * (scale - 1)) * 0.5
        dh = (h * (scale - 1)) * 0.5
        scaled_bboxes = bboxes + np.stack((-dw, -dh, dw, dh), axis=-1)
    if clip_shape is not None:
        return bbox_clip(scaled_bboxes, clip_shape)
    return scaled_bboxes


def imcrop(img: np.ndarray,
           bboxes: np.ndarray,
           scale: float = 1.0,
           pad_fill: Union[float, list, None] = None) -> Union[np.ndarray, List[np.ndarray]]:
    """Crop patches: scale the boxes, clip them to the image, crop, and pad when ``pad_fill`` is set.

    Args:
        img (ndarray): Image to be cropped.
        bboxes (ndarray): (k, 4) or (4,) boxes x1, y1, x2, y2 (inclusive).
        scale (float): Scale ratio of the boxes.
        pad_fill (Number | list[Number] | None): Fill for the parts of a scaled box outside the
            image; None crops only the inside part.

    Returns:
        list[ndarray] | ndarray: The patches (one array for a (4,) box).
    """
    chn = 1 if img.ndim == 2 else img.shape[2]
    if pad_fill is not None:
        if isinstance(pad_fill, (int, float)):
            pad_fill = [pad_fill for _ in range(chn)]
        assert len(pad_fill) == chn

    _bboxes = bboxes[None, ...] if bboxes.ndim == 1 else bboxes
    scaled_bboxes = bbox_scaling(_bboxes, scale).astype(np.int32)
    clipped_bbox = bbox_clip(scaled_bboxes, img.shape)

    patches = []
    for i in range(clipped_bbox.shape[0]):
        x1, y1, x2, y2 = tuple(clipped_bbox[i, :])
        if pad_fill is None:
            patch = img[y1:y2 + 1, x1:x2 + 1, ...]
        else:
            _x1, _y1, _x2, _y2 = tuple(scaled_bboxes[i, :])
            patch_shape: tuple
            if chn == 1:
                patch_shape = (_y2 - _y1 + 1, _x2 - _x1 + 1)
            else:
                patch_shape = (_y2 - _y1 + 1, _x2 - _x1 + 1, chn)
            patch = np.array(pad_fill, dtype=img.dtype) * np.ones(patch_shape, dtype=img.dtype)
            x_start = 0 if _x1 >= 0 else -_x1
            y_start = 0 if _y1 >= 0 else -_y1
            w = x2 - x1 + 1
            h = y2 - y1 + 1
            patch[y_start:y_start + h, x_start:x_start + w, ...] = img[y1:y1 + h, x1:x1 + w, ...]
        patches.append(patch)

    if bboxes.ndim == 1:
        return patches[0]
    return patches


def impad(img: np.ndarray,
          *,
          shape: Optional[Tuple[int, int]] = None,
          padding: Union[int, tuple, None] = None,
          pad_val: Union[float, List] = 0,
          padding_mode: str = 'constant') -> np.ndarray:
    """Pad to ``shape`` = (h, w) (bottom/right), or by ``padding`` on each side.

    Args:
        img (ndarray): Image to be padded.
        shape (tuple[int]): Target (h, w); exclusive with ``padding``. Never crops.
        padding (int | tuple[int]): One int for all sides, (left/right, top/bottom), or
            (left, top, right, bottom).
        pad_val (Number | Sequence[Number]): Fill for 'constant' mode (a tuple: one per channel).
        padding_mode (str): 'constant', 'edge', 'reflect' (no edge repeat) or 'symmetric'
            (edge repeated).

    Returns:
        ndarray: The padded image.
    """
    assert (shape is not None) ^ (padding is not None)
    if shape is not None:
        width = max(shape[1] - img.shape[1], 0)
        height = max(shape[0] - img.shape[0], 0)
        padding = (0, 0, width, height)

    if isinstance(pad_val, tuple):
        assert len(pad_val) == img.shape[-1]
    elif not isinstance(pad_val, numbers.Number):
        raise TypeError('pad_val must be a int or a tuple. '
                        f'But received {type(pad_val)}')

    if isinstance(padding, tuple) and len(padding) in [2, 4]:
        if len(padding) == 2:
            padding = (padding[0], padding[1], padding[0], padding[1])
    elif isinstance(padding, numbers.Number):
        padding = (padding, padding, padding, padding)
    else:
        raise ValueError('Padding must be a int or a 2, or 4 element tuple.'
                         f'But received {padding}')

    assert padding_mode in ['constant', 'edge', 'reflect', 'symmetric']
    cv2 = _deps.cv2('impad()')
    border_type = {
        'constant': cv2_border_modes['constant'],
        'edge': cv2_border_modes['replicate'],
        'reflect': cv2_border_modes['reflect_101'],
        'symmetric': cv2_border_modes['reflect'],
    }
    top, bottom, left, right = padding[1], padding[3], padding[0], padding[2]  # type: ignore[index]
    return cv2.copyMakeBorder(img, top, bottom, left, right, border_type[padding_mode], value=pad_val)


def impad_to_multiple(img: np.ndarray, divisor: int, pad_val: Union[float, List] = 0) -> np.ndarray:
    """Pad bottom/right so that both edges are multiples of ``divisor`` (fill ``pad_val``)."""
    pad_h = int(np.ceil(img.shape[0] / divisor)) * divisor
    pad_w = int(np.ceil(img.shape[1] / divisor)) * divisor
    return impad(img, shape=(pad_h, pad_w), pad_val=pad_val)


def cutout(img: np.ndarray,
           shape: Union[int, Tuple[int, int]],
           pad_val: Union[int, float, tuple] = 0) -> np.ndarray:
    """Fill one randomly placed ``shape`` = (h, w) rectangle with ``pad_val`` (on a copy).

    Args:
        img (ndarray): Image to be cut out.
        shape (int | tuple[int]): Size of the cut region (h, w).
        pad_val (int | float | tuple): Fill value(s), one per channel for a tuple.

    Returns:
        ndarray: The image with the region filled.
    """
    channels = 1 if img.ndim == 2 else img.shape[2]
    if isinstance(shape, int):
        cut_h, cut_w = shape, shape
    else:
        assert isinstance(shape, tuple) and len(shape) == 2, \
            f'shape must be a int or a tuple with length 2, but got type {type(shape)} instead.'
        cut_h, cut_w = shape
    if isinstance(pad_val, (int, float)):
        pad_val = tuple([pad_val] * channels)
    elif isinstance(pad_val, tuple):
        assert len(pad_val) == channels, \
            'Expected the num of elements in tuple equals the channels ' \
            f'of input image. Found {len(pad_val)} vs {channels}'
    else:
        raise TypeError(f'Invalid type {type(pad_val)} for `pad_val`')

    img_h, img_w = img.shape[:2]
    # np.random.uniform(x) draws from [1, x) (low=x, high=1.0): kept as in mmcv, so that seeded
    # pipelines cut the same regions.
    y0 = np.random.uniform(img_h)
    x0 = np.random.uniform(img_w)

    y1 = int(max(0, y0 - cut_h / 2.))
    x1 = int(max(0, x0 - cut_w / 2.))
    y2 = min(img_h, y1 + cut_h)
    x2 = min(img_w, x1 + cut_w)

    patch_shape: tuple
    if img.ndim == 2:
        patch_shape = (y2 - y1, x2 - x1)
    else:
        patch_shape = (y2 - y1, x2 - x1, channels)

    img_cutout = img.copy()
    patch = np.array(pad_val, dtype=img.dtype) * np.ones(patch_shape, dtype=img.dtype)
    img_cutout[y1:y2, x1:x2, ...] = patch
    return img_cutout


def _get_shear_matrix(magnitude: Union[int, float], direction: str = 'horizontal') -> np.ndarray:
    """The 2x3 float32 affine matrix of a shear by ``magnitude``."""
    if direction == 'horizontal':
        return np.array([[1, magnitude, 0], [0, 1, 0]], dtype=np.float32)
    if direction == 'vertical':
        return np.array([[1, 0, 0], [magnitude, 1, 0]], dtype=np.float32)
    raise ValueError(f'Invalid direction: {direction}')


def _border_value_per_channel(img: np.ndarray, border_value: Union[int, tuple]) -> tuple:
    if img.ndim == 2:
        channels = 1
    elif img.ndim == 3:
        channels = img.shape[-1]
    if isinstance(border_value, int):
        return tuple([border_value] * channels)
    if isinstance(border_value, tuple):
        assert len(border_value) == channels, \
            'Expected the num of elements in tuple equals the channels ' \
            f'of input image. Found {len(border_value)} vs {channels}'
        return border_value
    raise ValueError(f'Invalid type {type(border_value)} for `border_value`')


def imshear(img: np.ndarray,
            magnitude: Union[int, float],
            direction: str = 'horizontal',
            border_value: Union[int, Tuple[int, int]] = 0,
            interpolation: str = 'bilinear') -> np.ndarray:
    """Shear an image ('horizontal': x += magnitude * y; 'vertical': y += magnitude * x).

    Args:
        img (ndarray): Image to be sheared, (h, w) or (h, w, c).
        magnitude (int | float): The shear magnitude.
        direction (str): 'horizontal' or 'vertical'.
        border_value (int | tuple[int]): Fill of the uncovered area.
        interpolation (str): Same as :func:`imresize`.

    Returns:
        ndarray: The sheared image.
    """
    assert direction in ['horizontal', 'vertical'], f'Invalid direction: {direction}'
    height, width = img.shape[:2]
    border_value = _border_value_per_channel(img, border_value)
    cv2 = _deps.cv2('imshear()')
    shear_matrix = _get_shear_matrix(magnitude, direction)
    # warpAffine takes at most 4 border values; mmcv passes the first 3.
    return cv2.warpAffine(
        img, shear_matrix, (width, height),
        borderValue=border_value[:3],
        flags=cv2_interp_codes[interpolation])


def _get_translate_matrix(offset: Union[int, float], direction: str = 'horizontal') -> np.ndarray:
    """The 2x3 float32 affine matrix of a translation by ``offset`` pixels."""
    if direction == 'horizontal':
        return np.array([[1, 0, offset], [0, 1, 0]], dtype=np.float32)
    if direction == 'vertical':
        return np.array([[1, 0, 0], [0, 1, offset]], dtype=np.float32)
    raise ValueError(f'Invalid direction: {direction}')


def imtranslate(img: np.ndarray,
                offset: Union[int, float],
                direction: str = 'horizontal',
                border_value: Union[int, tuple] = 0,
                interpolation: str = 'bilinear') -> np.ndarray:
    """Translate an image by ``offset`` pixels (positive: right / down).

    Args:
        img (ndarray): Image to be translated, (h, w) or (h, w, c).
        offset (int | float): The offset in pixels.
        direction (str): 'horizontal' or 'vertical'.
        border_value (int | tuple[int]): Fill of the uncovered area.
        interpolation (str): Same as :func:`imresize`.

    Returns:
        ndarray: The translated image.
    """
    assert direction in ['horizontal', 'vertical'], f'Invalid direction: {direction}'
    height, width = img.shape[:2]
    border_value = _border_value_per_channel(img, border_value)
    cv2 = _deps.cv2('imtranslate()')
    translate_matrix = _get_translate_matrix(offset, direction)
    return cv2.warpAffine(
        img, translate_matrix, (width, height),
        borderValue=border_value[:3],
        flags=cv2_interp_codes[interpolation])
