"""Photometric image transforms with mmcv 1.x semantics: normalisation, colour/brightness/contrast/
sharpness/hue adjustment, equalisation, solarize/posterize, LUT and CLAHE."""
import warnings
from typing import Optional, Union

import numpy as np

from ..utils import is_tuple_of
from . import _deps
from .colorspace import bgr2gray, gray2bgr

# Bound at import time, as in mmcv: use_backend() does not change the default backend here ('cv2').
from .io import imread_backend


def imnormalize(img: np.ndarray, mean: np.ndarray, std: np.ndarray, to_rgb: bool = True) -> np.ndarray:
    """``(img - mean) / std`` on a float32 copy (BGR -> RGB first when ``to_rgb``)."""
    img = img.copy().astype(np.float32)
    return imnormalize_(img, mean, std, to_rgb)


def imnormalize_(img: np.ndarray, mean: np.ndarray, std: np.ndarray, to_rgb: bool = True) -> np.ndarray:
    """In-place :func:`imnormalize` of a float image (uint8 is refused: cv2 cannot do it in place)."""
    assert img.dtype != np.uint8
    cv2 = _deps.cv2('imnormalize_()')
    mean64 = np.float64(mean.reshape(1, -1))
    stdinv = 1 / np.float64(std.reshape(1, -1))
    if to_rgb:
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, img)
    cv2.subtract(img, mean64, img)
    cv2.multiply(img, stdinv, img)
    return img


def imdenormalize(img: np.ndarray, mean: np.ndarray, std: np.ndarray, to_bgr: bool = True) -> np.ndarray:
    """``img * std + mean`` on a copy (RGB -> BGR after when ``to_bgr``); inverse of imnormalize."""
    assert img.dtype != np.uint8
    cv2 = _deps.cv2('imdenormalize()')
    mean = mean.reshape(1, -1).astype(np.float64)
    std = std.reshape(1, -1).astype(np.float64)
    img = cv2.multiply(img, std)  # a new array
    cv2.add(img, mean, img)
    if to_bgr:
        cv2.cvtColor(img, cv2.COLOR_RGB2BGR, img)
    return img


def iminvert(img: np.ndarray) -> np.ndarray:
    """``255 - img``."""
    return np.full_like(img, 255) - img


def solarize(img: np.ndarray, thr: int = 128) -> np.ndarray:
    """Invert the pixels at or above ``thr``."""
    return np.where(img < thr, img, 255 - img)


def posterize(img: np.ndarray, bits: int) -> np.ndarray:
    """Keep the ``bits`` most significant bits of each pixel."""
    shift = 8 - bits
    return np.left_shift(np.right_shift(img, shift), shift)


def _check_backend(backend: Optional[str]) -> str:
    if backend is None:
        backend = imread_backend
    if backend not in ['cv2', 'pillow']:
        raise ValueError(f'backend: {backend} is not supported.'
                         f"Supported backends are 'cv2', 'pillow'")
    return backend


def _pil_enhance(img: np.ndarray, enhancer: str, factor: float, caller: str) -> np.ndarray:
    """PIL.ImageEnhance.<enhancer>(factor) of a BGR uint8 image, back to BGR."""
    assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
    Image = _deps.pil_image(caller)
    from PIL import ImageEnhance
    pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
    pil_image = getattr(ImageEnhance, enhancer)(pil_image).enhance(factor)
    return np.array(pil_image, dtype=img.dtype)[..., ::-1]


def _blend_float32(img: np.ndarray, degenerated: np.ndarray, factor: float, caller: str) -> np.ndarray:
    """``factor * img + (1 - factor) * degenerated`` in float32, clipped to [0, 255], in img's dtype.

    float32 (not uint8 saturation) gives results as close as possible to PIL.ImageEnhance.
    """
    cv2 = _deps.cv2(caller)
    out = cv2.addWeighted(img.astype(np.float32), factor, degenerated.astype(np.float32), 1 - factor, 0)
    return np.clip(out, 0, 255).astype(img.dtype)


