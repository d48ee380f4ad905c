"""Optical-flow files and helpers (mmcv 1.x ``mmcv.video.optflow``): .flo read/write, quantised flow
images, warping, and flow decoding from bytes."""
import warnings
from typing import Any, Tuple, Union

import numpy as np

from ..arraymisc import dequantize, quantize
from ..image import _deps, imread, imwrite
from ..utils import is_str


def flowread(flow_or_path: Union[np.ndarray, str],
             quantize: bool = False,
             concat_axis: int = 0,
             *args: Any,
             **kwargs: Any) -> np.ndarray:
    """Read an optical flow: a Middlebury .flo file, or (``quantize=True``) a quantised image.

    Args:
        flow_or_path (ndarray | str): An (h, w, 2) array (returned as is) or a file path.
        quantize (bool): The file is an image of dx and dy concatenated along ``concat_axis``.
        concat_axis (int): 0 (stacked vertically) or 1 (side by side).
        *args, **kwargs: Passed to :func:`dequantize_flow`.

    Returns:
        ndarray: float32 flow (h, w, 2).
    """
    if isinstance(flow_or_path, np.ndarray):
        if (flow_or_path.ndim != 3) or (flow_or_path.shape[-1] != 2):
            raise ValueError(f'Invalid flow with shape {flow_or_path.shape}')
        return flow_or_path
    elif not is_str(flow_or_path):
        raise TypeError(f'"flow_or_path" must be a filename or numpy array, not {type(flow_or_path)}')

    if not quantize:
        with open(flow_or_path, 'rb') as f:
            try:
                header = f.read(4).decode('utf-8')
            except Exception:
                raise OSError(f'Invalid flow file: {flow_or_path}') from None
            else:
                if header != 'PIEH':
                    raise OSError(f'Invalid flow file: {flow_or_path}, header does not contain PIEH')
            w = np.fromfile(f, np.int32, 1).squeeze()
            h = np.fromfile(f, np.int32, 1).squeeze()
            flow = np.fromfile(f, np.float32, w * h * 2).reshape((h, w, 2))
    else:
        assert concat_axis in [0, 1]
        cat_flow = imread(flow_or_path, flag='unchanged')
        if cat_flow.ndim != 2:
            raise OSError(f'{flow_or_path} is not a valid quantized flow file, its dimension is '
                          f'{cat_flow.ndim}.')
        assert cat_flow.shape[concat_axis] % 2 == 0
        dx, dy = np.split(cat_flow, 2, axis=concat_axis)
        flow = dequantize_flow(dx, dy, *args, **kwargs)
    return flow.astype(np.float32)


def flowwrite(flow: np.ndarray,
              filename: str,
              quantize: bool = False,
              concat_axis: int = 0,
              *args: Any,
              **kwargs: Any) -> None:
    """Write an optical flow as a .flo file, or (``quantize=True``) as a lossless image of dx, dy.

    Args:
        flow (ndarray): (h, w, 2) flow.
        filename (str): Output path (use .png or .jpg only when ``quantize``).
        quantize (bool): Quantise to uint8 and write dx and dy concatenated along ``concat_axis``.
        concat_axis (int): 0 or 1.
        *args, **kwargs: Passed to :func:`quantize_flow`.
    """
    if not quantize:
        with open(filename, 'wb') as f:
            f.write(b'PIEH')
            np.array([flow.shape[1], flow.shape[0]], dtype=np.int32).tofile(f)
            flow = flow.astype(np.float32)
            flow.tofile(f)
            f.flush()
    else:
        assert concat_axis in [0, 1]
        dx, dy = quantize_flow(flow, *args, **kwargs)
        dxdy = np.concatenate((dx, dy), axis=concat_axis)
        imwrite(dxdy, filename)


def quantize_flow(flow: np.ndarray, max_val: float = 0.02, norm: bool = True) -> tuple:
    """Quantise dx and dy (divided by w and h when ``norm``) in [-max_val, max_val] to uint8.

    255 levels (not 256), so that a zero flow stays exactly zero after dequantisation.

    Returns:
        tuple[ndarray]: Quantised dx and dy.
    """
    h, w, _ = flow.shape
    dx = flow[..., 0]
    dy = flow[..., 1]
    if norm:
        dx = dx / w  # not in place: flow must not change
        dy = dy / h
    flow_comps = [quantize(d, -max_val, max_val, 255, np.uint8) for d in [dx, dy]]
    return tuple(flow_comps)