def adjust_color(img: np.ndarray,
                 alpha: float = 1,
                 beta: Optional[float] = None,
                 gamma: float = 0,
                 backend: Optional[str] = None) -> np.ndarray:
    """Blend with the grey version: ``img * alpha + gray * beta + gamma`` (beta = 1 - alpha by default).

    Args:
        img (ndarray): BGR image.
        alpha (float): Weight of the image (0 gives grey, 1 the original).
        beta (float | None): Weight of the grey image.
        gamma (float): Added scalar.
        backend (str | None): 'cv2' or 'pillow' (Pillow uses ``alpha`` only); None means 'cv2'.

    Returns:
        ndarray: The adjusted image.
    """
    backend = _check_backend(backend)
    if backend == 'pillow':
        warnings.warn("Only use 'alpha' for pillow backend.")
        return _pil_enhance(img, 'Color', alpha, "adjust_color(backend='pillow')")
    cv2 = _deps.cv2('adjust_color()')
    gray_img = bgr2gray(img)
    gray_img = np.tile(gray_img[..., None], [1, 1, 3])
    if beta is None:
        beta = 1 - alpha
    colored_img = cv2.addWeighted(img, alpha, gray_img, beta, gamma)
    if not colored_img.dtype == np.uint8:
        # cv2 saturates only uint8 results; other dtypes are clipped here.
        colored_img = np.clip(colored_img, 0, 255)
    return colored_img.astype(img.dtype)


def imequalize(img: np.ndarray) -> np.ndarray:
    """Histogram equalisation of each channel (PIL.ImageOps.equalize's algorithm)."""

    def _scale_channel(im: np.ndarray, c: int) -> np.ndarray:
        im = im[:, :, c]
        histo = np.histogram(im, 256, (0, 255))[0]
        nonzero_histo = histo[histo > 0]
        step = (np.sum(nonzero_histo) - nonzero_histo[-1]) // 255
        if not step:
            lut = np.array(range(256))
        else:
            lut = (np.cumsum(histo) + (step // 2)) // step
            lut = np.concatenate([[0], lut[:-1]], 0)
            lut[lut > 255] = 255
        return np.where(np.equal(step, 0), im, lut[im])

    s1 = _scale_channel(img, 0)
    s2 = _scale_channel(img, 1)
    s3 = _scale_channel(img, 2)
    return np.stack([s1, s2, s3], axis=-1).astype(img.dtype)


def adjust_brightness(img: np.ndarray, factor: float = 1., backend: Optional[str] = None) -> np.ndarray:
    """Blend with black (PIL.ImageEnhance.Brightness): 0 gives black, 1 the original.

    Args:
        img (ndarray): BGR image.
        factor (float): Brightness factor.
        backend (str | None): 'cv2' or 'pillow'; None means 'cv2'.
    """
    backend = _check_backend(backend)
    if backend == 'pillow':
        return _pil_enhance(img, 'Brightness', factor, "adjust_brightness(backend='pillow')")
    return _blend_float32(img, np.zeros_like(img), factor, 'adjust_brightness()')


def adjust_contrast(img: np.ndarray, factor: float = 1., backend: Optional[str] = None) -> np.ndarray:
    """Blend with the mean grey level (PIL.ImageEnhance.Contrast): 0 gives flat grey.

    Args:
        img (ndarray): BGR image.
        factor (float): Contrast factor.
        backend (str | None): 'cv2' or 'pillow'; None means 'cv2'.
    """
    backend = _check_backend(backend)
    if backend == 'pillow':
        return _pil_enhance(img, 'Contrast', factor, "adjust_contrast(backend='pillow')")
    gray_img = bgr2gray(img)
    hist = np.histogram(gray_img, 256, (0, 255))[0]
    mean = round(np.sum(gray_img) / np.sum(hist))
    degenerated = (np.ones_like(img[..., 0]) * mean).astype(img.dtype)
    degenerated = gray2bgr(degenerated)
    return _blend_float32(img, degenerated, factor, 'adjust_contrast()')


def auto_contrast(img: np.ndarray, cutoff: Union[int, float, tuple] = 0) -> np.ndarray:
    """Stretch each channel to [0, 255] after cutting ``cutoff`` percent of the darkest and lightest
    pixels (PIL.ImageOps.autocontrast's algorithm).

    Args:
        img (ndarray): Image of 3 channels.
        cutoff (int | float | tuple): Percent cut at the low and high end ((low, high) for a tuple).
    """

    def _auto_contrast_channel(im: np.ndarray, c: int, cutoff: tuple) -> np.ndarray:
        im = im[:, :, c]
        histo = np.histogram(im, 256, (0, 255))[0]
        histo_sum = np.cumsum(histo)
        cut_low = histo_sum[-1] * cutoff[0] // 100
        cut_high = histo_sum[-1] - histo_sum[-1] * cutoff[1] // 100
        histo_sum = np.clip(histo_sum, cut_low, cut_high) - cut_low
        histo = np.concatenate([[histo_sum[0]], np.diff(histo_sum)], 0)
        low, high = np.nonzero(histo)[0][0], np.nonzero(histo)[0][-1]
        if low >= high:  # everything was cut off
            return im
        scale = 255.0 / (high - low)
        offset = -low * scale
        lut = np.array(range(256))
        lut = np.clip(lut * scale + offset, 0, 255)
        return lut[im]

    if isinstance(cutoff, (int, float)):
        cutoffs = (cutoff, cutoff)
    else:
        assert isinstance(cutoff, tuple), \
            f'cutoff must be of type int, float or tuple, but got {type(cutoff)} instead.'
        cutoffs = cutoff
    s1 = _auto_contrast_channel(img, 0, cutoffs)
    s2 = _auto_contrast_channel(img, 1, cutoffs)
    s3 = _auto_contrast_channel(img, 2, cutoffs)
    return np.stack([s1, s2, s3], axis=-1).astype(img.dtype)


def adjust_sharpness(img: np.ndarray, factor: float = 1., kernel: Optional[np.ndarray] = None) -> np.ndarray:
    """Blend with a smoothed copy (PIL.ImageEnhance.Sharpness): 0 smooth, 1 original, 2 sharper.

    Args:
        img (ndarray): Image.
        factor (float): Sharpness factor.
        kernel (ndarray | None): 2-D smoothing kernel; PIL's SMOOTH filter by default.
    """
    if kernel is None:
        kernel = np.array([[1., 1., 1.], [1., 5., 1.], [1., 1., 1.]]) / 13  # PIL.ImageFilter.SMOOTH
    assert isinstance(kernel, np.ndarray), \
        f'kernel must be of type np.ndarray, but got {type(kernel)} instead.'
    assert kernel.ndim == 2, f'kernel must have a dimension of 2, but got {kernel.ndim} instead.'
    cv2 = _deps.cv2('adjust_sharpness()')
    degenerated = cv2.filter2D(img, -1, kernel)
    return _blend_float32(img, degenerated, factor, 'adjust_sharpness()')


def adjust_lighting(img: np.ndarray,
                    eigval: np.ndarray,
                    eigvec: np.ndarray,
                    alphastd: float = 0.1,
                    to_rgb: bool = True) -> np.ndarray:
    """AlexNet-style PCA lighting noise: add ``eigvec @ (alpha * eigval)`` with alpha ~ N(0, alphastd).

    Args:
        img (ndarray): Image.
        eigval (ndarray): (n,) eigenvalues of the pixel covariance.
        eigvec (ndarray): (3, n) eigenvectors.
        alphastd (float): Standard deviation of alpha.
        to_rgb (bool): Convert BGR to RGB first.

    Returns:
        ndarray: The float32 adjusted image.
    """
    assert isinstance(eigval, np.ndarray) and isinstance(eigvec, np.ndarray), \
        f'eigval and eigvec should both be of type np.ndarray, got {type(eigval)} and ' \
        f'{type(eigvec)} instead.'
    assert eigval.ndim == 1 and eigvec.ndim == 2
    assert eigvec.shape == (3, eigval.shape[0])
    n_eigval = eigval.shape[0]
    assert isinstance(alphastd, float), f'alphastd should be of type float, got {type(alphastd)} instead.'

    cv2 = _deps.cv2('adjust_lighting()')
    img = img.copy().astype(np.float32)
    if to_rgb:
        cv2.cvtColor(img, cv2.COLOR_BGR2RGB, img)
    alpha = np.asarray(np.random.normal(0, alphastd, n_eigval))
    alter = eigvec \
        * np.broadcast_to(alpha.reshape(1, n_eigval), (3, n_eigval)) \
        * np.broadcast_to(eigval.reshape(1, n_eigval), (3, n_eigval))
    alter = np.broadcast_to(alter.sum(axis=1).reshape(1, 1, 3), img.shape)
    return img + alter


def lut_transform(img: np.ndarray, lut_table: np.ndarray) -> np.ndarray:
    """Map the pixel values of ``img`` (in [0, 255]) through a 256-entry table (cv2.LUT)."""
    assert isinstance(img, np.ndarray)
    assert 0 <= np.min(img) and np.max(img) <= 255
    assert isinstance(lut_table, np.ndarray)
    assert lut_table.shape == (256, )
    cv2 = _deps.cv2('lut_transform()')
    return cv2.LUT(np.array(img, dtype=np.uint8), lut_table)


def clahe(img: np.ndarray, clip_limit: float = 40.0, tile_grid_size: tuple = (8, 8)) -> np.ndarray:
    """Contrast Limited Adaptive Histogram Equalization of a 2-D image (cv2.createCLAHE).

    Args:
        img (ndarray): Image of shape (h, w).
        clip_limit (float): Threshold for contrast limiting.
        tile_grid_size (tuple[int]): Grid of tiles (rows, cols).
    """
    assert isinstance(img, np.ndarray)
    assert img.ndim == 2
    assert isinstance(clip_limit, (float, int))
    assert is_tuple_of(tile_grid_size, int)
    assert len(tile_grid_size) == 2
    cv2 = _deps.cv2('clahe()')
    return cv2.createCLAHE(clip_limit, tile_grid_size).apply(np.array(img, dtype=np.uint8))


def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
    """Rotate the hue channel by ``hue_factor`` of a full turn (in [-0.5, 0.5]).

    Args:
        img (ndarray): BGR image, (h, w) or (h, w, 3).
        hue_factor (float): Shift of the hue, as a fraction of the full circle.
        backend (str | None): 'cv2' or 'pillow'; None means 'cv2'.

    Returns:
        ndarray: The hue-adjusted image.
    """
    backend = _check_backend(backend)
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f'hue_factor:{hue_factor} is not in [-0.5, 0.5].')
    if not (isinstance(img, np.ndarray) and (img.ndim in {2, 3})):
        raise TypeError('img should be ndarray with dim=[2 or 3].')
    # uint8 addition wraps, which rotates the hue across the 0/255 boundary. int() truncates toward
    # zero and % 256 wraps negatives, as the float -> uint8 cast of numpy 1.x (mmcv's) did.
    shift = np.uint8(int(hue_factor * 255) % 256)

    if backend == 'pillow':
        assert img.dtype == np.uint8, 'Pillow backend only support uint8 type'
        Image = _deps.pil_image("adjust_hue(backend='pillow')")
        pil_image = Image.fromarray(img[..., ::-1], mode='RGB')
        input_mode = pil_image.mode
        if input_mode in {'L', '1', 'I', 'F'}:
            return pil_image
        h, s, v = pil_image.convert('HSV').split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over='ignore'):
            np_h += shift
        h = Image.fromarray(np_h, 'L')
        pil_image = Image.merge('HSV', (h, s, v)).convert(input_mode)
        return np.array(pil_image, dtype=img.dtype)[..., ::-1]

    cv2 = _deps.cv2('adjust_hue()')
    dtype = img.dtype
    img = img.astype(np.uint8)
    hsv_img = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    h, s, v = cv2.split(hsv_img)
    h = h.astype(np.uint8)
    with np.errstate(over='ignore'):
        h += shift
    hsv_img = cv2.merge([h, s, v])
    return cv2.cvtColor(hsv_img, cv2.COLOR_HSV2BGR_FULL).astype(dtype)