def dequantize_flow(dx: np.ndarray, dy: np.ndarray, max_val: float = 0.02, denorm: bool = True) -> np.ndarray:
    """Inverse of :func:`quantize_flow`: (h, w) dx and dy to an (h, w, 2) flow.

    With ``denorm``, both components are multiplied back by the image size: dx by its width and dy
    by dx's height (``dx.shape[0]``), as mmcv does.
    """
    assert dx.shape == dy.shape
    assert dx.ndim == 2 or (dx.ndim == 3 and dx.shape[-1] == 1)
    dx, dy = [dequantize(d, -max_val, max_val, 255) for d in [dx, dy]]
    if denorm:
        dx *= dx.shape[1]
        dy *= dx.shape[0]
    return np.dstack((dx, dy))


def flow_warp(img: np.ndarray,
              flow: np.ndarray,
              filling_value: int = 0,
              interpolate_mode: str = 'nearest') -> np.ndarray:
    """Backward-warp ``img`` by ``flow``: output[y, x] = img[y + flow_y, x + flow_x] (a prototype).

    Args:
        img (ndarray): (h, w, c) image.
        flow (ndarray): (h, w, 2) flow (x, y displacement).
        filling_value (int): Value of the pixels sampled from outside the image.
        interpolate_mode (str): 'nearest' or 'bilinear'.

    Returns:
        ndarray: The warped image.
    """
    warnings.warn('This function is just for prototyping and cannot guarantee the computational '
                  'efficiency.')
    assert flow.ndim == 3, 'Flow must be in 3D arrays.'
    height = flow.shape[0]
    width = flow.shape[1]
    channels = img.shape[2]

    output = np.ones((height, width, channels), dtype=img.dtype) * filling_value

    grid = np.indices((height, width)).swapaxes(0, 1).swapaxes(1, 2)
    dx = grid[:, :, 0] + flow[:, :, 1]  # sample row
    dy = grid[:, :, 1] + flow[:, :, 0]  # sample column
    sx = np.floor(dx).astype(int)
    sy = np.floor(dy).astype(int)
    valid = (sx >= 0) & (sx < height - 1) & (sy >= 0) & (sy < width - 1)

    if interpolate_mode == 'nearest':
        output[valid, :] = img[dx[valid].round().astype(int), dy[valid].round().astype(int), :]
    elif interpolate_mode == 'bilinear':
        # A tiny shift, so that integer positions do not get zero weight from both floor and ceil.
        eps_ = 1e-6
        dx, dy = dx + eps_, dy + eps_
        fx, cx = np.floor(dx[valid]), np.ceil(dx[valid])
        fy, cy = np.floor(dy[valid]), np.ceil(dy[valid])
        wx_f, wx_c = (cx - dx[valid])[:, None], (dx[valid] - fx)[:, None]  # weights of floor/ceil rows
        wy_f, wy_c = (cy - dy[valid])[:, None], (dy[valid] - fy)[:, None]  # weights of floor/ceil cols
        fx, cx, fy, cy = fx.astype(int), cx.astype(int), fy.astype(int), cy.astype(int)
        left_top_ = img[fx, fy, :] * wx_f * wy_f
        left_down_ = img[cx, fy, :] * wx_c * wy_f
        right_top_ = img[fx, cy, :] * wx_f * wy_c
        right_down_ = img[cx, cy, :] * wx_c * wy_c
        output[valid, :] = left_top_ + left_down_ + right_top_ + right_down_
    else:
        raise NotImplementedError('We only support interpolation modes of nearest and bilinear, '
                                  f'but got {interpolate_mode}.')
    return output.astype(img.dtype)


def flow_from_bytes(content: bytes) -> np.ndarray:
    """Decode a Middlebury .flo file from its bytes into an (h, w, 2) float32 array."""
    header = content[:4]
    if header.decode('utf-8') != 'PIEH':
        raise Exception('Flow file header does not contain PIEH')
    width = np.frombuffer(content[4:], np.int32, 1).squeeze()
    height = np.frombuffer(content[8:], np.int32, 1).squeeze()
    return np.frombuffer(content[12:], np.float32, width * height * 2).reshape((height, width, 2))


def sparse_flow_from_bytes(content: bytes) -> Tuple[np.ndarray, np.ndarray]:
    """Decode a KITTI-style 16-bit PNG sparse flow: returns (flow (h, w, 2), valid (h, w)).

    The PNG holds (u, v, valid) in its R, G, B channels as ``value * 64 + 2**15``.
    """
    cv2 = _deps.cv2('sparse_flow_from_bytes()')
    decoded = cv2.imdecode(np.frombuffer(content, np.uint8), cv2.IMREAD_ANYDEPTH | cv2.IMREAD_COLOR)
    flow = decoded[:, :, ::-1].astype(np.float32)
    flow, valid = flow[:, :, :2], flow[:, :, 2]
    flow = (flow - 2**15) / 64.0
    return flow, valid
